import shutil
import subprocess
import sys

import pytest
from PIL import Image

from digitlab.apps.cli import main
from digitlab.datasets import mnist

BUNDLED = mnist.SPEC.local_dirs[0][0]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_data_info_shows_sources_counts_and_checksums(capsys):
    code, out, err = run(capsys, "data", "info")
    assert code == 0, err
    assert out.count("sha256 OK") == 4 and out.count("[bundled]") == 4
    assert "(60000, 28, 28)" in out and "uint8" in out
    assert "5923" in out and "1135" in out and "60000   10000" in out


def test_data_info_reports_a_mismatch_and_fails(capsys, tmp_path):
    from digitlab.idx import read_idx, write_idx

    for f in BUNDLED.iterdir():
        shutil.copy(f, tmp_path / f.name)
    labels = read_idx(tmp_path / "t10k-labels-idx1-ubyte.gz")
    labels[:2] = labels[1::-1]
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    code, out, err = run(capsys, "data", "info", "--path", str(tmp_path))
    assert code == 1
    assert out.count("sha256 OK") == 3 and "MISMATCH" in out
    assert "t10k-labels-idx1-ubyte.gz" in err


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[: len(b) // 2], "gzip stream is truncated"),
    (lambda b: b"", "file is empty"),
    (lambda b: b"\x1f\x8b" + b"\x00" * 30, "gzip data is corrupt"),
])
def test_bad_idx_file_is_one_line_not_a_traceback(capsys, tmp_path, damage, message):
    for f in BUNDLED.iterdir():
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "train-labels-idx1-ubyte.gz"
    target.write_bytes(damage(target.read_bytes()))
    code, out, err = run(capsys, "data", "info", "--path", str(tmp_path))
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("digitlab: error: ")
    assert str(target) in err and message in err


def test_show_first_of_each_digit(capsys, tmp_path):
    out_png = tmp_path / "digits.png"
    code, out, _ = run(capsys, "show", "--out", str(out_png))
    assert code == 0 and str(out_png) in out
    with Image.open(out_png) as im:
        assert im.format == "PNG" and im.size[0] > 400


def test_show_digit_grid_and_fashion(capsys, tmp_path):
    code, _, _ = run(capsys, "show", "--digit", "6", "--count", "25", "--out", str(tmp_path / "six.png"))
    assert code == 0 and (tmp_path / "six.png").stat().st_size > 10_000
    from digitlab.datasets.fashion_mnist import SYSTEM_DIR

    if SYSTEM_DIR.is_dir():
        code, _, _ = run(capsys, "show", "--dataset", "fashion", "--out", str(tmp_path / "f.png"))
        assert code == 0 and (tmp_path / "f.png").is_file()


@pytest.mark.parametrize("argv, message", [
    (["show", "--out", "/nonexistent-dir/x.png"], "/nonexistent-dir"),
    (["data", "info", "--path", "/nonexistent-dir"], "no such file"),
])
def test_expected_errors_are_one_line(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["show", "--digit", "12"], "--digit 12: expected 0 to 9"),
    (["show", "--digit", "3", "--count", "0"], "--count 0: expected at least 1"),
    (["show", "--colour", "red"], "unrecognized arguments: --colour red"),
    (["data", "info", "--bogus"], "unrecognized arguments: --bogus"),
    (["show", "--digit", "x"], "argument --digit: invalid int value: 'x'"),
])
def test_usage_errors_exit_2_with_the_sub_commands_usage(capsys, argv, message):
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own checks (a value of the wrong type) exit from parse_args
        code = e.code
    err = capsys.readouterr().err
    command = " ".join(argv[:2] if argv[0] == "data" else argv[:1])
    assert code == 2 and err.startswith(f"usage: digitlab {command} ")
    assert f"digitlab {command}: error: {message}" in err


def test_help_on_every_command():
    for argv in (["--help"], ["data", "--help"], ["data", "info", "--help"], ["show", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "digitlab", *argv], capture_output=True, text=True)
        assert proc.returncode == 0 and "usage: digitlab" in proc.stdout


def test_console_script_runs():
    exe = shutil.which("digitlab")
    if exe is None:
        pytest.skip("digitlab is not on PATH (package not installed with pip)")
    proc = subprocess.run([exe, "data", "info"], capture_output=True, text=True)
    assert proc.returncode == 0 and "sha256 OK" in proc.stdout
