"""``TwoLayerNet`` from "Deep Learning from Scratch" (seed 003): sigmoid hidden layer, softmax output.

The book trains it with numerical gradients: two full forward passes for each
of its 39,760 weights, every iteration (the seed took 50 hours for 10,000
iterations). ``numerical_gradient`` here takes the same central differences,
``(L(w + h) - L(w - h)) / 2h`` with h = 1e-4, but recomputes only what a
perturbed weight changes:

- W1[i, j] and b1[j] change hidden unit j only, and W1[i, j] only in samples
  whose pixel i is not zero (L is the mean of per-sample losses, so a sample
  whose output does not move adds exactly zero to L(w + h) - L(w - h));
- W2[j, k] and b2[k] change output k only.

Each perturbed loss is still evaluated in full from the perturbed outputs
(softmax and cross-entropy), so this is the numerical method, not backprop in
disguise; ``numerical_gradient_naive`` is the book's loop, for comparison.
"""

from __future__ import annotations

import time

import numpy as np

from ..nn import Sequential, layers, optimizers
from ..nn.activations import sigmoid
from ..nn.gradcheck import numerical_gradient as central_differences
from ..nn.losses import EPSILON

H = 1e-4  # the book's step for central differences
_LOG_CLIP = (np.log(EPSILON), np.log1p(-EPSILON))  # the engine's loss clips probabilities to [eps, 1 - eps]


def per_sample_loss(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Cross-entropy of softmax(logits) against integer labels. logits (..., K), labels broadcastable to (...)."""
    m = logits.max(axis=-1, keepdims=True)
    log_z = m[..., 0] + np.log(np.exp(logits - m).sum(axis=-1))
    picked = np.take_along_axis(logits, np.broadcast_to(labels, log_z.shape)[..., None], axis=-1)[..., 0]
    return -np.clip(picked - log_z, *_LOG_CLIP)


def local_numerical_gradient(x, labels, W1, b1, W2, b2, h: float = H, chunk: int = 10) -> dict[str, np.ndarray]:
    """Central differences of the mean cross-entropy for every weight, recomputing only what each weight changes.

    x (B, D), labels (B,), W1 (D, J), b1 (J,), W2 (J, K), b2 (K,). Returns grads shaped like the weights.
    """
    B, K = len(x), W2.shape[1]
    a1 = x @ W1 + b1                                    # (B, J)
    z1 = sigmoid(a1)
    a2 = z1 @ W2 + b2                                   # (B, K)
    eye = np.eye(K)

    def difference(perturbed_logits, t):                # sum over samples of loss(+h) - loss(-h)
        plus, minus = (per_sample_loss(perturbed_logits(s), t) for s in (h, -h))
        return plus - minus

    grads = {}
    rows, cols = np.nonzero(x)                          # the pixels that are not zero: P of them
    xv, t_rows = x[rows, cols], labels[rows]
    dW1 = np.zeros_like(W1)
    for j in range(0, W1.shape[1], chunk):
        J = slice(j, j + chunk)
        base = a1[rows, J]                              # (P, c): hidden pre-activations of the samples involved
        def perturbed(s, J=J, base=base):              # (P, c, K): outputs with W1[col, j] moved by s
            dz = sigmoid(base + s * xv[:, None]) - z1[rows, J]
            return a2[rows][:, None, :] + dz[:, :, None] * W2[J][None]
        per_pair = np.zeros((B, x.shape[1], base.shape[1]))
        per_pair[rows, cols] = difference(perturbed, t_rows[:, None])
        dW1[:, J] = per_pair.sum(axis=0)
    grads["W1"] = dW1

    def hidden_shift(s):                                # (B, J, K): outputs with b1[j] moved by s
        return a2[:, None, :] + (sigmoid(a1 + s) - z1)[:, :, None] * W2[None]
    grads["b1"] = difference(hidden_shift, labels[:, None]).sum(axis=0)

    def output_weight(s):                               # (B, J, K, K): outputs with W2[j, k] moved by s
        return a2[:, None, None, :] + s * z1[:, :, None, None] * eye
    grads["W2"] = difference(output_weight, labels[:, None, None]).sum(axis=0)

    def output_bias(s):                                 # (B, K, K): outputs with b2[k] moved by s
        return a2[:, None, :] + s * eye
    grads["b2"] = difference(output_bias, labels[:, None]).sum(axis=0)
    return {k: g / (2 * h * B) for k, g in grads.items()}


class TwoLayerNet:
    """The book's API on the engine: ``params`` holds the live weight arrays of a float64 Sequential.

    >>> net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    >>> grad = net.gradient(x_batch, t_batch)            # backprop; net.numerical_gradient(...) agrees
    >>> for key in ("W1", "b1", "W2", "b2"):
    ...     net.params[key] -= 0.1 * grad[key]
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, weight_init_std: float = 0.01,
                 seed: int | None = None):
        self.model = Sequential([layers.Dense(hidden_size, activation="sigmoid", input_shape=(input_size,)),
                                 layers.Dense(output_size, activation="softmax")],
                                name="two_layer_net", dtype="float64", seed=seed)
        self.model.build()
        rng = np.random.default_rng(seed)
        self.model.set_weights([weight_init_std * rng.standard_normal((input_size, hidden_size)), np.zeros(hidden_size),
                                weight_init_std * rng.standard_normal((hidden_size, output_size)), np.zeros(output_size)])
        self.model.compile(optimizer=optimizers.SGD(0.1), loss="categorical_crossentropy")
        (k1, b1), (k2, b2) = (layer.params.values() for layer in self.model.layers)
        self.params = {"W1": k1, "b1": b1, "W2": k2, "b2": b2}  # the model's own arrays: updating them trains it

    def _data(self, x, t) -> tuple[np.ndarray, np.ndarray]:
        """x as float64 (N, D) and t as integer labels (N,) (one-hot rows accepted)."""
        x = self.model._inputs(x)
        t = np.asarray(t)
        return x, (t.argmax(axis=1) if t.ndim == 2 else t)

    def predict(self, x) -> np.ndarray:
        """Softmax probabilities (N, output_size)."""
        return self.model.predict(x)

    def loss(self, x, t) -> float:
        """Mean cross-entropy over the batch; t integer labels or one-hot."""
        x, labels = self._data(x, t)
        return self.model.loss(self.model.forward(x), self.model._targets(labels, len(x)))

    def accuracy(self, x, t) -> float:
        x, labels = self._data(x, t)
        return float(np.mean(self.predict(x).argmax(axis=1) == labels))

    def gradient(self, x, t) -> dict[str, np.ndarray]:
        """Backprop gradients of ``loss``."""
        x, labels = self._data(x, t)
        self.model.compute_gradients(x, self.model._targets(labels, len(x)))
        return {name: g.copy() for name, g in zip(self.params, self.model.grads)}

    def numerical_gradient(self, x, t) -> dict[str, np.ndarray]:
        """Central differences of ``loss`` (h = 1e-4), recomputing only what each weight changes."""
        x, labels = self._data(x, t)
        return local_numerical_gradient(x, labels, *self.params.values())

    def numerical_gradient_naive(self, x, t, keys=("W1", "b1", "W2", "b2")) -> dict[str, np.ndarray]:
        """The book's loop: every weight in turn, two full forward passes each."""
        loss = self.loss_function(x, t)
        return {k: central_differences(loss, self.params[k], eps=H) for k in keys}

    def loss_function(self, x, t):
        """``loss`` on this batch as a function of no arguments, reading the current weights."""
        x, labels = self._data(x, t)
        targets = self.model._targets(labels, len(x))
        return lambda: self.model.loss(self.model.forward(x), targets)


