"""A Dense layer that sees the inputs skips a batch's all-zero inputs in training: its products shrink, and
the optimizers update the kernel from the rows of the gradient that can be non-zero. Same training, less work."""

import numpy as np
import pytest

from digitlab.nn import Sequential, layers, optimizers

RULES = {"sgd": lambda: optimizers.SGD(0.1), "momentum": lambda: optimizers.SGD(0.1, momentum=0.9),
         "nesterov": lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True), "rmsprop": optimizers.RMSprop,
         "adam": optimizers.Adam}


def sparse_batch(rng, n=64, features=100, blank=40):
    x = rng.random((n, features)).astype(np.float32)
    x[:, rng.choice(features, blank, replace=False)] = 0.0  # columns zero in every sample of the batch
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [(300, 256), (30, 8)], ids=["parallel", "serial"])
@pytest.mark.parametrize("rule", RULES)
def test_compiled_row_updates_equal_the_numpy_rule_on_the_full_gradient(rule, size, dtype, monkeypatch):
    rng = np.random.default_rng(0)
    p = rng.standard_normal(size).astype(dtype)
    ours, reference = RULES[rule](), RULES[rule]()
    p_ours, p_ref = p.copy(), p.copy()
    for _ in range(4):  # other rows each step: rows without gradient carry state from earlier steps
        rows = np.sort(rng.choice(size[0], size[0] * 3 // 5, replace=False))
        g = rng.standard_normal((len(rows), size[1])).astype(dtype)
        monkeypatch.setattr(optimizers, "COMPILED", True)
        ours.apply([p_ours], [g], rows=[rows])
        full = np.zeros_like(p)
        full[rows] = g
        monkeypatch.setattr(optimizers, "COMPILED", False)
        reference.apply([p_ref], [full])
    assert np.array_equal(p_ours, p_ref)  # bit for bit, rows without gradient included
    for a, b in zip(ours.state, reference.state):
        assert all(np.array_equal(a[k], b[k]) for k in a)


def test_a_row_gradient_that_does_not_fit_the_state_is_refused_not_written_past():
    opt = optimizers.RMSprop()
    p = np.zeros((10, 8), np.float32)
    opt.apply([p], [np.zeros((10, 8), np.float32)])          # state built for (10, 8)
    bigger = np.zeros((40, 8), np.float32)
    with pytest.raises(ValueError):                         # the NumPy rule's shape error, not memory past v
        opt.apply([bigger], [np.ones((3, 8), np.float32)], rows=[np.array([1, 20, 39])])
    with pytest.raises(ValueError):
        opt.apply([p], [np.ones((3, 4), np.float32)], rows=[np.array([1, 2, 3])])  # rows too short


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


@pytest.mark.parametrize("rule", ["momentum", "rmsprop", "adam"])
def test_fit_trains_as_without_skipping_and_leaves_the_model_as_it_was(rule, monkeypatch):
    rng = np.random.default_rng(3)
    x = np.vstack([sparse_batch(rng, 32) for _ in range(8)])  # other inputs blank in each batch of 32 ...
    x[0] = 1.0  # ... and none blank in every sample (so fit's own skipping of always-blank inputs stays off)
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
        model.compile(optimizer=RULES[rule](), loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=32, epochs=2, verbose=0, shuffle=False)
        monkeypatch.undo()
        return model

    skipping = trained(True)
    assert sum(took) == 14 and len(took) == 16  # all steps but the two of the first batch (x[0] is all ones)
    plain = trained(False)
    for a, b in zip(skipping.params, plain.params):
        assert np.allclose(a, b, atol=1e-5)
    first = skipping.layers[0]
    assert not first.row_sparse and first.sparse_grads == {}
