"""Optimizers, in order of increasing complexity: SGD (momentum, Nesterov, decay), RMSprop, Adam;
and ExponentialDecay, a learning-rate schedule any of them takes as its learning_rate.

The base class owns the learning rate, the step counter, the per-parameter
state and Keras's optional moving average of the weights (``use_ema``); each
subclass supplies only ``slots`` (the state it keeps per parameter) and
``update`` (its rule, applied in place). Defaults and formulas are Keras's.
"""

from __future__ import annotations

import numbers
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._registry import resolve
from ..errors import InvalidValueError

_BLOCK_SIZE = 1 << 17  # elements: a block of a parameter, its gradient and state (~2 MB) stays in L2 cache


def _blocks(p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]):
    """Split a large parameter (with its gradient and state) into row blocks.

    Update rules make several element-wise passes; doing them block by block
    keeps the data in cache between passes instead of streaming the whole
    array from memory each time (about 1.5x faster for a 784x512 kernel).
    Yields (p, g, state) views.
    """
    rows = max(1, _BLOCK_SIZE // max(1, p[0].size)) if p.ndim else 1
    if p.ndim and rows < p.shape[0]:  # blocks of equal size, so that the threads finish together
        count = -(-p.shape[0] // rows)
        rows = -(-p.shape[0] // count)
    if p.ndim == 0 or rows >= p.shape[0]:
        yield p, g, state
        return
    for a in range(0, p.shape[0], rows):
        yield p[a:a + rows], g[a:a + rows], {k: v[a:a + rows] for k, v in state.items()}


# Updates on one thread by default: on the project's 2-core machine, seed 002's MLP measured 1.06 s/epoch
# on one thread and 1.23 s on two (NumPy's BLAS already keeps both cores busy around the update).
# Set digitlab.nn.optimizers.THREADS = 2 to use the blocked two-thread path (tested bit-equal).
THREADS = 1
_PARALLEL_MIN = 1 << 16  # elements: below this (a small model) one thread is faster than handing out blocks
_pool: ThreadPoolExecutor | None = None


def _run_blocks(update, blocks: list, lr: float) -> None:
    """update(p, g, state, lr) for every block; on THREADS threads when there is enough work.

    NumPy releases the GIL inside its element-wise loops, so blocks of different (or the same)
    parameters update on both cores at once. Each block is independent, so the result is the same,
    bit for bit, as one block after another."""
    global _pool
    if THREADS < 2 or len(blocks) < 2 or sum(b[0].size for b in blocks) < _PARALLEL_MIN:
        for block in blocks:
            update(*block, lr)
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="digitlab-optimizer")
    for future in [_pool.submit(update, *block, lr) for block in blocks]:
        future.result()  # re-raises a block's error here


def _full(p: np.ndarray, g: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    """The gradient of p in full: g itself, or g's rows placed at ``rows`` among zeros."""
    if rows is None:
        return g
    full = np.zeros_like(p)
    full[rows] = g
    return full


class ExponentialDecay:
    """A learning-rate schedule, as Keras's: lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps),
    the exponent rounded down with ``staircase``. Pass it as an optimizer's ``learning_rate``."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False):
        if not initial_learning_rate > 0 or not decay_steps >= 1 or not 0 < decay_rate <= 1:
            raise InvalidValueError(f"invalid ExponentialDecay({initial_learning_rate}, {decay_steps}, {decay_rate}): "
                                    "expected initial_learning_rate > 0, decay_steps >= 1, 0 < decay_rate <= 1")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), int(decay_steps)
        self.decay_rate, self.staircase = float(decay_rate), bool(staircase)

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (np.floor(p) if self.staircase else p)

    def get_config(self) -> dict:
        return {"class_name": type(self).__name__,
                "config": {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                           "decay_rate": self.decay_rate, "staircase": self.staircase}}


SCHEDULES = {"ExponentialDecay": ExponentialDecay}


COMPILED = True  # one compiled pass per parameter (optimizer_kernels, Numba) where a rule has one


def _compiled():
    """The compiled kernels module, imported on first use (training only); None without Numba."""
    try:
        from . import optimizer_kernels
    except ImportError:
        return None
    return optimizer_kernels


class Optimizer:
    slots: tuple[str, ...] = ()

    def __init__(self, learning_rate=0.001, decay: float = 0.0, use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None):
        if isinstance(learning_rate, dict):  # a schedule, as saved in a model file
            learning_rate = resolve(learning_rate, "learning rate schedule", ExponentialDecay, {}, SCHEDULES)
        if not isinstance(learning_rate, ExponentialDecay) and not learning_rate > 0:
            raise InvalidValueError(f"invalid learning rate: {learning_rate} (expected > 0 or a schedule)")
        if decay < 0:
            raise InvalidValueError(f"invalid decay: {decay} (expected >= 0)")
        self.learning_rate = learning_rate if isinstance(learning_rate, ExponentialDecay) else float(learning_rate)
        self.decay = float(decay)
        if not isinstance(use_ema, (bool, np.bool_)):
            raise InvalidValueError(f"invalid use_ema: {use_ema!r} (expected True or False)")
        if isinstance(ema_momentum, (bool, np.bool_)) or not isinstance(ema_momentum, numbers.Real) \
                or not 0 <= ema_momentum < 1:
            raise InvalidValueError(f"invalid ema_momentum: {ema_momentum!r} (expected a number, 0 <= ema_momentum < 1)")
        if ema_overwrite_frequency is not None and (isinstance(ema_overwrite_frequency, (bool, np.bool_)) or not
                                                    isinstance(ema_overwrite_frequency, numbers.Integral)
                                                    or ema_overwrite_frequency < 1):
            raise InvalidValueError(f"invalid ema_overwrite_frequency: {ema_overwrite_frequency!r} "
                                    "(expected None or a whole number of steps >= 1)")
        self.use_ema, self.ema_momentum = bool(use_ema), float(ema_momentum)
        self.ema_overwrite_frequency = None if ema_overwrite_frequency is None else int(ema_overwrite_frequency)
        self.ema_of: list[int] | None = None  # the weights the average is of (average_of): another model's start anew
        self.iterations = 0
        self.state: list[dict[str, np.ndarray]] = []  # one dict of slot arrays per parameter

    def current_learning_rate(self) -> float:
        """The schedule's rate at this step, if there is one; then time-based decay, as Keras 2:
        lr / (1 + decay * iterations)."""
        lr = self.learning_rate
        if isinstance(lr, ExponentialDecay):
            lr = lr(self.iterations)
        return float(lr / (1.0 + self.decay * self.iterations))  # a Python float: float32 updates stay float32

    @property
    def state_slots(self) -> tuple[str, ...]:
        """The arrays kept per parameter: the rule's slots, then the weights' moving average with use_ema."""
        return (*self.slots, "ema") if self.use_ema else self.slots

    def build(self, params: list[np.ndarray]) -> None:
        self.state = [{s: np.zeros_like(p) for s in self.state_slots} for p in params]

    def apply(self, params: list[np.ndarray], grads: list[np.ndarray], rows: list | None = None) -> None:
        """Update every parameter in place from its gradient. ``rows[i]``, if given and not None, says that
        ``grads[i]`` holds only those rows (k,) of parameter i's gradient, (k, ...), the others being zero."""
        if len(self.state) != len(params):
            self.build(params)
        self._apply(params, grads, rows)
        if self.use_ema:
            self._average(params)

    def _average(self, params: list[np.ndarray]) -> None:
        """Keras's moving average of the weights after a step: ema = m * ema + (1 - m) * w, starting from the
        weights themselves at the first step (or the first for other weights: an optimizer given to a second
        model); every ``ema_overwrite_frequency`` steps the weights become it."""
        first = self.iterations == 1 or not self.averages(params)
        self.average_of(params)
        for p, state in zip(params, self.state):
            ema = state["ema"]
            if first:
                ema[...] = p
            else:
                ema += (1 - self.ema_momentum) * (p - ema)
        if self.ema_overwrite_frequency and self.iterations % self.ema_overwrite_frequency == 0:
            self.finalize_variable_values(params)

    def average_of(self, params: list[np.ndarray]) -> None:
        """Record that the average in ``state`` is of these weights (the arrays themselves, by identity)."""
        self.ema_of = [id(p) for p in params]

    def averages(self, params: list[np.ndarray]) -> bool:
        """Whether the average in ``state`` is of these weights, not another model's."""
        return self.ema_of == [id(p) for p in params]

    def finalize_variable_values(self, params: list[np.ndarray]) -> None:
        """With use_ema, the weights become their moving average (as Keras does when fit ends)."""
        if self.use_ema and self.iterations and self.averages(params):
            for p, state in zip(params, self.state):
                p[...] = state["ema"]

    def _apply(self, params: list[np.ndarray], grads: list[np.ndarray], rows: list | None) -> None:
        lr = self.current_learning_rate()
        self.iterations += 1
        kernels = _compiled() if COMPILED else None
        compiled = self.kernel(lr) if kernels is not None else None
        rows = rows or [None] * len(params)
        if compiled is not None:
            name, slots, scalars = compiled
            for p, g, r, state in zip(params, grads, rows, self.state, strict=True):
                slot_arrays = tuple(state[s] for s in slots)
                fits = all(a.flags.c_contiguous and a.dtype == p.dtype for a in (p, g, *slot_arrays)) \
                    and all(a.shape == p.shape for a in slot_arrays)  # the kernels check no bounds
                if r is not None and fits and p.ndim == 2 and g.shape == (len(r), p.shape[1]):
                    kernels.run_rows(name, p, g, r, slot_arrays, scalars)
                elif fits and r is None and g.shape == p.shape:
                    kernels.run(name, (p, g, *slot_arrays), scalars)
                else:
                    g = _full(p, g, r)
                    _run_blocks(self.update, list(_blocks(p, g, state)), lr)
            return
        grads = [_full(p, g, r) for p, g, r in zip(params, grads, rows)]
        _run_blocks(self.update, [block for p, g, s in zip(params, grads, self.state) for block in _blocks(p, g, s)], lr)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], lr: float) -> None:
        """The rule in NumPy: the reference, and the path without Numba."""
        raise NotImplementedError

    def kernel(self, lr: float):
        """(name of this rule's compiled kernel, the state slots it takes after p and g, its scalars for this
        step), or None if the rule has no kernel."""
        return None

    def get_config(self) -> dict:
        lr = self.learning_rate
        config = {"learning_rate": lr.get_config() if isinstance(lr, ExponentialDecay) else lr, "decay": self.decay}
        if self.use_ema:  # only then: a model file without it stays readable by earlier versions
            config.update(use_ema=True, ema_momentum=self.ema_momentum,
                          ema_overwrite_frequency=self.ema_overwrite_frequency)
        return config


class SGD(Optimizer):
    """v = momentum * v - lr * g;  w += v  (Nesterov: w += momentum * v - lr * g)."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False, decay: float = 0.0,
                 **ema):
        super().__init__(learning_rate, decay, **ema)
        if not 0 <= momentum <= 1:
            raise InvalidValueError(f"invalid momentum: {momentum} (expected 0 <= momentum <= 1)")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.slots = ("momentum",) if momentum else ()

    def update(self, p, g, state, lr):
        if not self.momentum:
            p -= lr * g
            return
        v = state["momentum"]
        v *= self.momentum
        v -= lr * g
        if self.nesterov:
            p += self.momentum * v - lr * g
        else:
            p += v

    def kernel(self, lr):
        if not self.momentum:
            return "sgd", (), (lr,)
        return "sgd_momentum", ("momentum",), (self.momentum, lr, self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """v = rho * v + (1 - rho) * g**2;  w -= lr * g / sqrt(v + eps)."""

    slots = ("velocity",)

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7, decay: float = 0.0, **ema):
        super().__init__(learning_rate, decay, **ema)
        if not 0 <= rho < 1:
            raise InvalidValueError(f"invalid rho: {rho} (expected 0 <= rho < 1)")
        self.rho, self.epsilon = float(rho), float(epsilon)

    def update(self, p, g, state, lr):
        v = state["velocity"]
        buf = np.square(g)
        buf -= v  # v += (1 - rho) * (g**2 - v): the same average in fewer passes over memory
        buf *= 1 - self.rho
        v += buf
        np.add(v, self.epsilon, out=buf)
        np.sqrt(buf, out=buf)
        np.divide(g, buf, out=buf)
        buf *= lr
        p -= buf

    def kernel(self, lr):
        return "rmsprop", ("velocity",), (1 - self.rho, self.epsilon, lr)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """m, v: moving averages of g and g**2;  w -= lr_t * m / (sqrt(v) + eps),
    with lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)."""

    slots = ("m", "v")

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, decay: float = 0.0, **ema):
        super().__init__(learning_rate, decay, **ema)
        for name, b in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= b < 1:
                raise InvalidValueError(f"invalid {name}: {b} (expected 0 <= {name} < 1)")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _lr_t(self, lr: float) -> float:
        t = self.iterations  # already counts this step
        return lr * (1 - self.beta_2**t) ** 0.5 / (1 - self.beta_1**t)  # a Python float: float32 stays float32

    def kernel(self, lr):
        return "adam", ("m", "v"), (1 - self.beta_1, 1 - self.beta_2, self.epsilon, self._lr_t(lr))

    def update(self, p, g, state, lr):
        lr_t = self._lr_t(lr)
        m, v = state["m"], state["v"]
        buf = g - m
        buf *= 1 - self.beta_1
        m += buf
        np.square(g, out=buf)
        buf -= v
        buf *= 1 - self.beta_2
        v += buf
        np.sqrt(v, out=buf)
        buf += self.epsilon
        np.divide(m, buf, out=buf)
        buf *= lr_t
        p -= buf

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def get(spec) -> Optimizer:
    """An Optimizer from a name ("adam"), an instance, or a saved ``{"class_name", "config"}`` dict."""
    return resolve(spec.lower() if isinstance(spec, str) else spec, "optimizer", Optimizer, OPTIMIZERS,
                   {cls.__name__: cls for cls in OPTIMIZERS.values()})
