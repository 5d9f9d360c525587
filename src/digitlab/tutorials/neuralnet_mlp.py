"""Raschka's ``NeuralNetMLP`` (Python Machine Learning, ch. 12; seed 000), on the engine.

Two sigmoid Dense layers trained on the summed logistic cost with L1/L2 terms
on the kernels (not the biases), by minibatch gradient descent with a learning
rate that decays once per epoch. The book's code has three quirks, kept by
default so that its numbers reproduce (``corrected=True`` removes them):

- L1: the cost adds ``l1/2 * sum|w|`` but the gradient adds ``l1 * w`` (the
  L2 rule); corrected, the gradient is the cost's own, ``l1/2 * sign(w)``.
- Decay: ``eta /= 1 + decrease_const * epoch`` at every epoch, so the divisors
  multiply up; corrected, ``eta_epoch = eta / (1 + decrease_const * epoch)``.
- Momentum: each step adds ``alpha`` times the previous *plain* step
  ``eta * grad``, not a running velocity; corrected, classical momentum
  (``SGD(momentum=alpha)``).

Inputs are raw 0-255 pixels, as in the book. Random numbers come from NumPy's
legacy ``RandomState(random_state)`` in the book's order (weights, then one
permutation per epoch), and each epoch's permutation shuffles the previous
epoch's order, as the book's ``X_data = X_data[idx]`` does, so in float64 the
weights follow the book's code step for step.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from ..nn import Sequential, callbacks, layers, optimizers
from ..errors import InvalidValueError
from ..nn.regularizers import L1L2


class BookL1L2(L1L2):
    """The book's penalty ``l1/2 * sum|w| + l2/2 * sum(w**2)`` with its gradient ``(l1 + l2) * w``."""

    def penalty(self, w):
        l1 = self.l1 / 2 * float(np.abs(w).sum()) if self.l1 else 0.0
        return l1 + (self.l2 / 2 * float(np.square(w).sum()) if self.l2 else 0.0)

    def add_gradient(self, w, dw):
        dw += (self.l1 + self.l2) * w


class BookMomentum(optimizers.Optimizer):
    """``step = lr * g;  w -= step + alpha * previous_step`` (the book's update)."""

    slots = ("previous_step",)

    def __init__(self, learning_rate: float, alpha: float):
        super().__init__(learning_rate)
        self.alpha = float(alpha)

    def update(self, p, g, state, lr):
        step = lr * g
        p -= step
        p -= self.alpha * state["previous_step"]
        state["previous_step"][...] = step


class _BookShuffle:
    """Stands in for the model's generator: epoch e visits the data in the order p1[p2[...pe]],
    each p a fresh ``RandomState.permutation``, as the book re-shuffles already shuffled data."""

    def __init__(self, random: np.random.RandomState):
        self.random, self.order = random, None

    def permutation(self, n: int) -> np.ndarray:
        if self.order is None or len(self.order) != n:
            self.order = np.arange(n)
        self.order = self.order[self.random.permutation(n)]
        return self.order


class _EpochLearningRate(callbacks.Callback):
    """Sets the optimizer's learning rate at the start of every epoch; prints the book's progress line."""

    def __init__(self, mlp: "NeuralNetMLP", print_progress: bool):
        self.mlp, self.print_progress = mlp, print_progress

    def on_epoch_begin(self, epoch, logs=None):
        mlp = self.mlp
        if mlp.corrected:
            rate = mlp.eta / (1 + mlp.decrease_const * epoch)
        else:
            mlp.eta_ /= 1 + mlp.decrease_const * epoch
            rate = mlp.eta_
        self.model.optimizer.learning_rate = rate
        if self.print_progress:
            sys.stderr.write(f"\rEpoch: {epoch + 1}/{mlp.epochs}")
            sys.stderr.flush()

    def on_train_end(self, logs=None):
        if self.print_progress:
            sys.stderr.write("\n")


