"""``Sequential``: a stack of layers with Keras's compile / fit / evaluate / predict.

One training step is ``forward`` -> loss -> ``backward`` -> ``optimizer.apply``.
When the loss can absorb the output activation (softmax + cross-entropy,
sigmoid + binary cross-entropy), backward starts from the fused gradient
dL/dz instead of dL/dy.
"""

from __future__ import annotations

import math
import os
import re
import time

import numpy as np

from . import callbacks as callbacks_module
from . import layers as layers_module
from . import losses, optimizers, saving
from ..errors import DigitlabError, InvalidValueError
from .progress import EpochProgress, final_line
from ..utils import to_categorical

METRICS = ("accuracy",)
_METRIC_ALIASES = {"accuracy": "accuracy", "acc": "accuracy"}


class TrainingDivergedError(DigitlabError, FloatingPointError):
    """The loss became NaN or infinite during training."""


def accuracy(y: np.ndarray, t: np.ndarray) -> float:
    """Fraction of rows where argmax(y) == argmax(t); for one output unit, y > 0.5 against t. y, t (N, K)."""
    if y.shape[1] == 1:
        return float(np.mean((y[:, 0] > 0.5) == (t[:, 0] > 0.5)))
    return float(np.mean(y.argmax(axis=1) == t.argmax(axis=1)))


