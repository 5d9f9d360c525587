"""Backprop against central differences, in float64, for every combination of
hidden activation, output/loss pairing, regularizer and dropout."""

import itertools

import numpy as np
import pytest

from digitlab import Sequential, layers, regularizers
from digitlab.nn.gradcheck import gradient_check, numerical_gradient, relative_error

HIDDEN = ["sigmoid", "relu", "tanh", "softmax", "linear"]
# (output activation, loss): the fused pairs and the unfused paths
HEADS = [
    ("softmax", "categorical_crossentropy"),
    ("softmax", "sparse_categorical_crossentropy"),
    ("linear", "cce_logits"),
    ("sigmoid", "binary_crossentropy"),
    ("sigmoid", "logistic"),
    ("linear", "mean_squared_error"),
    ("softmax", "mean_squared_error"),
    ("sigmoid", "mean_squared_error"),
    ("tanh", "mean_squared_error"),
]
REGULARIZERS = [None, regularizers.L1(0.01), regularizers.L2(0.01), regularizers.L1L2(0.01, 0.02)]


def build(hidden, head, reg, dropout, separate_activation=False):
    from digitlab.nn.losses import CategoricalCrossentropy

    out_act, loss = head
    model = Sequential(dtype="float64", seed=0)
    model.add(layers.Dense(6, activation=None if separate_activation else hidden, input_shape=(5,),
                           kernel_regularizer=reg))
    if separate_activation:
        model.add(layers.Activation(hidden))
    if dropout:
        model.add(layers.Dropout(0.3))
    model.add(layers.Dense(4, activation=out_act, kernel_regularizer=reg))
    model.compile("sgd", CategoricalCrossentropy(from_logits=True) if loss == "cce_logits" else loss)
    return model


def data(loss):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 5))
    labels = rng.integers(0, 4, 7)
    if loss in ("binary_crossentropy", "logistic", "mean_squared_error"):
        return x, rng.uniform(0.05, 0.95, (7, 4)) if loss == "mean_squared_error" else np.eye(4)[labels]
    return x, labels


@pytest.mark.parametrize("hidden, head, reg, dropout",
                         list(itertools.product(HIDDEN, HEADS, REGULARIZERS, [False, True])))
def test_backprop_matches_numerical_gradient(hidden, head, reg, dropout):
    model = build(hidden, head, reg, dropout)
    x, y = data(head[1])
    errors = gradient_check(model, x, y)
    assert set(errors) == {"dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias"}
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("hidden", HIDDEN)
def test_activation_layer_and_flatten(hidden):
    model = Sequential([layers.Flatten(input_shape=(2, 3)), layers.Dense(5), layers.Activation(hidden),
                        layers.Dense(3), layers.Activation("softmax")], dtype="float64", seed=0)
    model.compile("adam", "categorical_crossentropy")
    rng = np.random.default_rng(2)
    errors = gradient_check(model, rng.standard_normal((4, 2, 3)), rng.integers(0, 3, 4))
    assert max(errors.values()) < 1e-6, errors


def test_the_check_detects_a_wrong_gradient(monkeypatch):
    """A broken backward rule must show up as a large error (the check can fail)."""
    model = build("tanh", HEADS[0], None, False)
    monkeypatch.setattr(model.layers[0], "_act_backward", lambda y, dy: dy * (1 - y))  # wrong derivative
    x, y = data("categorical_crossentropy")
    errors = gradient_check(model, x, y)
    assert errors["dense.kernel"] > 1e-2


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 3.0])
    g = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-8)
    assert x.tolist() == [1.0, -2.0, 3.0]  # restored exactly
    assert relative_error(g, 3 * x**2) < 1e-9


def test_a_float32_model_is_checked_in_float64_and_left_untouched():
    """Issue 11, 10: on a default (float32) model the check reported 5% errors on a correct network."""
    model = Sequential([layers.Dense(16, activation="sigmoid", input_shape=(20,)),
                        layers.Dense(10, activation="softmax")], seed=0)  # float32, the default
    model.compile("sgd", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    x, y = rng.random((8, 20)), rng.integers(0, 10, 8)
    before = model.get_weights()
    errors = gradient_check(model, x, y)
    assert max(errors.values()) < 1e-6, errors
    assert model.dtype == np.float32 and all(p.dtype == np.float32 for p in model.params)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
