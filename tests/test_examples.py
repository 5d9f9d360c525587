import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_train_mnist_example_reaches_its_floor(tmp_path):
    """The showcase trains on a slice and exits non-zero below its accuracy floor."""
    out = tmp_path / "m.safetensors"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "train_mnist.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "test accuracy" in proc.stdout and out.is_file()
