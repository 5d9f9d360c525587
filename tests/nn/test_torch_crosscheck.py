"""Forward outputs, gradients and one optimizer step agree with torch.nn / torch.optim."""

import numpy as np
import pytest

from digitlab import Sequential, layers, optimizers

torch = pytest.importorskip("torch")
nn = torch.nn


def twin_models(hidden="relu", out="softmax"):
    """A digitlab model and a torch model with the same float32 weights."""
    model = Sequential([layers.Dense(16, activation=hidden, input_shape=(8,)), layers.Dense(5, activation=out)], seed=3)
    model.build()
    act = {"relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh()}[hidden]
    net = nn.Sequential(nn.Linear(8, 16), act, nn.Linear(16, 5))
    with torch.no_grad():
        for lin, layer in zip((net[0], net[2]), (model.layers[0], model.layers[1])):
            lin.weight.copy_(torch.from_numpy(layer.params["kernel"].T.copy()))
            lin.bias.copy_(torch.from_numpy(layer.params["bias"]))
    return model, net


def batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((12, 8)).astype(np.float32), rng.integers(0, 5, 12)


def torch_grads(net):
    return [net[0].weight.grad.T, net[0].bias.grad, net[2].weight.grad.T, net[2].bias.grad]


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
def test_forward_and_gradients_match_cross_entropy(hidden):
    model, net = twin_models(hidden)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = batch()
    loss, probs = model.compute_gradients(x, model._targets(y, len(x)))
    logits = net(torch.from_numpy(x))
    tloss = nn.functional.cross_entropy(logits, torch.from_numpy(y))
    tloss.backward()
    np.testing.assert_allclose(probs, torch.softmax(logits, 1).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert loss == pytest.approx(tloss.item(), rel=1e-5)
    for ours, theirs in zip(model.grads, torch_grads(net)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-6)


def test_binary_and_mse_losses_match():
    x, y = batch()
    targets = np.eye(5, dtype=np.float32)[y]
    for loss, torch_loss, out in [("binary_crossentropy", nn.functional.binary_cross_entropy, "sigmoid"),
                                  ("mse", nn.functional.mse_loss, "sigmoid")]:
        model, net = twin_models("tanh", out)
        model.compile("sgd", loss)
        value, _ = model.compute_gradients(x, targets)
        t = torch_loss(torch.sigmoid(net(torch.from_numpy(x))), torch.from_numpy(targets))
        t.backward()
        assert value == pytest.approx(t.item(), rel=1e-5)
        for ours, theirs in zip(model.grads, torch_grads(net)):
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-6)


OPTIMIZERS = [
    (lambda: optimizers.SGD(0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    (lambda: optimizers.SGD(0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    (lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    # Keras puts RMSprop's epsilon inside the square root and scales Adam's differently from
    # PyTorch; with a negligible epsilon the two formulas are the same update.
    (lambda: optimizers.RMSprop(0.01, epsilon=1e-12), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-12)),
    (lambda: optimizers.Adam(0.01, epsilon=1e-12), lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-12)),
]


@pytest.mark.parametrize("ours, theirs", OPTIMIZERS, ids=["sgd", "momentum", "nesterov", "rmsprop", "adam"])
def test_optimizer_steps_match(ours, theirs):
    model, net = twin_models()
    model.compile(ours(), "sparse_categorical_crossentropy")
    opt = theirs(net.parameters())
    x, y = batch()
    t = model._targets(y, len(x))
    for _ in range(3):  # three steps, so momentum and moment estimates are exercised
        model.compute_gradients(x, t)
        model.optimizer.apply(model.params, model.grads)
        opt.zero_grad()
        nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt.step()
    theirs_w = [net[0].weight.T, net[0].bias, net[2].weight.T, net[2].bias]
    for p, q in zip(model.params, theirs_w):
        np.testing.assert_allclose(p, q.detach().numpy(), rtol=1e-4, atol=1e-5)