def _snake_case(name: str) -> str:
    """Keras's layer names: MaxPooling2D -> max_pooling2d, Conv2D -> conv2d, Dense -> dense."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Sequential:
    """A linear stack of layers.

    >>> model = Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
    ...                     layers.Dense(10, activation="softmax")])
    >>> model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    """

    def __init__(self, layers: list | None = None, name: str = "sequential", dtype="float32", seed: int | None = None):
        self.name = name
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise InvalidValueError(f"dtype must be float32 or float64, got {dtype}")
        self.layers: list[layers_module.Layer] = []
        self.rng = np.random.default_rng(seed)
        self.built = False
        self.optimizer = self.loss = None
        self.metrics: list[str] = []
        self.history = callbacks_module.History()  # every epoch ever trained, saved with the model
        self.meta: dict = {}  # extra JSON-able facts saved with the model (how the CLI trained it, ...)
        self.stop_training = False
        for layer in layers or []:
            self.add(layer)

    # ---- structure -----------------------------------------------------------------------------

    def add(self, layer: layers_module.Layer) -> None:
        if not isinstance(layer, layers_module.Layer):
            raise InvalidValueError(f"Sequential.add expects a layer, got {type(layer).__name__}")
        if self.built:
            raise InvalidValueError("cannot add layers to a model that is already built")
        if layer.name is None:
            base, taken, i = _snake_case(type(layer).__name__), {l.name for l in self.layers}, 0
            layer.name = base
            while layer.name in taken:  # dense, dense_1, dense_2, ... as Keras names them
                i += 1
                layer.name = f"{base}_{i}"
        self.layers.append(layer)

    def build(self, input_shape: tuple[int, ...] | None = None, check=None) -> None:
        """Create every layer's weights for inputs of shape (N, *input_shape).

        ``check(layer, shapes)``, if given, sees each layer's weight shapes before they are allocated.
        """
        if not self.layers:
            raise InvalidValueError("the model has no layers")
        shape = tuple(input_shape or self.layers[0].input_shape or ())
        if not shape:
            raise InvalidValueError("unknown input shape: give the first layer input_shape=(784,) or call build((784,))")
        self.input_shape = shape
        needs_grad = False  # dL/dx is needed only above the lowest layer that has weights
        for layer in self.layers:
            if check is not None:
                check(layer, layer.weight_shapes(shape))
            shape = layer.build(shape, self.rng, self.dtype)
            layer.needs_input_grad = needs_grad
            needs_grad = needs_grad or bool(layer.params)
        self.built = True

    @property
    def params(self) -> list[np.ndarray]:
        return [p for layer in self.layers for p in layer.params.values()]

    @property
    def grads(self) -> list[np.ndarray]:
        return [g for layer in self.layers for g in layer.grads.values()]

    def _step_gradients(self) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """The last backward pass's gradients, as ``grads`` lists them, and for each the rows it holds (None:
        all of them): a layer that skipped a batch's all-zero inputs has only their rows (``sparse_grads``)."""
        grads, rows = [], []
        for layer in self.layers:
            sparse = getattr(layer, "sparse_grads", {})
            for name, g in layer.grads.items():
                r, g = sparse.get(name, (None, g))
                grads.append(g)
                rows.append(r)
        return grads, rows

    def named_params(self) -> dict[str, np.ndarray]:
        return {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.params.items()}

    def named_state(self) -> dict[str, np.ndarray]:
        """The non-trainable arrays (BatchNormalization's moving statistics), by "<layer>.<name>"."""
        return {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.state.items()}

    def _weights(self) -> list[np.ndarray]:
        # Keras's order: each layer's trainable weights, then its non-trainable ones
        return [w for layer in self.layers for w in (*layer.params.values(), *layer.state.values())]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every weight, trainable or not, layer by layer (Keras's order)."""
        return [w.copy() for w in self._weights()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        targets = self._weights()
        if len(weights) != len(targets):
            raise InvalidValueError(f"set_weights got {len(weights)} arrays, the model has {len(targets)}")
        for p, w in zip(targets, weights):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise InvalidValueError(f"set_weights: shape {w.shape} does not fit a parameter of shape {p.shape}")
            p[...] = w

    def count_params(self) -> int:
        """Every weight, trainable or not, as Keras counts them."""
        return sum(w.size for w in self._weights())

    def summary(self, print_fn=print) -> None:
        """Print a Keras-style table: layer (type), output shape, parameter count."""
        if not self.built:
            self.build()
        rows = [(f"{l.name} ({type(l).__name__})", str((None, *l.output_shape)),
                 f"{sum(w.size for w in (*l.params.values(), *l.state.values())):,}") for l in self.layers]
        widths = [max(len(h), *(len(r[i]) for r in rows)) + 2 for i, h in enumerate(("Layer (type)", "Output Shape", "Param #"))]
        line = "".join(h.ljust(w) for h, w in zip(("Layer (type)", "Output Shape", "Param #"), widths))
        print_fn(f'Model: "{self.name}"')
        print_fn("=" * len(line))
        print_fn(line)
        print_fn("=" * len(line))
        for r in rows:
            print_fn("".join(c.ljust(w) for c, w in zip(r, widths)))
        print_fn("=" * len(line))
        trainable = sum(p.size for p in self.params)
        print_fn(f"Total params: {self.count_params():,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {self.count_params() - trainable:,}")
        print_fn("_" * len(line))

    # ---- compile ------------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss="categorical_crossentropy", metrics=None) -> None:
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metrics = []
        for m in metrics or []:
            if m not in _METRIC_ALIASES:
                raise InvalidValueError(f"unknown metric {m!r} (expected one of: {', '.join(_METRIC_ALIASES)})")
            self.metrics.append(_METRIC_ALIASES[m])

    def _require_compiled(self) -> None:
        if self.loss is None:
            raise InvalidValueError("the model is not compiled: call model.compile(optimizer=..., loss=...) first")

    # ---- one step -----------------------------------------------------------------------------

    def _stages(self, training: bool) -> list:
        """The layers, or in training the stages that run fusable layers as one (``layers.fused``)."""
        if not training:
            return self.layers
        from .layers import fused  # training only: importing digitlab or predicting never loads it

        if getattr(self, "_plan", None) is None or self._plan[0] != fused.ENABLED:
            self._plan = (fused.ENABLED, fused.plan(self.layers))
        return self._plan[1]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        for stage in self._stages(training):
            x = stage.forward(x, training, self.rng)
        return x

    def penalty(self) -> float:
        return sum(layer.penalty() for layer in self.layers)

    def backward(self, y: np.ndarray, t: np.ndarray) -> None:
        """Fill every layer's grads with dL/dparam for the batch just forwarded."""
        stages = self._stages(training=True)
        last = stages[-1]
        if self.loss.fuses_with is not None and getattr(last, "activation", None) == self.loss.fuses_with:
            dy = last.backward_preactivation(self.loss.fused_gradient(y, t))
        else:
            dy = last.backward(self.loss.gradient(y, t).astype(self.dtype, copy=False))
        for stage in reversed(stages[:-1]):
            if dy is None:  # nothing below has weights
                break
            dy = stage.backward(dy)

    def compute_gradients(self, x: np.ndarray, t: np.ndarray, training: bool = True) -> tuple[float, np.ndarray]:
        """Forward, loss (with regularization) and backward on one batch. Returns (loss, y)."""
        y = self.forward(x, training)
        loss = self.loss(y, t) + self.penalty()
        self.backward(y, t)
        return loss, y

    # ---- data -------------------------------------------------------------------------------

    def _inputs(self, x, what="x", cast: bool = True) -> np.ndarray:
        """x checked against the input shape; cast to the model's dtype unless ``cast`` is False and x
        holds small integers (such as uint8 pixels), which ``_batch`` then casts one batch at a time."""
        x = np.asarray(x)
        if x.dtype != self.dtype and (cast or not (x.dtype.kind in "iu" and x.dtype.itemsize <= 2)):
            x = x.astype(self.dtype)
        if not self.built:
            self.build(self.layers[0].input_shape or x.shape[1:])
        if x.shape[1:] != self.input_shape:
            raise InvalidValueError(f"{what} has shape {x.shape}, the model expects (N, {', '.join(map(str, self.input_shape))})")
        return x

    def _targets(self, y, n: int, what="y") -> np.ndarray:
        """Labels as (N, K) floats: integer labels are one-hot encoded once, here."""
        y = np.asarray(y)
        k = self.layers[-1].output_shape[0]
        if y.ndim == 1 and k > 1:
            if y.dtype.kind not in "iu":
                raise InvalidValueError(f"{what}: 1-D labels must be integers 0..{k - 1}, got dtype {y.dtype}")
            y = to_categorical(y, k, dtype=self.dtype)
        elif y.ndim == 1:
            y = y[:, None]
        if y.shape != (n, k):
            raise InvalidValueError(f"{what} has shape {y.shape}, expected ({n},) integer labels or ({n}, {k})")
        return y.astype(self.dtype, copy=False)

    def _batch(self, x: np.ndarray, rows) -> np.ndarray:
        """x[rows] in the model's dtype (x from ``_inputs(..., cast=False)``)."""
        xb = x[rows]
        return xb if xb.dtype == self.dtype else xb.astype(self.dtype)

    # ---- fit / evaluate / predict -----------------------------------------------------------

    def fit(self, x, y, batch_size: int = 32, epochs: int = 1, verbose: int = 1, callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
            initial_epoch: int = 0, seed: int | None = None) -> callbacks_module.History:
        """Train for ``epochs - initial_epoch`` epochs of minibatch gradient descent.

        ``seed`` re-seeds the generator used for initial weights (if not yet
        built), shuffling and dropout; without it, the model's generator
        continues where it was (so a saved and reloaded model resumes exactly).
        Returns the History of this call; ``model.history`` accumulates all calls.
        """
        self._require_compiled()
        if batch_size < 1 or epochs < 0:
            raise InvalidValueError(f"batch_size must be >= 1 and epochs >= 0, got {batch_size} and {epochs}")
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        x = self._inputs(x, cast=False)
        t = self._targets(y, len(x))
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise InvalidValueError(f"validation_split must be in (0, 1), got {validation_split}")
            split = int(len(x) * (1 - validation_split))  # Keras takes the last part, before shuffling
            x, t, validation_data = x[:split], t[:split], (x[split:], t[split:])
        if validation_data is not None:
            vx = self._inputs(validation_data[0], "validation x", cast=False)
            vt = self._targets(validation_data[1], len(vx), "validation y")
        history, cbs = callbacks_module.configure([self.history, *(callbacks or [])], self)
        self.stop_training = False
        for cb in cbs:
            cb.on_train_begin()
        try:
            x = self._skip_blank_inputs(x, batch_size)
            for layer in self.layers:  # a Dense layer that sees the inputs (nothing with weights below it); during
                if isinstance(layer, layers_module.Dense):  # fit its kernel's gradient is in sparse_grads, not grads
                    layer.row_sparse = (layer.input_columns is None and not layer.needs_input_grad
                                        and not layer.kernel_regularizer)
            self._train_epochs(x, t, batch_size, initial_epoch, epochs, verbose, shuffle,
                               cbs, None if validation_data is None else (vx, vt))
        finally:
            for layer in self.layers:  # inference, gradient checks and later fits see every input
                if isinstance(layer, layers_module.Dense):
                    layer.input_columns, layer.row_sparse, layer.sparse_grads = None, False, {}
        if epochs > 0:  # with use_ema, the weights become their moving average, as in Keras
            self.optimizer.finalize_variable_values(self.params)
        for cb in cbs:
            cb.on_train_end()
        return history

    def _train_epochs(self, x, t, batch_size, initial_epoch, epochs, verbose, shuffle, cbs, validation) -> None:
        n, steps = len(x), math.ceil(len(x) / batch_size)
        for epoch in range(initial_epoch, epochs):
            for cb in cbs:
                cb.on_epoch_begin(epoch)
            order = self.rng.permutation(n) if shuffle else None
            bar = EpochProgress(epoch, epochs, steps, verbose)
            sums = {"loss": 0.0, **{m: 0.0 for m in self.metrics}}
            for step in range(steps):
                rows = slice(step * batch_size, min(n, (step + 1) * batch_size))
                if order is not None:
                    rows = order[rows]
                xb, tb = self._batch(x, rows), t[rows]
                loss, yb = self.compute_gradients(xb, tb)
                if not math.isfinite(loss):
                    raise TrainingDivergedError(
                        f"loss became {loss} at epoch {epoch + 1}, batch {step + 1}; "
                        f"try a lower learning rate (now {self.optimizer.current_learning_rate():g})")
                self.optimizer.apply(self.params, *self._step_gradients())
                sums["loss"] += loss * len(xb)
                if self.metrics:
                    sums["accuracy"] += accuracy(yb, tb) * len(xb)
                for cb in cbs:
                    cb.on_batch_end(step, {"loss": loss})
                bar.update(step + 1, sums, min(n, (step + 1) * batch_size))
            logs = {k: v / n for k, v in sums.items()}
            if validation is not None:
                logs.update({f"val_{k}": v for k, v in self._evaluate(*validation).items()})
            bar.close(logs)
            for cb in cbs:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break

    def _skip_blank_inputs(self, x: np.ndarray, batch_size: int) -> np.ndarray:
        """Drop the input features that are zero in every training sample (67 of MNIST's 784 pixels),
        when the first layer is Dense: they change neither its output nor its kernel's data gradient.

        Each step then gathers the kept kernel rows and scatters their gradient (~3 x kept x units
        memory operations) to save 2 x batch x skipped x units multiply-adds in the products; that pays
        only for large batches (measured: Raschka's batches of 1200 gain ~4%; Keras's of 128 ran ~70% slower).
        """
        first = self.layers[0]
        if x.ndim != 2 or not isinstance(first, layers_module.Dense):
            return x
        blank = np.ones(x.shape[1], bool)
        for start in range(0, len(x), 4096):  # stop as soon as too few columns can still be blank (~2 ms on MNIST
            blank &= ~x[start:start + 4096].any(axis=0)  # with batches of 128, instead of reading all 60,000 rows)
            skipped = int(np.count_nonzero(blank))
            if batch_size * skipped < 30 * (x.shape[1] - skipped):
                return x
        columns = np.flatnonzero(~blank)
        first.input_columns = columns
        return np.ascontiguousarray(x[:, columns])

    def _evaluate(self, x: np.ndarray, t: np.ndarray, batch_size: int = 1024) -> dict[str, float]:
        y = self._predict(x, batch_size)
        results = {"loss": self.loss(y, t) + self.penalty()}
        if "accuracy" in self.metrics:
            results["accuracy"] = accuracy(y, t)
        return results

    def evaluate(self, x, y, batch_size: int = 1024, verbose: int = 1):
        """Loss (with regularization) and metrics on (x, y): a float, or [loss, accuracy] with metrics.
        As in Keras, ``verbose=1`` prints one progress line; ``verbose=0`` prints nothing."""
        self._require_compiled()
        start = time.perf_counter()
        x = self._inputs(x, cast=False)
        results = self._evaluate(x, self._targets(y, len(x)), batch_size)
        if verbose:
            print(final_line(math.ceil(len(x) / batch_size), time.perf_counter() - start, results), flush=True)
        return list(results.values()) if self.metrics else results["loss"]

    def predict(self, x, batch_size: int = 1024, verbose: int = 0) -> np.ndarray:
        """Outputs for x (N, *input_shape) -> (N, K), in inference mode (no dropout)."""
        return self._predict(self._inputs(x, cast=False), batch_size)

    def _predict(self, x: np.ndarray, batch_size: int) -> np.ndarray:
        """predict for inputs already checked and cast by ``_inputs``."""
        if len(x) <= batch_size:
            return self.forward(self._batch(x, slice(None)))
        return np.concatenate([self.forward(self._batch(x, slice(i, i + batch_size)))
                               for i in range(0, len(x), batch_size)])

    # ---- pictures (digitlab.plots draws them; matplotlib is imported only here) -----------------

    def plot_misclassified(self, x, y, count: int = 25, title: str | None = None):
        """The first ``count`` digits of (x, y) this model reads wrong, "true t, read p" -> Figure."""
        from .. import plots

        return plots.misclassified(self, x, y, count, title)

    def plot_weights(self, count: int | None = 64):
        """The first Dense layer's weights into each unit as 28x28 images -> Figure."""
        from .. import plots

        dense = plots.first_dense(self)
        if dense is None or not dense.params:
            raise InvalidValueError("no built Dense layer to draw; build or train the model first")
        return plots.dense_weights(dense.params["kernel"], count)

    def plot_learned(self, x=None, y=None) -> dict:
        """Every picture of what this model learned (``digitlab.plots.learned``): name -> Figure."""
        from .. import plots

        return plots.learned(self, x, y)

    # ---- files ------------------------------------------------------------------------------

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype.name, "input_shape": list(self.input_shape),
                "layers": [{"class_name": type(l).__name__, "config": l.get_config()} for l in self.layers]}

    def save(self, path: str | os.PathLike) -> None:
        """Write weights, optimizer state and config to one .safetensors file, atomically."""
        saving.save_model(self, path)


def load_model(path: str | os.PathLike, compile: bool = True) -> Sequential:
    """Load a model saved by ``Sequential.save``; compiled (with optimizer state) if it was."""
    meta, tensors = saving.read_model_file(path)
    try:
        return _rebuild(meta, tensors, compile)
    except Exception as e:  # whatever a config that passed the schema but is still wrong makes a constructor raise
        raise saving.ModelFileError(f"{path}: inconsistent model description ({type(e).__name__}: "
                                    f"{str(e)[:300]})") from None


def _rebuild(meta: dict, tensors: dict[str, np.ndarray], compile: bool) -> Sequential:
    config = meta["model"]
    model = Sequential([layers_module.from_config(spec) for spec in config["layers"]], name=config["name"],
                       dtype=config["dtype"])
    model.build(tuple(config["input_shape"]), check=saving.checker(tensors, model.dtype))
    expected = {f"params/{k}": v for k, v in model.named_params().items()}
    expected.update({f"state/{k}": v for k, v in model.named_state().items()})
    for name, target in expected.items():
        target[...] = saving.take(tensors, name, target)
    extra = set(tensors) - set(expected) - {k for k in tensors if k.startswith("optimizer/")}
    if extra:
        raise ValueError(f"unexpected tensors {sorted(extra)}")
    model.history = callbacks_module.History(meta.get("history"), meta.get("epochs"))
    model.rng.bit_generator.state = meta["rng_state"]
    model.meta = dict(meta.get("meta") or {})
    if compile and "compile" in meta:
        c = meta["compile"]
        model.compile(optimizers.get(c["optimizer"]), losses.get(c["loss"]), c["metrics"])
        opt = model.optimizer
        opt.iterations = int(meta["optimizer_iterations"])
        if opt.iterations:  # a trained optimizer must bring its state back
            opt.state = [{s: saving.take(tensors, f"optimizer/{i}/{s}", p) for s in opt.state_slots}
                         for i, p in enumerate(model.params)]
            opt.average_of(model.params)  # the saved average is of these weights
    return model
