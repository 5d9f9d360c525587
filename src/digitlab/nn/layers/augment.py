"""Random distortions of digit images, so that a model trained on MNIST holds up on photos.

    Augment                              the layer: distorts in training, passes through at inference
    random_affine(images, rng, ...)      small shifts, rotations, scaling and shear, one per image
    random_elastic(images, rng, ...)     a smooth random wobble, as of a hand
    random_thickness(images, rng, ...)   strokes made bolder, much bolder or thinner, per image
    random_blur(images, rng, ...)        some images softened, as a small or out-of-focus digit

Both take and return (N, H, W) float arrays with ink bright on black, and are
vectorized over the batch (no per-image Python loop).
"""

from __future__ import annotations

import numpy as np

from ...errors import InvalidValueError
from .base import Layer


def random_affine(images: np.ndarray, rng: np.random.Generator, shift: float = 2.0, rotation: float = 12.0,
                  zoom: float = 0.12, shear: float = 0.0) -> np.ndarray:
    """Each image moved by up to ``shift`` px, turned by up to ``rotation`` degrees, scaled by 1 +- ``zoom``
    and (if ``shear``) slanted by up to ``shear`` (x moves by shear * y), about its centre; bilinear
    sampling, zero outside. (N, H, W) -> (N, H, W)."""
    n, h, w = images.shape
    angle = np.deg2rad(rng.uniform(-rotation, rotation, n))
    scale = rng.uniform(1 - zoom, 1 + zoom, n)
    ty, tx = rng.uniform(-shift, shift, (2, n))
    slant = rng.uniform(-shear, shear, n) if shear else np.zeros(n)  # drawn only when asked: same stream as before
    # output pixel (y, x) samples the source at R(-angle) / scale applied to (y, x) - centre - t, + centre
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    yy, xx = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    dy = yy[None] - ty[:, None, None]
    dx = xx[None] - tx[:, None, None] - slant[:, None, None] * yy[None]
    sy = cos[:, None, None] * dy - sin[:, None, None] * dx + (h - 1) / 2
    sx = sin[:, None, None] * dy + cos[:, None, None] * dx + (w - 1) / 2
    return bilinear(images, sy, sx)


def random_elastic(images: np.ndarray, rng: np.random.Generator, alpha: float = 1.5, grid: int = 4) -> np.ndarray:
    """Each image warped by a smooth random displacement field: independent normal displacements of
    standard deviation ``alpha`` px on a ``grid`` x ``grid`` lattice, interpolated bilinearly to every pixel
    (the wobble of a hand, as Simard et al. 2003 distort MNIST). (N, H, W) -> (N, H, W)."""
    n, h, w = images.shape
    coarse = rng.normal(0.0, alpha, (2 * n, grid, grid)).astype(images.dtype)  # dy fields, then dx fields
    gy, gx = np.meshgrid(np.linspace(0, grid - 1, h), np.linspace(0, grid - 1, w), indexing="ij")
    field = bilinear(coarse, np.broadcast_to(gy, (2 * n, h, w)), np.broadcast_to(gx, (2 * n, h, w)))
    yy, xx = np.meshgrid(np.arange(h, dtype=images.dtype), np.arange(w, dtype=images.dtype), indexing="ij")
    return bilinear(images, yy[None] + field[:n], xx[None] + field[n:])


