"""A convolutional network agrees with torch.nn.functional: forward outputs, the loss, every gradient
(and dL/dx), batch norm's running mean, and three Adam steps. Kernels (KH, KW, C, F) become PyTorch's
(F, C, KH, KW); images (N, H, W, C) become (N, C, H, W)."""

import numpy as np
import pytest

from digitlab import Sequential, layers, optimizers

torch = pytest.importorskip("torch")
F = torch.nn.functional


def our_model(dtype):
    model = Sequential([
        layers.Conv2D(6, 3, strides=2, padding="same", use_bias=False, input_shape=(13, 11, 2)),
        layers.BatchNormalization(momentum=0.9),
        layers.Activation("relu"),
        layers.MaxPooling2D(2),                                    # 7x6 -> 3x3, the odd row dropped
        layers.Conv2D(8, (3, 2), padding="same", activation="tanh"),
        layers.AveragePooling2D(2, strides=1),                     # overlapping windows
        layers.Flatten(),
        layers.Dense(5, activation="softmax"),
    ], dtype=dtype, seed=0)
    model.build()
    return model


def torch_forward(model, params, x):
    """The same network in PyTorch, reading our layers' hyperparameters and the given torch weights."""
    conv1, bn, _, _, conv2, _, _, _ = model.layers
    k1, gamma, beta, k2, b2, w, b = params
    t, bt, l, r = conv1.pads
    h = F.conv2d(F.pad(x.permute(0, 3, 1, 2), (l, r, t, bt)), k1.permute(3, 2, 0, 1), stride=2)
    running_mean = torch.zeros(6, dtype=x.dtype)
    h = F.batch_norm(h, running_mean, torch.ones(6, dtype=x.dtype), gamma, beta, training=True, momentum=0.1, eps=1e-3)
    h = F.max_pool2d(F.relu(h), 2)
    t, bt, l, r = conv2.pads
    h = torch.tanh(F.conv2d(F.pad(h, (l, r, t, bt)), k2.permute(3, 2, 0, 1), b2))
    h = F.avg_pool2d(h, 2, stride=1)
    logits = h.permute(0, 2, 3, 1).reshape(len(x), -1) @ w + b  # flattened channels-last, as Flatten does
    return logits, running_mean


def twins(dtype="float64"):
    model = our_model(dtype)
    params = [torch.tensor(p, requires_grad=True) for p in model.params]
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 13, 11, 2)).astype(dtype)
    y = rng.integers(0, 5, 4)
    return model, params, x, y


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-9), ("float32", 2e-4)])
def test_forward_loss_and_gradients_match(dtype, rtol):
    model, params, x, y = twins(dtype)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.layers[0].needs_input_grad = True  # so the first layer also returns dL/dx, to compare
    loss, probs = model.compute_gradients(x, model._targets(y, len(x)))
    dy = model.layers[-1].backward_preactivation(model.loss.fused_gradient(probs, model._targets(y, len(x))))
    for layer in reversed(model.layers[:-1]):
        dy = layer.backward(dy)
    tx = torch.tensor(x, requires_grad=True)
    logits, running_mean = torch_forward(model, params, tx)
    tloss = F.cross_entropy(logits, torch.from_numpy(y))
    tloss.backward()
    np.testing.assert_allclose(probs, torch.softmax(logits, 1).detach().numpy(), rtol=rtol, atol=rtol)
    assert loss == pytest.approx(tloss.item(), rel=rtol)
    for name, ours, theirs in zip(model.named_params(), model.grads, params):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=rtol * 10, atol=rtol, err_msg=name)
    np.testing.assert_allclose(dy, tx.grad.numpy(), rtol=rtol * 10, atol=rtol)
    # the moving mean moved as PyTorch's running mean does (momentum 0.9 in Keras = 0.1 in PyTorch)
    np.testing.assert_allclose(model.layers[1].state["moving_mean"], running_mean.numpy(), rtol=rtol, atol=rtol)


def test_three_adam_steps_match():
    model, params, x, y = twins()
    model.compile(optimizers.Adam(0.01, epsilon=1e-12), "sparse_categorical_crossentropy")
    opt = torch.optim.Adam(params, lr=0.01, eps=1e-12)
    t = model._targets(y, len(x))
    for _ in range(3):
        model.compute_gradients(x, t)
        model.optimizer.apply(model.params, model.grads)
        opt.zero_grad()
        F.cross_entropy(torch_forward(model, params, torch.from_numpy(x))[0], torch.from_numpy(y)).backward()
        opt.step()
    for name, ours, theirs in zip(model.named_params(), model.params, params):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-7, atol=1e-9, err_msg=name)


def test_inference_uses_the_moving_statistics_like_torch_eval():
    model, params, x, _ = twins()
    bn = model.layers[1]
    bn.state["moving_mean"][...] = np.linspace(-1, 1, 6)
    bn.state["moving_variance"][...] = np.linspace(0.5, 2, 6)
    h = np.random.default_rng(8).standard_normal((3, 4, 4, 6))
    theirs = F.batch_norm(torch.from_numpy(h).permute(0, 3, 1, 2), torch.from_numpy(bn.state["moving_mean"]),
                          torch.from_numpy(bn.state["moving_variance"]), params[1].detach(), params[2].detach(),
                          training=False, eps=1e-3)
    np.testing.assert_allclose(bn.forward(h, training=False), theirs.permute(0, 2, 3, 1).numpy(), rtol=1e-12)
