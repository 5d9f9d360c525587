"""A personal model: the served model fine-tuned on a user's labelled examples, with MNIST replayed
beside them so that what it knew is not forgotten.

Each epoch sees every training example of the user ``repeats`` times (the model's Augment layer, if
it has one, distorts each copy differently) mixed with ``replay`` random MNIST training digits, at a
small learning rate. A fine-tune whose loss stops being finite, or that costs more than
``max_mnist_drop`` points of MNIST test accuracy, raises FinetuneError: nothing is written, and a
server keeps the model it had.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import DigitlabError
from ..nn import Sequential, optimizers


class FinetuneError(DigitlabError):
    """A fine-tune that could not be done, or that made the model worse."""


@dataclass(frozen=True)
class Settings:
    epochs: int = 3
    repeats: int = 40            # copies of each user example per epoch
    replay: int = 6000           # MNIST training digits per epoch, drawn afresh each epoch
    batch_size: int = 64
    learning_rate: float = 1e-4  # Adam; about a tenth of training from scratch
    holdout: float = 0.2         # fraction of each digit's examples held back to measure on
    max_mnist_drop: float = 1.0  # points of MNIST test accuracy a fine-tune may cost before it is refused
    seed: int = 0


@dataclass
class Report:
    examples: int
    trained_on: int
    held_back: int
    held_back_before: float | None  # accuracy on the user's held-back examples, 0-1 (None if none held back)
    held_back_after: float | None
    mnist_before: float             # accuracy on MNIST test, 0-1
    mnist_after: float
    settings: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        def pct(v):
            return "n/a" if v is None else f"{100 * v:.2f}%"
        return [f"fine-tuned on {self.trained_on} of {self.examples} examples ({self.held_back} held back)",
                f"your held-back examples: {pct(self.held_back_before)} -> {pct(self.held_back_after)}",
                f"MNIST test:              {pct(self.mnist_before)} -> {pct(self.mnist_after)}"]


def split_holdout(y: np.ndarray, fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held) into labels ``y`` (N,): about ``fraction`` of each digit's examples held
    back, but never a digit's last training example."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for d in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == d))
        k = min(int(round(fraction * len(rows))), len(rows) - 1)
        held.extend(rows[:k])
        train.extend(rows[k:])
    return np.sort(np.array(train, int)), np.sort(np.array(held, int))


def accuracy(model: Sequential, x: np.ndarray, y: np.ndarray) -> float | None:
    """Share of x (N, 784) floats read as y (N,); None for no examples."""
    if not len(x):
        return None
    return float(np.mean(model.predict(x).argmax(axis=1) == y))


def finetune(model: Sequential, x: np.ndarray, y: np.ndarray, x_replay: np.ndarray, y_replay: np.ndarray,
             settings: Settings = Settings()) -> Sequential:
    """Train ``model`` in place on user digits x (N, 784) in [0, 1] with labels y (N,), each epoch mixed
    with ``settings.replay`` digits drawn from (x_replay, y_replay). Returns the model."""
    if not len(x):
        raise FinetuneError("no examples to fine-tune on")
    rng = np.random.default_rng(settings.seed)
    model.compile(optimizer=optimizers.Adam(learning_rate=settings.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for epoch in range(settings.epochs):
        pick = rng.choice(len(x_replay), size=min(settings.replay, len(x_replay)), replace=False)
        xe = np.concatenate([np.repeat(x, settings.repeats, axis=0), x_replay[pick]])       # (M, 784)
        ye = np.concatenate([np.repeat(y, settings.repeats), y_replay[pick]]).astype(np.int64)  # (M,)
        model.fit(xe, ye, batch_size=settings.batch_size, epochs=1, verbose=0, seed=settings.seed + epoch)
    if not all(np.isfinite(p).all() for p in model.params):
        raise FinetuneError("the fine-tuned weights are not finite; the model was left as it was")
    return model


def personal_model(model_path: str | os.PathLike | None, x_user: np.ndarray, y_user: np.ndarray,
                   mnist: tuple, settings: Settings = Settings()) -> tuple[Sequential, Report]:
    """Fine-tune the model at ``model_path`` (None: the shipped one) on user digits (N, 28, 28) uint8 with
    labels (N,), and measure it before and after. ``mnist`` is ((x, y), (x_test, y_test)) flattened and
    scaled, as ``datasets.load_flat`` gives it. Raises FinetuneError if it made MNIST worse than allowed."""
    from ..vision import predict  # the served model's loader: the same checks as serving

    model = predict.load(model_path)
    if len(x_user) < 2:
        raise FinetuneError(f"{len(x_user)} example(s) stored; label a few more digits first")
    (xm, ym), (xt, yt) = mnist
    x = np.asarray(x_user, np.float32).reshape(len(x_user), -1) / 255
    y = np.asarray(y_user).astype(np.int64)
    train, held = split_holdout(y, settings.holdout, settings.seed)
    before_held, before_mnist = accuracy(model, x[held], y[held]), accuracy(model, xt, yt)
    try:
        finetune(model, x[train], y[train], xm, ym, settings)
    except (FloatingPointError, DigitlabError) as e:  # the engine's TrainingDivergedError among them
        if isinstance(e, FinetuneError):
            raise
        raise FinetuneError(f"fine-tuning failed: {e}") from None
    report = Report(len(x), len(train), len(held), before_held, accuracy(model, x[held], y[held]), before_mnist,
                    accuracy(model, xt, yt), asdict(settings))
    drop = 100 * (report.mnist_before - report.mnist_after)
    if drop > settings.max_mnist_drop:
        raise FinetuneError(f"fine-tuning cost {drop:.2f} points of MNIST test accuracy (allowed "
                            f"{settings.max_mnist_drop}); the model was not saved")
    model.meta["finetune"] = asdict(report)
    return model, report


__all__ = ["FinetuneError", "Report", "Settings", "accuracy", "finetune", "personal_model", "split_holdout"]