class NeuralNetMLP:
    """A 784-``n_hidden``-10 sigmoid network with the book's constructor, ``fit``, ``predict`` and ``cost_``.

    >>> mlp = NeuralNetMLP(epochs=1000, minibatches=50)   # the seed's settings are the defaults
    >>> mlp.fit(X_train, y_train, print_progress=True)     # X: (N, 784) raw pixels, y: (N,) labels
    >>> (mlp.predict(X_test) == y_test).mean()
    """

    def __init__(self, n_output: int = 10, n_features: int = 784, n_hidden: int = 50, l2: float = 0.1,
                 l1: float = 0.0, epochs: int = 1000, eta: float = 0.001, alpha: float = 0.001,
                 decrease_const: float = 0.00001, shuffle: bool = True, minibatches: int = 50,
                 random_state: int | None = 1, corrected: bool = False, dtype="float32"):
        if min(n_output, n_features, n_hidden, minibatches) < 1 or epochs < 0:
            raise InvalidValueError("n_output, n_features, n_hidden and minibatches must be >= 1, epochs >= 0")
        if min(l1, l2, alpha, decrease_const) < 0 or eta <= 0:
            raise InvalidValueError("l1, l2, alpha and decrease_const must be >= 0 and eta > 0")
        self.n_output, self.n_features, self.n_hidden = n_output, n_features, n_hidden
        self.l1, self.l2, self.epochs, self.eta, self.alpha = l1, l2, epochs, eta, alpha
        self.decrease_const, self.shuffle, self.minibatches = decrease_const, shuffle, minibatches
        self.corrected = corrected
        self.random = np.random.RandomState(random_state)
        regularizer = L1L2(l1 / 2, l2 / 2) if corrected else BookL1L2(l1, l2)
        self.model = Sequential([
            layers.Dense(n_hidden, activation="sigmoid", kernel_regularizer=regularizer, input_shape=(n_features,)),
            layers.Dense(n_output, activation="sigmoid", kernel_regularizer=regularizer),
        ], name="neuralnet_mlp", dtype=dtype)
        self.model.build()
        self._initialize_weights()
        self.model.rng = _BookShuffle(self.random)  # the same stream, after the weights, as in the book
        optimizer = optimizers.SGD(eta, momentum=alpha) if corrected else BookMomentum(eta, alpha)
        self.model.compile(optimizer=optimizer, loss="logistic")
        self.eta_ = eta
        self.cost_: list[float] = []

    def _initialize_weights(self) -> None:
        """The book's uniform(-1, 1) weights, drawn in its layout (bias in column 0), put into the Dense layers."""
        w1 = self.random.uniform(-1.0, 1.0, size=self.n_hidden * (self.n_features + 1))
        w1 = w1.reshape(self.n_hidden, self.n_features + 1)
        w2 = self.random.uniform(-1.0, 1.0, size=self.n_output * (self.n_hidden + 1))
        w2 = w2.reshape(self.n_output, self.n_hidden + 1)
        self.model.set_weights([w1[:, 1:].T, w1[:, 0], w2[:, 1:].T, w2[:, 0]])

    @property
    def w1(self) -> np.ndarray:
        """Current input-to-hidden weights in the book's layout: (hidden, features + 1), bias in column 0."""
        kernel, bias = self.model.layers[0].params.values()
        return np.column_stack([bias, kernel.T])

    @property
    def w2(self) -> np.ndarray:
        """Current hidden-to-output weights in the book's layout: (output, hidden + 1), bias in column 0."""
        kernel, bias = self.model.layers[1].params.values()
        return np.column_stack([bias, kernel.T])

    def fit(self, X, y, print_progress: bool = False) -> "NeuralNetMLP":
        """Train for ``epochs`` epochs of ``minibatches`` minibatches; ``cost_`` gets one cost per minibatch."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise InvalidValueError(f"X has shape {X.shape}, expected (N, {self.n_features})")
        history = self.model.fit(X, np.asarray(y), batch_size=math.ceil(len(X) / self.minibatches), epochs=self.epochs,
                                 verbose=0, shuffle=self.shuffle, callbacks=[_EpochLearningRate(self, print_progress)])
        self.cost_ = history.batch_loss
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Sigmoid outputs (N, n_output) for raw-pixel inputs X (N, n_features)."""
        return self.model.predict(X)

    def predict(self, X) -> np.ndarray:
        """Class labels (N,) for raw-pixel inputs X (N, n_features)."""
        return self.predict_proba(X).argmax(axis=1)
