"""The book's helpers (digitlab.tutorials.dlfs) keep its calling conventions, and its numerical
gradient agrees with its layers' backprop."""

import numpy as np
import pytest


def test_one_line_brings_the_books_names_and_numpy():
    namespace = {}
    exec("from digitlab.tutorials.dlfs import *", namespace)
    for name in ("np", "sigmoid", "softmax", "relu", "cross_entropy_error", "mean_squared_error",
                 "numerical_gradient", "Affine", "Relu", "Sigmoid", "SoftmaxWithLoss", "Dropout"):
        assert name in namespace
    namespace = {}
    exec("from digitlab.tutorials.dlfs.layers import *\nfrom digitlab.tutorials.dlfs.gradient import *", namespace)
    assert {"np", "sigmoid", "softmax", "cross_entropy_error", "numerical_gradient"} <= set(namespace)


def test_functions_follow_the_book():
    from digitlab.tutorials.dlfs import cross_entropy_error, mean_squared_error, sigmoid, softmax, step_function

    assert np.allclose(softmax(np.array([0.3, 2.9, 4.0])), [0.01821127, 0.24519181, 0.73659691])
    assert np.allclose(softmax(np.array([[1010.0, 1000, 990]])).sum(), 1.0)  # no overflow
    assert sigmoid(np.array([-1000.0]))[0] == 0.0 and sigmoid(0.0) == 0.5
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    assert mean_squared_error(y, t) == pytest.approx(0.0975)  # the book's worked example
    assert cross_entropy_error(y, t) == pytest.approx(0.510825457099338)
    assert cross_entropy_error(y[None], np.array([2])) == pytest.approx(0.510825457099338)  # labels, not one-hot
    assert list(step_function(np.array([-1.0, 1.0, 2.0]))) == [0, 1, 1]


def test_numerical_gradient_calls_f_with_x_and_restores_it():
    from digitlab.tutorials.dlfs import numerical_gradient

    x = np.array([[3.0, 4.0], [-1.0, 0.5]])
    before = x.copy()
    grad = numerical_gradient(lambda w: float(np.sum(w ** 2)), x)
    assert np.allclose(grad, 2 * before) and np.array_equal(x, before)
    with pytest.raises(TypeError, match="float NumPy array"):
        numerical_gradient(lambda w: 0.0, np.array([1, 2]))


def test_layers_backprop_agrees_with_numerical_gradient():
    """A small two-layer network made of the book's layers: Affine - Relu - Affine - SoftmaxWithLoss."""
    from digitlab.tutorials.dlfs import Affine, Relu, SoftmaxWithLoss, numerical_gradient

    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(0, 0.5, (6, 5)), "b1": rng.normal(0, 0.1, 5),
              "W2": rng.normal(0, 0.5, (5, 3)), "b2": rng.normal(0, 0.1, 3)}
    x, t = rng.normal(size=(4, 6)), np.array([0, 2, 1, 2])
    affine1, relu, affine2, last = Affine(params["W1"], params["b1"]), Relu(), Affine(params["W2"], params["b2"]), SoftmaxWithLoss()

    def loss(_):
        return last.forward(affine2.forward(relu.forward(affine1.forward(x))), t)

    loss(None)
    affine1.backward(relu.backward(affine2.backward(last.backward())))
    analytic = {"W1": affine1.dW, "b1": affine1.db, "W2": affine2.dW, "b2": affine2.db}
    for key, value in params.items():
        numeric = numerical_gradient(loss, value)
        assert np.max(np.abs(numeric - analytic[key])) < 1e-6, key  # central differences: O(h^2) ~ 1e-7 here


def test_legacy_pickle_load_reads_a_file_object_like_pickle_load(tmp_path):
    import pickle

    from digitlab.tutorials import legacy_pickle

    path = tmp_path / "w.pkl"
    path.write_bytes(pickle.dumps({"W1": np.ones((2, 3), np.float32)}))
    with open(path, "rb") as f:
        weights = legacy_pickle.load(f)
    assert weights["W1"].shape == (2, 3)
