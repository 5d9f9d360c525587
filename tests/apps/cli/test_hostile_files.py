"""Issue 11, 5 and 7: FIFOs, devices and malformed label files are one-line errors, never a hang or a traceback."""

import gzip
import os
import threading

import numpy as np
import pytest
from PIL import Image

from digitlab.apps.cli import main
from digitlab.idx import write_idx


def finishes(call, seconds=30.0):
    """call()'s result, asserting it returns within ``seconds`` (a hang fails the test instead of blocking it)."""
    out = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: hangs"
    return out[0]


@pytest.fixture
def specials(tmp_path):
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.png"
    zero.symlink_to("/dev/zero")
    urandom = tmp_path / "urandom.safetensors"
    urandom.symlink_to("/dev/urandom")
    return fifo, zero, urandom


def test_predict_refuses_fifos_and_devices_and_reads_the_rest(tmp_path, specials, capsys):
    good = tmp_path / "one.png"
    img = Image.new("L", (100, 100), 255)
    img.paste(0, (45, 15, 55, 85))
    img.save(good)
    fifo, zero, _ = specials
    assert finishes(lambda: main(["predict", str(fifo), str(zero), str(good), "--json"])) == 1
    captured = capsys.readouterr()
    assert '"label": 1' in captured.out
    assert captured.out.count("not a regular file") == 2


def test_a_batch_with_a_fifo_in_it_is_not_lost(tmp_path, specials, capsys):
    """33 files go to worker processes: one FIFO among them used to block the whole batch forever."""
    img = Image.new("L", (100, 100), 255)
    img.paste(0, (45, 15, 55, 85))
    files = []
    for i in range(33):
        files.append(tmp_path / f"{i:02d}.png")
        img.save(files[-1])
    fifo, _, _ = specials
    assert finishes(lambda: main(["predict", *map(str, files), str(fifo), "--json"])) == 1
    out = capsys.readouterr().out
    assert out.count('"label": 1') == 33 and "not a regular file" in out


@pytest.mark.parametrize("which", [0, 1, 2])
def test_evaluate_refuses_a_model_that_is_a_fifo_or_device(specials, capsys, which):
    assert finishes(lambda: main(["evaluate", str(specials[which])])) == 1
    err = capsys.readouterr().err
    assert err.startswith("digitlab: error: ") and "not a regular file" in err


def _dataset_dir(tmp_path, train_labels, test_labels=None):
    d = tmp_path / "data"
    d.mkdir()
    write_idx(d / "train-images-idx3-ubyte.gz", np.zeros((len(train_labels), 28, 28), np.uint8))
    write_idx(d / "train-labels-idx1-ubyte.gz", train_labels)
    test_labels = np.zeros(2, np.uint8) if test_labels is None else test_labels
    write_idx(d / "t10k-images-idx3-ubyte.gz", np.zeros((len(test_labels), 28, 28), np.uint8))
    write_idx(d / "t10k-labels-idx1-ubyte.gz", test_labels)
    return d


@pytest.mark.parametrize("labels", [np.array([0.5, 1.0], np.float32), np.array([-1, 3], np.int8),
                                    np.array([2 ** 31 - 1, 0], np.int32)], ids=["float", "negative", "int32-max"])
def test_data_info_refuses_labels_that_are_not_class_indices(tmp_path, capsys, labels):
    """Float or signed labels raised TypeError/ValueError; one label of 2**31-1 made bincount take 16 GiB."""
    d = _dataset_dir(tmp_path, labels)
    assert main(["data", "info", "--path", str(d)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digitlab: error: ") and "train-labels-idx1-ubyte.gz: labels" in err and "0-9" in err


def test_data_info_refuses_a_fifo_in_place_of_a_file(tmp_path, capsys):
    d = _dataset_dir(tmp_path, np.zeros(2, np.uint8))
    (d / "t10k-labels-idx1-ubyte.gz").unlink()
    os.mkfifo(d / "t10k-labels-idx1-ubyte.gz")
    assert finishes(lambda: main(["data", "info", "--path", str(d)])) == 1
    assert "not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"[" * 100_000, b'{"batch_loss": [[1]], "loss": [1]}',
                                     b'{"batch_loss": [1], "loss": [1], "accuracy": ["x"]}', b"\xff\xfe"])
def test_plot_refuses_malformed_histories_in_one_line(tmp_path, capsys, content):
    path = tmp_path / "m.history.json"
    path.write_bytes(content)
    assert main(["plot", str(path)]) == 1
    assert capsys.readouterr().err.startswith(f"digitlab: error: {path}: ")


def test_plot_refuses_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "m.history.json"
    os.mkfifo(fifo)
    assert finishes(lambda: main(["plot", str(fifo)])) == 1
    assert "not a regular file" in capsys.readouterr().err


def test_a_file_name_with_a_newline_or_escape_still_gets_one_error_line(tmp_path, capsys):
    bad = tmp_path / "two\nlines\x1b[31m.png"
    bad.write_bytes(b"not an image")
    assert main(["predict", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and "two\\nlines\\x1b[31m.png" in err
