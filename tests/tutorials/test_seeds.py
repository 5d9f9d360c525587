"""The five tutorials' own code, run on digitlab with only its import lines changed (see seeds/README.md).

Each listing runs as a script in a fresh directory, as a learner runs it, and the test reads what it
prints: shapes, the book's exact 0.9352, accuracy floors for the shortened trainings, and the pictures
each tutorial draws (saved instead of shown, headless).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digitlab.tutorials.legacy_pickle import bundled_weights

SEEDS = Path(__file__).parent / "seeds"
ROOT = Path(__file__).resolve().parents[2]


def run(seed: str, script: str, cwd: Path, *args: str, timeout: float = 600) -> str:
    for f in (SEEDS / seed).glob("*.py"):
        shutil.copy(f, cwd / f.name)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(cwd)}
    done = subprocess.run([sys.executable, script, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{seed}/{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def floats(pattern: str, text: str) -> list[float]:
    """Every number the pattern's groups catch, in order (findall gives tuples when there are several groups)."""
    return [float(m) for found in re.findall(pattern, text) for m in (found if isinstance(found, tuple) else (found,))]


def test_seed_000_raschka_mlp(tmp_path):
    """The tutorial unpacks the four files into data/mnist; the shortened run (50 of 1000 epochs) is well on
    its way to the seed's 97.80% / 95.97%."""
    data = tmp_path / "data" / "mnist"
    data.mkdir(parents=True)
    for gz in (ROOT / "src/digitlab/datasets/data/mnist").glob("*.gz"):
        (data / gz.name[:-3]).write_bytes(gzip.decompress(gz.read_bytes()))
    out = run("seed_000", "dl_mnist.py", tmp_path, "50")
    assert "학습 샘플수\t: 60000, 컬럼수: 784" in out and "테스트 샘플수\t: 10000, 컬럼수: 784" in out
    train, test = floats(r"딥러닝 정확도: ([\d.]+)%", out)
    assert re.search(r"예측성공/총개수: \[\d+\]/\[60000\]", out) and re.search(r"\[\d+\]/\[10000\]", out)
    assert train >= 90.0 and test >= 90.0, out[-500:]
    for png in ("09digits", "samedigits", "cost1", "cost2", "misclassified"):
        assert (tmp_path / f"{png}.png").stat().st_size > 5000


@pytest.mark.parametrize("script", ["neuralnet_mnist.py", "neuralnet_mnist_batch.py"])
def test_seed_001_pretrained_network_scores_exactly_0_9352(tmp_path, script):
    """The book's sample_weight.pkl (shipped with digitlab) beside the script, as the book has it."""
    shutil.copy(bundled_weights("sample_weight"), tmp_path / "sample_weight.pkl")
    out = run("seed_001", script, tmp_path)
    assert out.strip().splitlines()[-1] == "Accuracy : 0.9352"
    if script.endswith("batch.py"):
        assert out.splitlines()[:5] == ["(10000, 784)", "(784,)", "(784, 50)", "(50, 100)", "(100, 10)"]


def test_seed_001_looks_at_the_data(tmp_path):
    out = run("seed_001", "mnist_show.py", tmp_path)
    assert out.splitlines() == ["(60000, 784)", "(60000,)", "(10000, 784)", "(10000,)", "5", "(784,)", "(28, 28)"]
    assert (tmp_path / "img_show.png").is_file()


def test_seed_002_keras_notebook(tmp_path):
    """All five epochs, as the notebook runs them: the notebook reports test_acc 0.9793. The notebook seeds
    nothing, so neither does this run: six runs here gave 0.9760-0.9800 and a CI run once 0.9742, hence the
    bound of 0.97."""
    out = run("seed_002", "mnist_keras.py", tmp_path)
    lines = out.splitlines()
    assert lines[1:4] == ["(60000, 28, 28)", "60000", "[5 0 4 ... 5 6 8]"]
    assert lines[4:7] == ["(10000, 28, 28)", "10000", "[7 2 1 ... 4 5 6]"]
    assert [l for l in lines if l.startswith("Epoch ")] == [f"Epoch {i}/5" for i in range(1, 6)]
    # evaluate shows its progress line by default, as Keras does (batches of 1024, so 10 steps)
    assert re.search(r"^10/10 \[=+\] - .* - loss: [\d.]+ - accuracy: [\d.]+$", out, re.M), "evaluate's progress line"
    (test_acc,) = floats(r"test_acc: ([\d.]+)", out)
    assert test_acc >= 0.97
    assert (tmp_path / "digit.png").is_file()


def test_seed_003_numerical_gradient_training(tmp_path):
    """One numerical-gradient iteration (the seed's 10,000 took 50 hours): the accuracy line is printed,
    and the step went downhill from the loss of a network that knows nothing (ln 10 = 2.3026)."""
    out = run("seed_003", "run.py", tmp_path, "1")
    train_acc, test_acc = floats(r"train acc, test acc \| ([\d.]+), ([\d.]+)", out)
    assert 0.0 <= train_acc <= 1.0 and 0.0 <= test_acc <= 1.0
    (loss,) = floats(r"train loss \| ([\d.]+)", out)
    assert loss < 2.3026
    assert (tmp_path / "accuracy.png").is_file()


def test_seed_004_keras_colab_notebook(tmp_path):
    """3 of the notebook's 10 epochs (shortened); the summary counts are the seed's."""
    out = run("seed_004", "mnist_deeplearning.py", tmp_path, "3")
    assert "x_train shape (60000, 28, 28)" in out and "y_test shape (10000,)" in out
    assert "Y Training matrix shape (60000, 10)" in out
    for count in ("401,920", "131,328", "2,570", "Total params: 535,818", "Trainable params: 535,818",
                  "Non-trainable params: 0"):
        assert count in out
    (accuracy,) = floats(r"Test accuracy: ([\d.]+)", out)
    assert accuracy >= 0.97
    assert out.strip().splitlines()[-1] == "3 [0, 1, 2]"
    assert (tmp_path / "correct.png").is_file() and (tmp_path / "incorrect.png").is_file()
