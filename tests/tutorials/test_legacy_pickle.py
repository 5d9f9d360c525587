import os
import pickle

import numpy as np
import pytest

from digitlab.errors import DigitlabError
from digitlab.tutorials import UnsafePickleError, book_network, bundled_weights, load_pickled_weights
from digitlab.tutorials import legacy_pickle

from tests.conftest import SHARED

SAMPLE = SHARED / "data" / "dlfs" / "sample_weight.pkl"


class RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_calls_os_system_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"W1": np.zeros(2), "x": RunsACommand(marker)}))
    with pytest.raises(UnsafePickleError, match=r"references (posix|os)\.system"):
        load_pickled_weights(evil)
    assert not marker.exists()


def test_plain_arrays_load_and_garbage_is_a_clear_error(tmp_path):
    good = tmp_path / "w.pkl"
    good.write_bytes(pickle.dumps({"W": np.arange(6, dtype=np.float32).reshape(2, 3)}, protocol=2))
    assert load_pickled_weights(good)["W"].tolist() == [[0, 1, 2], [3, 4, 5]]
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(DigitlabError, match="bad.pkl: not a readable pickle"):
        load_pickled_weights(bad)


@pytest.mark.skipif(not SAMPLE.is_file(), reason="../shared/data/dlfs/sample_weight.pkl is not present")
def test_the_books_pretrained_network_scores_exactly_0_9352():
    from digitlab.datasets.mnist import load_mnist

    model = book_network(load_pickled_weights(SAMPLE))
    _, (x, t) = load_mnist(normalize=True)
    batched = model.predict(x, batch_size=100).argmax(1)
    one_at_a_time = np.array([model.predict(x[i:i + 1]).argmax() for i in range(len(x))])
    assert np.mean(batched == t) == 0.9352
    assert np.mean(one_at_a_time == t) == 0.9352


@pytest.mark.parametrize("name, arrays", [
    ("sample_weight", {"W1": (784, 50), "b1": (50,), "W2": (50, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}),
    ("simple_convnet_params", {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,),
                               "W3": (100, 10), "b3": (10,)}),
    ("deep_convnet_params", {"W1": (16, 1, 3, 3), "W7": (1024, 50), "W8": (50, 10), "b8": (10,)}),
])
def test_the_books_three_weight_files_ship_in_the_package(name, arrays):
    path = bundled_weights(name)
    assert path.parent.name == "dlfs" and (path.parent / "LICENSE").is_file()
    assert "Copyright (c) 2016 Koki Saitoh" in (path.parent / "LICENSE").read_text()
    weights = load_pickled_weights(path)
    for key, shape in arrays.items():
        assert weights[key].shape == shape
    if SHARED.is_dir():  # the same bytes as the book's files the tests share
        assert path.read_bytes() == (SHARED / "data" / "dlfs" / f"{name}.pkl").read_bytes()


def test_a_bundled_file_that_was_altered_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "sample_weight.pkl"
    data = bytearray(bundled_weights("sample_weight").read_bytes())
    data[-20] ^= 1
    copy.write_bytes(bytes(data))
    monkeypatch.setattr(legacy_pickle, "BUNDLED_DIR", tmp_path)
    with pytest.raises(DigitlabError, match="sample_weight.pkl: SHA-256 .* does not match"):
        bundled_weights("sample_weight")
    with pytest.raises(DigitlabError, match="unknown bundled weights 'lenet'"):
        bundled_weights("lenet")


def test_the_shipped_sample_weight_scores_0_9352_without_shared():
    from digitlab.datasets.mnist import load_mnist

    model = book_network(load_pickled_weights(bundled_weights("sample_weight")))
    _, (x, t) = load_mnist(normalize=True)
    assert np.mean(model.predict(x, batch_size=100).argmax(1) == t) == 0.9352
# ---- issue 11, 1: hostile pickles ------------------------------------------------------------------

import codecs  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from digitlab.tutorials import LegacyPickleError  # noqa: E402

try:
    from numpy._core.multiarray import _reconstruct
except ImportError:  # NumPy 1.x
    from numpy.core.multiarray import _reconstruct


class Reduces:
    """Pickles as ``call(*args)`` then ``BUILD state``: how a hostile file would be written."""

    def __init__(self, call, args, state=None):
        self.call, self.args, self.state = call, args, state

    def __reduce__(self):
        return (self.call, self.args) if self.state is None else (self.call, self.args, self.state)


def array_state(shape, dtype, raw):
    return Reduces(_reconstruct, (np.ndarray, (0,), b"b"), (1, shape, np.dtype(dtype), False, raw))


