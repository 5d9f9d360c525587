"""The optimizers update parameters by a compiled kernel (one pass, Numba) or, without it, block by block
on one or two threads: the result must equal, bit for bit, the NumPy rule applied to the whole array at
once on one thread (the reference)."""

import numpy as np
import pytest

from digitlab.nn import optimizers

RULES = [lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True), lambda: optimizers.RMSprop(0.001),
         lambda: optimizers.Adam(0.001), lambda: optimizers.Adam(optimizers.ExponentialDecay(0.01, 2, 0.5)),
         lambda: optimizers.SGD(0.1, momentum=0.5, decay=0.01), lambda: optimizers.SGD(0.1)]
IDS = ["nesterov", "rmsprop", "adam", "adam-schedule", "momentum-decay", "sgd"]


@pytest.mark.parametrize("make", RULES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 2])
def test_threaded_block_updates_equal_the_whole_array_rule(make, dtype, threads, monkeypatch):
    monkeypatch.setattr(optimizers, "COMPILED", False)
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


@pytest.mark.parametrize("make", RULES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("parallel_min", [1 << 15, 1])
def test_compiled_updates_equal_the_numpy_rule(make, dtype, parallel_min, monkeypatch):
    kernels = pytest.importorskip("digitlab.nn.optimizer_kernels")
    monkeypatch.setattr(kernels, "PARALLEL_MIN", parallel_min)  # 1: every parameter on the parallel kernel
    calls = []
    real = kernels.run
    monkeypatch.setattr(kernels, "run", lambda name, arrays, scalars: (calls.append(name), real(name, arrays, scalars)))
    rng = np.random.default_rng(1)
    shapes = [(784, 512), (512,), (3, 3, 32, 64), (10,)]
    params = [rng.standard_normal(s).astype(dtype) for s in shapes]
    reference = [p.copy() for p in params]
    compiled, numpy_rule = make(), make()
    for step in range(4):
        grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
        grads[1][:5] = 0  # zero gradients too (the first Adam and RMSprop steps divide by sqrt(eps))
        compiled.apply(params, grads)
        lr = numpy_rule.current_learning_rate()
        numpy_rule.iterations += 1
        if not numpy_rule.state:
            numpy_rule.build(reference)
        for p, g, s in zip(reference, grads, numpy_rule.state):
            numpy_rule.update(p, g, s, lr)
    for a, b in zip(params, reference):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
    for a, b in zip(compiled.state, numpy_rule.state):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert len(calls) == 4 * len(shapes)  # the compiled kernel did every update


@pytest.mark.parametrize("parallel_min", [1 << 15, 1])
def test_a_zero_divisor_gives_nan_as_numpy_does_not_an_exception(parallel_min, monkeypatch):
    """RMSprop with epsilon 0 on a zero gradient divides 0 by 0: the kernels follow NumPy (nan, no
    ZeroDivisionError), which is also what lets their loops vectorise (see nn/_numba.py)."""
    kernels = pytest.importorskip("digitlab.nn.optimizer_kernels")
    monkeypatch.setattr(kernels, "PARALLEL_MIN", parallel_min)
    params, grads = [np.ones((4, 3), np.float32)], [np.zeros((4, 3), np.float32)]
    grads[0][0, 0] = 2.0
    compiled, numpy_rule = optimizers.RMSprop(0.1, epsilon=0.0), optimizers.RMSprop(0.1, epsilon=0.0)
    compiled.apply(params, grads)
    monkeypatch.setattr(optimizers, "COMPILED", False)
    reference = [np.ones((4, 3), np.float32)]
    with np.errstate(invalid="ignore"):
        numpy_rule.apply(reference, grads)
    np.testing.assert_array_equal(params[0], reference[0])
    assert np.isnan(params[0][1, 1]) and np.isfinite(params[0][0, 0])
