"""Weight initializers: ``init(shape, rng, dtype) -> array``, looked up by name or built with parameters.

``fan_in, fan_out`` are a kernel's (inputs, outputs). Keras's defaults are
Glorot-uniform kernels and zero biases; the book uses ``RandomNormal(0.01)``
and Raschka ``RandomUniform(-1, 1)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ._registry import resolve


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) as Keras counts them; a convolution kernel (KH, KW, C, F) has KH*KW*C inputs and
    KH*KW*F outputs per unit."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) > 2:
        receptive = int(np.prod(shape[:-2]))
        return shape[-2] * receptive, shape[-1] * receptive
    return int(np.prod(shape)), int(np.prod(shape))


@dataclass(frozen=True)
class Initializer:
    def __call__(self, shape, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
        return self.sample(tuple(shape), rng).astype(dtype)

    def sample(self, shape, rng):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"class_name": type(self).__name__, "config": asdict(self)}


@dataclass(frozen=True)
class Zeros(Initializer):
    def sample(self, shape, rng):
        return np.zeros(shape)


@dataclass(frozen=True)
class Ones(Initializer):
    def sample(self, shape, rng):
        return np.ones(shape)


@dataclass(frozen=True)
class RandomNormal(Initializer):
    mean: float = 0.0
    stddev: float = 0.05

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)


@dataclass(frozen=True)
class RandomUniform(Initializer):
    minval: float = -0.05
    maxval: float = 0.05

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)


@dataclass(frozen=True)
class GlorotUniform(Initializer):
    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape)


@dataclass(frozen=True)
class GlorotNormal(Initializer):
    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        return _truncated_normal(rng, np.sqrt(2.0 / (fan_in + fan_out)), shape)


@dataclass(frozen=True)
class HeNormal(Initializer):
    def sample(self, shape, rng):
        return _truncated_normal(rng, np.sqrt(2.0 / _fans(shape)[0]), shape)


@dataclass(frozen=True)
class HeUniform(Initializer):
    def sample(self, shape, rng):
        limit = np.sqrt(6.0 / _fans(shape)[0])
        return rng.uniform(-limit, limit, shape)


def _truncated_normal(rng, stddev, shape):
    # Keras draws from a normal truncated at 2 std, scaled so the std stays `stddev`.
    scale = stddev / 0.87962566103423978
    out = rng.normal(0.0, scale, shape)
    bad = np.abs(out) > 2 * scale
    while bad.any():
        out[bad] = rng.normal(0.0, scale, int(bad.sum()))
        bad = np.abs(out) > 2 * scale
    return out


INITIALIZERS = {
    "zeros": Zeros, "ones": Ones, "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal, "he_uniform": HeUniform,
}
_BY_CLASS = {cls.__name__: cls for cls in INITIALIZERS.values()}


def get(spec) -> Initializer:
    """An Initializer from a name ("he_normal"), an instance, or a saved config dict."""
    return resolve(spec, "initializer", Initializer, INITIALIZERS, _BY_CLASS)