HOSTILE = {
    "object-array": {"W1": array_state((1000,), object, [1])},
    "nested-object-arrays": {"W1": array_state((1,), object, [array_state((1,), object, [[1] * 3])])},
    "object-array-300M": {"W1": Reduces(np.ndarray, ((300_000_000,), np.dtype(object)))},
    "hex-chain": {"W1": Reduces(codecs.encode, (Reduces(codecs.encode, (b"ab", "hex")), "hex"))},
    "unknown-codec": {"W1": Reduces(codecs.encode, ("ab", "no-such-codec"))},
    "1-TiB-shape": {"W1": array_state((1 << 37,), np.float64, b"")},
    "string-dtype": {"W1": array_state((2,), "U1", b"a\0\0\0b\0\0\0")},
    "structured-dtype": {"W1": array_state((1,), [("a", "f4")], b"\0" * 4)},
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_pickles_are_refused_with_one_error_type_in_a_fresh_process(tmp_path, name):
    """Each of these crashed Python (exit 139), took gigabytes, or ended in a traceback."""
    path = tmp_path / "p.pkl"
    path.write_bytes(pickle.dumps(HOSTILE[name], protocol=2))
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))\n"
              "from digitlab.tutorials import LegacyPickleError, load_pickled_weights\n"
              "try:\n    load_pickled_weights(sys.argv[1])\n"
              "except LegacyPickleError as e:\n    print('refused:', e)\n")
    run = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith(f"refused: {path}:"), run.stdout


def test_a_bad_frame_length_is_a_legacy_pickle_error(tmp_path):
    data = bytearray(pickle.dumps({"W1": np.zeros(3)}, protocol=4))
    assert data[2] == pickle.FRAME[0]
    data[3:11] = (1 << 62).to_bytes(8, "little")
    path = tmp_path / "frame.pkl"
    path.write_bytes(bytes(data))
    with pytest.raises(LegacyPickleError, match="frame.pkl: not a readable pickle"):
        load_pickled_weights(path)


def test_repeating_one_array_many_times_is_bounded(tmp_path):
    raw = np.zeros(1 << 20).tobytes()  # 8 MB, stored once, referenced 200 times (1.6 GB)
    path = tmp_path / "memo.pkl"
    path.write_bytes(pickle.dumps({f"W{i}": array_state((1 << 20,), np.float64, raw) for i in range(200)}, protocol=4))
    assert path.stat().st_size < 10 << 20
    with pytest.raises(LegacyPickleError, match="more memory than its size"):
        load_pickled_weights(path)


def test_numeric_arrays_of_every_kind_still_load(tmp_path):
    arrays = {"b": np.array([True, False]), "i": np.arange(3, dtype=">i4"), "u": np.arange(2, dtype=np.uint16),
              "f": np.eye(2, dtype=np.float32), "c": np.array([1 + 2j]), "fortran": np.asfortranarray(np.ones((2, 3)))}
    for protocol in (0, 2, 4):
        path = tmp_path / f"p{protocol}.pkl"
        path.write_bytes(pickle.dumps(arrays, protocol=protocol))
        loaded = load_pickled_weights(path)
        for k, v in arrays.items():
            np.testing.assert_array_equal(loaded[k], v)
            assert loaded[k].dtype == v.dtype


def test_the_cli_names_the_missing_keys(tmp_path, monkeypatch, capsys):
    """Issue 11, 1: a dict without the book's keys ended in KeyError: 'b1' at the CLI."""
    from digitlab.apps.cli import main

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "p.pkl"
    path.write_bytes(pickle.dumps({"W1": np.zeros((784, 50), np.float32)}))
    assert main(["reproduce", "dlfs-pretrained", "--weights", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digitlab: error: ") and "lacks b1, W2, b2, W3, b3" in err and "p.pkl" in err


def test_a_huge_memo_index_is_refused_before_the_unpickler_grows_its_table(tmp_path):
    """Found by the fuzz suite: LONG_BINPUT 1594521953 made the unpickler allocate a 12 GB memo table."""
    data = bytearray(pickle.dumps({"W1": np.zeros(2)}, protocol=2))
    at = data.index(pickle.BINPUT)
    data[at:at + 2] = pickle.LONG_BINPUT + (1594521953).to_bytes(4, "little")
    path = tmp_path / "memo.pkl"
    path.write_bytes(bytes(data))
    with pytest.raises(LegacyPickleError, match="memo index 1594521953"):
        load_pickled_weights(path)
