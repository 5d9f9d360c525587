"""Random distortions of digit images, so that a model trained on MNIST holds up on photos.

    Augment                              the layer: distorts in training, passes through at inference
    random_affine(images, rng, ...)      small shifts, rotations and scaling, one per image
    random_thickness(images, rng, ...)   strokes made bolder or thinner, per image

Both take and return (N, H, W) float arrays with ink bright on black, and are
vectorized over the batch (no per-image Python loop).
"""

from __future__ import annotations

import numpy as np

from ...errors import InvalidValueError
from .base import Layer


def random_affine(images: np.ndarray, rng: np.random.Generator, shift: float = 2.0, rotation: float = 12.0,
                  zoom: float = 0.12) -> np.ndarray:
    """Each image moved by up to ``shift`` px, turned by up to ``rotation`` degrees and scaled by 1 +- ``zoom``
    about its centre; bilinear sampling, zero outside. (N, H, W) -> (N, H, W)."""
    n, h, w = images.shape
    angle = np.deg2rad(rng.uniform(-rotation, rotation, n))
    scale = rng.uniform(1 - zoom, 1 + zoom, n)
    ty, tx = rng.uniform(-shift, shift, (2, n))
    # output pixel (y, x) samples the source at R(-angle) / scale applied to (y, x) - centre - t, + centre
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    yy, xx = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    dy = yy[None] - ty[:, None, None]
    dx = xx[None] - tx[:, None, None]
    sy = cos[:, None, None] * dy - sin[:, None, None] * dx + (h - 1) / 2
    sx = sin[:, None, None] * dy + cos[:, None, None] * dx + (w - 1) / 2
    return bilinear(images, sy, sx)


def bilinear(images: np.ndarray, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
    """Sample images (N, H, W) at fractional coordinates sy, sx (N, H, W); zero outside the image."""
    n, h, w = images.shape
    padded = np.zeros((n, h + 2, w + 2), images.dtype)  # a zero border: clipped corners read zeros
    padded[:, 1:-1, 1:-1] = images
    y0, x0 = np.floor(sy), np.floor(sx)
    fy, fx = (sy - y0).astype(images.dtype), (sx - x0).astype(images.dtype)
    y0 = np.clip(y0.astype(np.intp) + 1, 0, h + 1)
    x0 = np.clip(x0.astype(np.intp) + 1, 0, w + 1)
    y1, x1 = np.minimum(y0 + 1, h + 1), np.minimum(x0 + 1, w + 1)
    flat = padded.ravel()
    base = (np.arange(n) * (h + 2) * (w + 2))[:, None, None]
    stride = w + 2

    def at(y, x):
        return flat[base + y * stride + x]
    top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx
    bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx
    return top * (1 - fy) + bottom * fy


def random_thickness(images: np.ndarray, rng: np.random.Generator, p_bold: float = 0.25,
                     p_thin: float = 0.15) -> np.ndarray:
    """Some images' strokes made bolder (grey dilation, 3x3 cross) or thinner (half-strength erosion)."""
    choice = rng.random(len(images))
    out = images.copy()
    bold, thin = choice < p_bold, (choice >= p_bold) & (choice < p_bold + p_thin)
    if bold.any():
        out[bold] = _cross(images[bold], np.maximum)
    if thin.any():
        out[thin] = 0.5 * (images[thin] + _cross(images[thin], np.minimum))
    return out


def _cross(images: np.ndarray, op) -> np.ndarray:
    """op (max or min) over each pixel and its 4 neighbours; the border counts as zero. (N, H, W)."""
    p = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    return op.reduce([p[:, 1:-1, 1:-1], p[:, :-2, 1:-1], p[:, 2:, 1:-1], p[:, 1:-1, :-2], p[:, 1:-1, 2:]])


class Augment(Layer):
    """During training, distort each digit image at random (shift, rotation, zoom, stroke thickness);
    at inference, pass inputs through unchanged. Inputs (N, h * w) or (N, h, w), ink bright on black."""

    def __init__(self, shift: float = 2.0, rotation: float = 12.0, zoom: float = 0.12, thickness: bool = True,
                 image_shape=(28, 28), name=None, input_shape=None):
        super().__init__(name, input_shape)
        if min(shift, rotation, zoom) < 0 or zoom >= 1:
            raise InvalidValueError("Augment: shift, rotation and zoom must be >= 0, zoom < 1")
        self.shift, self.rotation, self.zoom, self.thickness = float(shift), float(rotation), float(zoom), bool(thickness)
        self.image_shape = tuple(image_shape)

    def build(self, input_shape, rng, dtype):
        if int(np.prod(input_shape)) != int(np.prod(self.image_shape)):
            raise InvalidValueError(f"Augment expects images of {self.image_shape[0]} x {self.image_shape[1]} pixels, "
                                    f"got inputs of shape (N, {', '.join(map(str, input_shape))})")
        return super().build(input_shape, rng, dtype)

    def forward(self, x, training=False, rng=None):
        if not training:
            return x
        images = random_affine(x.reshape(len(x), *self.image_shape), rng, self.shift, self.rotation, self.zoom)
        if self.thickness:
            images = random_thickness(images, rng)
        return images.reshape(x.shape).astype(x.dtype, copy=False)

    def backward(self, dy):
        raise InvalidValueError("Augment must be the first layer: it has no gradient to pass back")

    def get_config(self):
        return {**super().get_config(), "shift": self.shift, "rotation": self.rotation, "zoom": self.zoom,
                "thickness": self.thickness, "image_shape": list(self.image_shape)}