def train(net: TwoLayerNet, x_train, t_train, x_test, t_test, iters: int = 10_000, batch_size: int = 100,
          learning_rate: float = 0.1, gradient: str = "backprop", seed: int | None = 0, log=print) -> dict:
    """The seed's loop: random minibatches (with replacement), plain SGD, accuracies once per epoch.

    ``gradient`` is "backprop", "numerical" (local central differences) or "naive" (the book's loop).
    Returns {"loss": per iteration, "train_acc"/"test_acc": per epoch, "seconds_per_iter": gradient time}.
    """
    compute = {"backprop": net.gradient, "numerical": net.numerical_gradient,
               "naive": net.numerical_gradient_naive}[gradient]
    rng = np.random.default_rng(seed)
    iter_per_epoch = max(len(x_train) // batch_size, 1)
    history = {"loss": [], "train_acc": [], "test_acc": []}
    spent = 0.0
    for i in range(iters):
        mask = rng.choice(len(x_train), batch_size)
        xb, tb = x_train[mask], t_train[mask]
        start = time.perf_counter()
        grad = compute(xb, tb)
        spent += time.perf_counter() - start
        for key in ("W1", "b1", "W2", "b2"):
            net.params[key] -= learning_rate * grad[key]
        history["loss"].append(net.loss(xb, tb))
        if i % iter_per_epoch == 0 or i == iters - 1:
            history["train_acc"].append(net.accuracy(x_train, t_train))
            history["test_acc"].append(net.accuracy(x_test, t_test))
            log(f"iteration {i + 1:>6}: train acc, test acc | {history['train_acc'][-1]:.4f}, {history['test_acc'][-1]:.4f}")
    history["seconds_per_iter"] = spent / max(iters, 1)
    return history
