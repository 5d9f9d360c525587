"""A Dense layer that sees the inputs skips a batch's all-zero inputs in training: its products shrink, and
the optimizers update the kernel from the rows of the gradient that can be non-zero. Same training, less work."""

import numpy as np
import pytest

from digitlab.nn import Sequential, layers, optimizers


def sparse_batch(rng, n=64, features=100, blank=40):
    x = rng.random((n, features)).astype(np.float32)
    x[:, rng.choice(features, blank, replace=False)] = 0.0  # columns zero in every sample of the batch
    return x


@pytest.mark.parametrize("make", [lambda: optimizers.SGD(0.1), lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
                                  lambda: optimizers.RMSprop(), lambda: optimizers.Adam()],
                         ids=["sgd", "nesterov", "rmsprop", "adam"])
def test_compiled_row_updates_equal_the_numpy_rule_on_the_full_gradient(make, monkeypatch):
    rng = np.random.default_rng(0)
    p = rng.standard_normal((300, 256)).astype(np.float32)   # large enough for the parallel kernels
    rows = np.sort(rng.choice(300, 180, replace=False))
    steps = [rng.standard_normal((180, 256)).astype(np.float32) for _ in range(3)]
    ours, reference = make(), make()
    p_ours, p_ref = p.copy(), p.copy()
    for g in steps:
        monkeypatch.setattr(optimizers, "COMPILED", True)
        ours.apply([p_ours], [g], rows=[rows])
        full = np.zeros_like(p)
        full[rows] = g
        monkeypatch.setattr(optimizers, "COMPILED", False)
        reference.apply([p_ref], [full])
    assert np.array_equal(p_ours, p_ref)  # bit for bit, rows without gradient included
    for a, b in zip(ours.state, reference.state):
        assert all(np.array_equal(a[k], b[k]) for k in a)


def test_the_layer_skips_zero_inputs_and_gives_the_same_output_and_gradient():
    rng = np.random.default_rng(1)
    x = sparse_batch(rng)
    layer = layers.Dense(32, activation="relu")
    layer.build((100,), rng, np.float32)
    layer.needs_input_grad = False
    dense_y = layer.forward(x, training=True).copy()
    layer.backward(np.ones_like(dense_y))
    dense_grad = layer.grads["kernel"].copy()
    layer.row_sparse = True
    y = layer.forward(x, training=True)
    assert np.allclose(y, dense_y, atol=1e-5)
    layer.backward(np.ones_like(y))
    rows, g = layer.sparse_grads["kernel"]
    assert np.array_equal(rows, np.flatnonzero(x.any(axis=0))) and len(rows) == 60
    assert np.allclose(g, dense_grad[rows], atol=1e-4)
    assert not dense_grad[np.setdiff1d(np.arange(100), rows)].any()  # what was skipped is zero indeed


def test_a_batch_with_few_zero_inputs_takes_the_dense_path():
    rng = np.random.default_rng(2)
    layer = layers.Dense(8)
    layer.build((100,), rng, np.float32)
    layer.needs_input_grad, layer.row_sparse = False, True
    y = layer.forward(sparse_batch(rng, blank=5), training=True)
    layer.backward(np.ones_like(y))
    assert layer.sparse_grads == {}


def test_fit_trains_as_without_skipping_and_leaves_the_model_as_it_was(monkeypatch):
    rng = np.random.default_rng(3)
    x = sparse_batch(rng, 256)  # the same 40 inputs are zero in every sample
    y = rng.integers(0, 4, len(x))

    took = []
    apply = optimizers.Optimizer.apply

    def spy(self, params, grads, rows=None):
        took.append(rows is not None and rows[0] is not None)
        return apply(self, params, grads, rows)

    def trained(row_sparse):
        monkeypatch.setattr(optimizers.Optimizer, "apply", spy)
        if not row_sparse:
            monkeypatch.setattr(layers.Dense, "_active_inputs", lambda self, x, kernel: (x, kernel))
        model = Sequential([layers.Dense(16, activation="relu", input_shape=(100,)), layers.Dense(4, activation="softmax")], seed=0)
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=32, epochs=2, verbose=0)
        monkeypatch.undo()
        return model

    skipping = trained(True)
    assert all(took) and len(took) == 16  # every step's first kernel came as the rows of its batch's inputs
    plain = trained(False)
    for a, b in zip(skipping.params, plain.params):
        assert np.allclose(a, b, atol=1e-5)
    first = skipping.layers[0]
    assert not first.row_sparse and first.sparse_grads == {}
