"""The optimizers update large parameters block by block on two threads: the result must equal, bit for
bit, the NumPy rule applied to the whole array at once on one thread (the reference)."""

import numpy as np
import pytest

from digitlab.nn import optimizers

RULES = [lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True), lambda: optimizers.RMSprop(0.001),
         lambda: optimizers.Adam(0.001), lambda: optimizers.Adam(optimizers.ExponentialDecay(0.01, 2, 0.5))]


@pytest.mark.parametrize("make", RULES, ids=["nesterov", "rmsprop", "adam", "adam-schedule"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 2])
def test_threaded_block_updates_equal_the_whole_array_rule(make, dtype, threads, monkeypatch):
    monkeypatch.setattr(optimizers, "THREADS", threads)  # one thread is the default; two is the option
    rng = np.random.default_rng(0)
    shapes = [(784, 512), (512,), (1000, 300), (10,)]
    params = [rng.standard_normal(s).astype(dtype) for s in shapes]
    reference = [p.copy() for p in params]
    threaded, single = make(), make()
    calls = []
    real = optimizers._run_blocks
    monkeypatch.setattr(optimizers, "_run_blocks", lambda update, blocks, lr: (calls.append(len(blocks)),
                                                                                real(update, blocks, lr)))
    for step in range(3):
        grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
        threaded.apply(params, grads)
        lr = single.current_learning_rate()
        single.iterations += 1
        if not single.state:
            single.build(reference)
        for p, g, s in zip(reference, grads, single.state):
            single.update(p, g, s, lr)  # the rule on each whole array, no blocks, no threads
    for a, b in zip(params, reference):
        np.testing.assert_array_equal(a, b)
    assert min(calls) > 4  # the large parameters really were split into blocks


def test_blocks_are_even():
    p = np.zeros((784, 512), np.float32)
    sizes = [b[0].shape[0] for b in optimizers._blocks(p, p, {})]
    assert sum(sizes) == 784 and max(sizes) - min(sizes) <= 1 and len(sizes) > 1
