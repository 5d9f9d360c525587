import numpy as np
import pytest

from digitlab.nn.gradcheck import relative_error
from digitlab.tutorials import TwoLayerNet
from digitlab.tutorials.two_layer_net import train
from digitlab.utils import to_categorical


@pytest.fixture(scope="module")
def data(mnist_data):
    (x, y), (xt, yt) = mnist_data
    return (x.reshape(len(x), -1) / 255.0, y), (xt.reshape(len(xt), -1) / 255.0, yt)


def trained_a_little(data, hidden=50, steps=50):
    (x, t), _ = data
    net = TwoLayerNet(784, hidden, 10, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(steps):  # away from the tiny initial weights, so every gradient is informative
        m = rng.choice(len(x), 100)
        g = net.gradient(x[m], t[m])
        for k in g:
            net.params[k] -= 0.5 * g[k]
    return net


def test_the_books_attributes_and_methods(data):
    (x, t), _ = data
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    assert {k: v.shape for k, v in net.params.items()} == {"W1": (784, 50), "b1": (50,), "W2": (50, 10), "b2": (10,)}
    assert not net.params["b1"].any() and 0.005 < net.params["W1"].std() < 0.015
    y = net.predict(x[:5])
    assert y.shape == (5, 10) and np.allclose(y.sum(axis=1), 1)
    assert net.loss(x[:5], t[:5]) == pytest.approx(np.log(10), abs=0.05)
    assert net.loss(x[:5], to_categorical(t[:5], 10)) == net.loss(x[:5], t[:5])
    assert 0 <= net.accuracy(x[:100], t[:100]) <= 1


def test_params_are_the_live_weights(data):
    (x, t), _ = data
    net = TwoLayerNet(784, 10, 10, seed=1)
    before = net.loss(x[:100], t[:100])
    grad = net.gradient(x[:100], t[:100])
    for key in ("W1", "b1", "W2", "b2"):
        net.params[key] -= 1.0 * grad[key]
    assert net.loss(x[:100], t[:100]) < before


def test_numerical_gradient_agrees_with_backprop(data):
    (x, t), _ = data
    net = trained_a_little(data)
    numerical, backprop = net.numerical_gradient(x[:100], t[:100]), net.gradient(x[:100], t[:100])
    for key in net.params:
        assert relative_error(numerical[key], backprop[key]) < 1e-6, key


def test_local_differences_equal_the_books_loop(data):
    (x, t), _ = data
    net = trained_a_little(data, hidden=4)
    fast, naive = net.numerical_gradient(x[:30], t[:30]), net.numerical_gradient_naive(x[:30], t[:30])
    for key in net.params:
        assert relative_error(fast[key], naive[key]) < 1e-7, key
    # a pixel that is zero in every sample of the batch gets exactly zero, as in the book's loop
    blank = ~x[:30].any(axis=0)
    assert blank.any() and not fast["W1"][blank].any() and not naive["W1"][blank].any()


def test_the_seeds_loop_learns(data):
    (x, t), (xt, tt) = data
    net = TwoLayerNet(784, 50, 10, seed=0)
    lines = []
    history = train(net, x, t, xt[:2000], tt[:2000], iters=1200, log=lines.append)
    assert len(history["loss"]) == 1200 and len(history["test_acc"]) == 3  # iterations 1, 601 and 1200
    assert history["test_acc"][-1] > 0.8
    assert lines[0].startswith("iteration      1: train acc, test acc | ")
