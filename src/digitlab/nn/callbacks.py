"""Callbacks: hooks into ``Sequential.fit``, as in Keras.

``History`` records per-epoch logs and per-batch loss; ``EarlyStopping`` stops
when a monitored value stops improving; ``ModelCheckpoint`` saves the model.
"""

from __future__ import annotations

import math

from ..errors import InvalidValueError


class Callback:
    model = None

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...


class History(Callback):
    """As in Keras: ``history[key]`` holds one value per epoch (loss, accuracy, val_loss, ...) and
    ``epoch`` the epoch numbers. Beyond Keras, ``batch_loss`` holds the loss of every minibatch, in order.

    ``to_dict()`` is the form saved in files (the per-epoch keys plus ``batch_loss``); the constructor
    reads it back.
    """

    def __init__(self, history: dict[str, list] | None = None, epoch: list[int] | None = None):
        history = {k: list(v) for k, v in (history or {}).items()}
        self.batch_loss: list[float] = history.pop("batch_loss", [])
        self.history: dict[str, list] = history
        self.epoch: list[int] = list(epoch or [])

    def to_dict(self) -> dict[str, list]:
        return {**{k: list(v) for k, v in self.history.items()}, "batch_loss": list(self.batch_loss)}

    def plot(self, title: str | None = None):
        """The curves as one matplotlib Figure (cost per minibatch, per epoch, accuracy per epoch);
        shown inline in Jupyter, ``.savefig(path)`` to keep it."""
        from .. import plots  # matplotlib only when a picture is asked for

        return plots.training_curves(self.to_dict(), title)

    def on_batch_end(self, batch, logs=None):
        self.batch_loss.append(float(logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))


def _improved(mode: str, monitor: str):
    if mode == "auto":
        mode = "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise InvalidValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    return (lambda new, best, delta: new < best - delta) if mode == "min" else (lambda new, best, delta: new > best + delta)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs;
    optionally restore the weights of the best epoch."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 restore_best_weights: bool = False):
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.restore_best_weights = restore_best_weights
        self._better = _improved(mode, monitor)
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        self.wait, self.best, self.best_weights = 0, None, None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise InvalidValueError(f"EarlyStopping monitors {self.monitor!r}, which is not among {sorted(logs or {})}")
        if self.best is None or self._better(value, self.best, self.min_delta):
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None and self.stopped_epoch is not None:
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model after each epoch to ``filepath`` (which may contain
    ``{epoch}`` or ``{epoch:02d}`` and log keys); with ``save_best_only``, only
    when ``monitor`` improves."""

    def __init__(self, filepath: str, monitor: str = "val_loss", save_best_only: bool = False, mode: str = "auto"):
        self.filepath, self.monitor, self.save_best_only = str(filepath), monitor, save_best_only
        self._better = _improved(mode, monitor)
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None or not math.isfinite(value):
                return
            if self.best is not None and not self._better(value, self.best, 0.0):
                return
            self.best = value
        self.model.save(self.filepath.format(epoch=epoch + 1, **logs))


class EpochSnapshot(Callback):
    """Keep, in memory, the model as it was at the end of the last complete epoch (weights, optimizer
    state, random generator, history), so an interrupted run can be put back there and saved: resuming
    from that file continues exactly as if training had not stopped."""

    def on_train_begin(self, logs=None):
        self._take()

    def on_epoch_end(self, epoch, logs=None):
        self._take()

    def _take(self) -> None:
        m = self.model
        opt = m.optimizer
        self.snapshot = {
            "weights": m.get_weights(), "rng": m.rng.bit_generator.state,
            "iterations": opt.iterations, "state": [{k: v.copy() for k, v in s.items()} for s in opt.state],
            "history": m.history.to_dict(), "epochs": list(m.history.epoch)}

    def restore(self) -> int:
        """Put the model back to the snapshot; returns the number of epochs it has completed."""
        m, snap = self.model, self.snapshot
        m.set_weights(snap["weights"])
        m.rng.bit_generator.state = snap["rng"]
        m.optimizer.iterations, m.optimizer.state = snap["iterations"], snap["state"]
        m.history = History(snap["history"], snap["epochs"])
        return len(snap["epochs"])


def configure(callbacks, model) -> tuple[History, list[Callback]]:
    """Give every callback the model; put a fresh History, fit's return value, first."""
    history = History()
    all_callbacks = [history, *(callbacks or [])]
    for cb in all_callbacks:
        if not isinstance(cb, Callback):
            raise InvalidValueError(f"callbacks must be digitlab.callbacks.Callback instances, got {type(cb).__name__}")
        cb.set_model(model)
    return history, all_callbacks


__all__ = ["Callback", "History", "EarlyStopping", "ModelCheckpoint", "EpochSnapshot"]
