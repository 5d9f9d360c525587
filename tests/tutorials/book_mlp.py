"""The book's NeuralNetMLP training loop, written out in plain float64 NumPy as the
book's chapter 12 code runs it: the reference that ``digitlab.tutorials.NeuralNetMLP``
must follow step for step, and the peer in ``benchmarks/neuralnet_mlp.py``."""

import numpy as np


def sigmoid(z):
    with np.errstate(over="ignore"):  # exp(-z) = inf for z << 0 gives 0, as scipy's expit does
        return 1.0 / (1.0 + np.exp(-z))


def train(X, y, n_hidden=50, n_output=10, l1=0.0, l2=0.1, epochs=1000, eta=0.001, alpha=0.001,
          decrease_const=0.00001, minibatches=50, random_state=1):
    """Returns (w1, w2, cost): w1 (hidden, features + 1), w2 (output, hidden + 1), bias in column 0."""
    rs = np.random.RandomState(random_state)
    n, d = X.shape
    w1 = rs.uniform(-1.0, 1.0, size=n_hidden * (d + 1)).reshape(n_hidden, d + 1)
    w2 = rs.uniform(-1.0, 1.0, size=n_output * (n_hidden + 1)).reshape(n_output, n_hidden + 1)
    X_data = X.astype(np.float64)
    y_enc = np.zeros((n_output, n))
    y_enc[y, np.arange(n)] = 1.0
    prev1, prev2 = np.zeros(w1.shape), np.zeros(w2.shape)
    cost = []
    for i in range(epochs):
        eta /= 1 + decrease_const * i
        idx = rs.permutation(n)
        X_data, y_enc = X_data[idx], y_enc[:, idx]
        for batch in np.array_split(np.arange(n), minibatches):
            a1 = np.hstack([np.ones((len(batch), 1)), X_data[batch]])        # (B, d + 1)
            z2 = w1 @ a1.T                                                     # (hidden, B)
            a2 = np.vstack([np.ones((1, len(batch))), sigmoid(z2)])           # (hidden + 1, B)
            a3 = sigmoid(w2 @ a2)                                              # (output, B)
            t = y_enc[:, batch]
            reg = (l1 / 2) * (np.abs(w1[:, 1:]).sum() + np.abs(w2[:, 1:]).sum()) \
                + (l2 / 2) * (np.sum(w1[:, 1:] ** 2) + np.sum(w2[:, 1:] ** 2))
            cost.append(np.sum(-t * np.log(a3) - (1 - t) * np.log(1 - a3)) + reg)
            sigma3 = a3 - t
            sg = sigmoid(z2)
            sigma2 = (w2.T @ sigma3)[1:] * sg * (1 - sg)
            grad1, grad2 = sigma2 @ a1, sigma3 @ a2.T
            grad1[:, 1:] += w1[:, 1:] * (l1 + l2)
            grad2[:, 1:] += w2[:, 1:] * (l1 + l2)
            delta1, delta2 = eta * grad1, eta * grad2
            w1 -= delta1 + alpha * prev1
            w2 -= delta2 + alpha * prev2
            prev1, prev2 = delta1, delta2
    return w1, w2, cost


def predict(w1, w2, X):
    a1 = np.hstack([np.ones((len(X), 1)), X.astype(np.float64)])
    a2 = np.hstack([np.ones((len(X), 1)), sigmoid(a1 @ w1.T)])
    return np.argmax(a2 @ w2.T, axis=1)