def random_blur(images: np.ndarray, rng: np.random.Generator, p: float = 0.3) -> np.ndarray:
    """A share ``p`` of the images softened as a small or out-of-focus digit is: a [1, 2, 1] / 4 blur,
    once or twice, strokes' peak restored. (N, H, W) -> (N, H, W)."""
    chosen = rng.random(len(images)) < p
    passes = rng.integers(1, 3, len(images))
    out = images.copy()
    for k in (1, 2):
        pick = chosen & (passes >= k)
        if pick.any():
            a = np.pad(out[pick], ((0, 0), (1, 1), (1, 1)))
            a = 0.25 * a[:, :-2] + 0.5 * a[:, 1:-1] + 0.25 * a[:, 2:]
            out[pick] = 0.25 * a[:, :, :-2] + 0.5 * a[:, :, 1:-1] + 0.25 * a[:, :, 2:]
    peak = out[chosen].max(axis=(1, 2), keepdims=True)
    out[chosen] = out[chosen] / np.maximum(peak, 1e-6) * images[chosen].max(axis=(1, 2), keepdims=True)
    return out


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
                     p_thin: float = 0.15, p_bolder: float = 0.0) -> np.ndarray:
    """Some images' strokes made bolder (grey dilation, 3x3 cross), much bolder (twice: a marker), or
    thinner (half-strength erosion)."""
    choice = rng.random(len(images))
    out = images.copy()
    bold, thin = choice < p_bold, (choice >= p_bold) & (choice < p_bold + p_thin)
    bolder = (choice >= p_bold + p_thin) & (choice < p_bold + p_thin + p_bolder)
    if bold.any():
        out[bold] = _cross(images[bold], np.maximum)
    if bolder.any():
        out[bolder] = _cross(_cross(images[bolder], np.maximum), np.maximum)
    if thin.any():
        out[thin] = 0.5 * (images[thin] + _cross(images[thin], np.minimum))
    return out


def _cross(images: np.ndarray, op) -> np.ndarray:
    """op (max or min) over each pixel and its 4 neighbours; the border counts as zero. (N, H, W)."""
    p = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    return op.reduce([p[:, 1:-1, 1:-1], p[:, :-2, 1:-1], p[:, 2:, 1:-1], p[:, 1:-1, :-2], p[:, 1:-1, 2:]])


class Augment(Layer):
    """During training, distort each digit image at random (shift, rotation, zoom, stroke thickness, and
    optionally shear, an elastic wobble, blur and marker-bold strokes); at inference, pass inputs through
    unchanged. Inputs (N, h * w), (N, h, w) or (N, h, w, 1), ink bright on black."""

    def __init__(self, shift: float = 2.0, rotation: float = 12.0, zoom: float = 0.12, thickness: bool = True,
                 image_shape=(28, 28), shear: float = 0.0, elastic: float = 0.0, blur: float = 0.0,
                 bolder: float = 0.0, name=None, input_shape=None):
        super().__init__(name, input_shape)
        if min(shift, rotation, zoom, shear, elastic, blur, bolder) < 0 or zoom >= 1 or blur > 1 or bolder > 0.6:
            raise InvalidValueError("Augment: shift, rotation, zoom, shear, elastic, blur and bolder must be >= 0, "
                                    "zoom < 1, blur (a share) <= 1, bolder (a share) <= 0.6")
        self.shift, self.rotation, self.zoom, self.thickness = float(shift), float(rotation), float(zoom), bool(thickness)
        self.shear, self.elastic, self.blur, self.bolder = float(shear), float(elastic), float(blur), float(bolder)
        self.image_shape = tuple(image_shape)

    def build(self, input_shape, rng, dtype):
        if int(np.prod(input_shape)) != int(np.prod(self.image_shape)):
            raise InvalidValueError(f"Augment expects images of {self.image_shape[0]} x {self.image_shape[1]} pixels, "
                                    f"got inputs of shape (N, {', '.join(map(str, input_shape))})")
        return super().build(input_shape, rng, dtype)

    def forward(self, x, training=False, rng=None):
        if not training:
            return x
        images = random_affine(x.reshape(len(x), *self.image_shape), rng, self.shift, self.rotation, self.zoom,
                               self.shear)
        if self.elastic:
            images = random_elastic(images, rng, self.elastic)
        if self.thickness:
            images = random_thickness(images, rng, p_bolder=self.bolder)
        if self.blur:
            images = random_blur(images, rng, self.blur)
        return images.reshape(x.shape).astype(x.dtype, copy=False)

    def backward(self, dy):
        raise InvalidValueError("Augment must be the first layer: it has no gradient to pass back")

    def get_config(self):
        extra = {k: getattr(self, k) for k in ("shear", "elastic", "blur", "bolder") if getattr(self, k)}
        return {**super().get_config(), "shift": self.shift, "rotation": self.rotation, "zoom": self.zoom,
                "thickness": self.thickness, "image_shape": list(self.image_shape), **extra}
