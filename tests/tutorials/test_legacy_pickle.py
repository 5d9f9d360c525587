import os
import pickle

import numpy as np
import pytest

from digitlab.errors import DigitlabError
from digitlab.tutorials import UnsafePickleError, book_network, load_pickled_weights

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
