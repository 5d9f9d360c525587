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
