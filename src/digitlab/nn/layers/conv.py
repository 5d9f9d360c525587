"""Convolution and pooling over channels-last images, each forward beside backward.

    windows(x, kh, kw, stride)            (N, H, W, C) -> a read-only view (N, OH, OW, KH, KW, C)
    add_windows(dwin, shape, stride)      its adjoint: sums window gradients back into (N, H, W, C)
    conv2d / conv2d_backward              im2col (one copy of the windows) and one matrix product
    max_pool / max_pool_backward          the first maximum of each window gets the gradient
    avg_pool / avg_pool_backward          ("same" padding averages only the pixels inside the image)

    Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, ZeroPadding2D, Reshape: the layers

Images are (N, H, W, C) as Keras has them; kernels (KH, KW, C, F). The only
Python loops run over the KH x KW positions of a kernel or pooling window, never
over pixels. Padding follows Keras: "valid" (none) or "same" (output ceil(H /
stride), the odd pixel of padding at the bottom and right).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...errors import InvalidValueError
from .base import Layer, WeightedLayer

# ---- array functions -------------------------------------------------------------------------


def pair(value, what: str) -> tuple[int, int]:
    """2 -> (2, 2); (2, 3) -> (2, 3); anything else is refused, naming ``what``."""
    pair_ = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair_) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in pair_):
        raise InvalidValueError(f"{what} must be a positive integer or a pair of them, got {value!r}")
    return int(pair_[0]), int(pair_[1])


def padding_amounts(size: int, k: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(pad before, pad after, output size) along one axis of ``size`` pixels, as Keras pads."""
    if padding == "valid":
        return 0, 0, (size - k) // stride + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2, out


def pad_images(x: np.ndarray, pads: tuple[int, int, int, int], value: float = 0.0) -> np.ndarray:
    """x (N, H, W, C) with (top, bottom, left, right) pixels of ``value`` added; x itself when no padding."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def windows(x: np.ndarray, kh: int, kw: int, stride: tuple[int, int]) -> np.ndarray:
    """Every kh x kw window of x (N, H, W, C) at the given stride, as a read-only view
    (N, OH, OW, KH, KW, C) with OH = (H - kh) // sh + 1; no data is copied."""
    n, h, w, c = x.shape
    sh, sw = stride
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    s = x.strides
    return as_strided(x, (n, oh, ow, kh, kw, c), (s[0], s[1] * sh, s[2] * sw, s[1], s[2], s[3]), writeable=False)


def add_windows(dwin: np.ndarray, shape: tuple[int, ...], stride: tuple[int, int]) -> np.ndarray:
    """The adjoint of ``windows``: dwin (N, OH, OW, KH, KW, C) summed into an array of ``shape`` (N, H, W, C)."""
    n, oh, ow, kh, kw, c = dwin.shape
    sh, sw = stride
    dx = np.zeros(shape, dwin.dtype)
    for i in range(kh):  # a loop over kernel positions (9 for 3x3), each a strided slice of every pixel
        for j in range(kw):
            dx[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += dwin[:, :, :, i, j]
    return dx


def conv2d(x: np.ndarray, kernel: np.ndarray, stride: tuple[int, int], pads: tuple[int, int, int, int]):
    """Cross-correlation, as Keras and PyTorch compute it. x (N, H, W, C), kernel (KH, KW, C, F)
    -> (y (N, OH, OW, F), cols (N * OH * OW, KH * KW * C), the im2col matrix that backward needs)."""
    kh, kw, c, f = kernel.shape
    win = windows(pad_images(x, pads), kh, kw, stride)  # (N, OH, OW, KH, KW, C), a view
    n, oh, ow = win.shape[:3]
    cols = win.reshape(n * oh * ow, kh * kw * c)  # the one copy: each window laid out as a row
    y = cols @ kernel.reshape(kh * kw * c, f)  # (N * OH * OW, F): one BLAS product
    return y.reshape(n, oh, ow, f), cols


def conv2d_backward(dy: np.ndarray, cols: np.ndarray, kernel: np.ndarray, x_shape: tuple[int, ...],
                    stride: tuple[int, int], pads: tuple[int, int, int, int], need_dx: bool = True):
    """Gradients of ``conv2d``. dy (N, OH, OW, F) -> (dkernel (KH, KW, C, F), dbias (F,), dx (N, H, W, C) or None)."""
    kh, kw, c, f = kernel.shape
    n, oh, ow, _ = dy.shape
    dy2 = dy.reshape(n * oh * ow, f)
    dkernel = _transposed_product(cols, dy2).reshape(kernel.shape)  # (KH * KW * C, F)
    dbias = dy2.sum(axis=0)
    if not need_dx:
        return dkernel, dbias, None
    dcols = (dy2 @ kernel.reshape(kh * kw * c, f).T).reshape(n, oh, ow, kh, kw, c)
    top, bottom, left, right = pads
    _, h, w, _ = x_shape
    dxp = add_windows(dcols, (n, h + top + bottom, w + left + right, c), stride)
    return dkernel, dbias, dxp[:, top:top + h, left:left + w]


def _transposed_product(cols: np.ndarray, dy2: np.ndarray) -> np.ndarray:
    """cols.T @ dy2: (M, K), (M, F) -> (K, F), summed over the M = N * OH * OW output pixels.

    Computed as (dy2.T @ cols).T when K <= F (a first layer: K = 9 or 25 for one channel): OpenBLAS's
    kernel for a product with so few output rows ran ~20x slower here (measured on this project's
    machine) than the same product the other way round, which in turn is slower for large K."""
    return (dy2.T @ cols).T if cols.shape[1] <= dy2.shape[1] else cols.T @ dy2


def max_pool(x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: tuple[int, int, int, int]):
    """Maximum of each window. x (N, H, W, C) -> (y (N, OH, OW, C), argmax (N, OH, OW, C): the position
    (row-major in the window) of its first maximum, which backward routes the gradient to).

    One pass per window position (4 for 2x2) over output-sized arrays, reading strided views of x."""
    kh, kw = pool
    win = windows(pad_images(x, pads, -np.inf), kh, kw, stride)  # (N, OH, OW, KH, KW, C), a view
    y = win[:, :, :, 0, 0].copy()
    argmax = np.zeros(y.shape, np.uint8 if kh * kw < 256 else np.intp)
    for p in range(1, kh * kw):
        candidate = win[:, :, :, p // kw, p % kw]
        np.copyto(argmax, p, where=candidate > y)  # strictly greater: a tie stays with the first
        np.maximum(y, candidate, out=y)
    return y, argmax


def max_pool_values(x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int],
                    pads: tuple[int, int, int, int]) -> np.ndarray:
    """``max_pool``'s y alone, for inference, where no gradient is routed: (N, H, W, C) -> (N, OH, OW, C).
    One np.maximum pass per window position, without the comparisons that find the argmax."""
    kh, kw = pool
    win = windows(pad_images(x, pads, -np.inf), kh, kw, stride)  # (N, OH, OW, KH, KW, C), a view
    y = win[:, :, :, 0, 0].copy()
    for p in range(1, kh * kw):
        np.maximum(y, win[:, :, :, p // kw, p % kw], out=y)
    return y


def max_pool_backward(dy: np.ndarray, argmax: np.ndarray, x_shape: tuple[int, ...], pool: tuple[int, int],
                      stride: tuple[int, int], pads: tuple[int, int, int, int]) -> np.ndarray:
    """dy (N, OH, OW, C) -> dx (N, H, W, C): each window's gradient to its first maximum."""
    n, oh, ow, c = dy.shape
    kh, kw = pool
    sh, sw = stride
    top, bottom, left, right = pads
    h, w = x_shape[1] + top + bottom, x_shape[2] + left + right
    zero = dy.dtype.type(0)
    if (kh, kw) == (sh, sw):  # windows side by side: each pixel is in one window at most, so write, not add
        covered = oh * kh == h and ow * kw == w
        dxp = (np.empty if covered else np.zeros)((n, h, w, c), dy.dtype)
        s = dxp.strides
        cells = as_strided(dxp, (n, oh, ow, kh, kw, c), (s[0], s[1] * kh, s[2] * kw, s[1], s[2], s[3]))
        for p in range(kh * kw):
            np.copyto(cells[:, :, :, p // kw, p % kw], np.where(argmax == p, dy, zero))
    else:
        dxp = np.zeros((n, h, w, c), dy.dtype)
        for p in range(kh * kw):
            i, j = divmod(p, kw)
            dxp[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += np.where(argmax == p, dy, zero)
    return dxp[:, top:top + x_shape[1], left:left + x_shape[2]]


def _unpad_add(dwin, x_shape, stride, pads):
    top, bottom, left, right = pads
    n, h, w, c = x_shape
    dxp = add_windows(dwin, (n, h + top + bottom, w + left + right, c), stride)
    return dxp[:, top:top + h, left:left + w]


def avg_pool(x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: tuple[int, int, int, int]):
    """Mean of each window over the pixels inside the image. x (N, H, W, C) -> (y (N, OH, OW, C),
    counts (OH, OW, 1): how many image pixels each window holds)."""
    win = windows(pad_images(x, pads), *pool, stride)
    n, oh, ow, kh, kw, c = win.shape
    if any(pads):
        ones = pad_images(np.ones((1, x.shape[1], x.shape[2], 1), x.dtype), pads)
        counts = windows(ones, kh, kw, stride).sum(axis=(3, 4))[0]  # (OH, OW, 1)
    else:
        counts = np.full((oh, ow, 1), kh * kw, x.dtype)
    return win.sum(axis=(3, 4)) / counts, counts


def avg_pool_backward(dy: np.ndarray, counts: np.ndarray, x_shape: tuple[int, ...], pool: tuple[int, int],
                      stride: tuple[int, int], pads: tuple[int, int, int, int]) -> np.ndarray:
    """dy (N, OH, OW, C) -> dx (N, H, W, C): each window's gradient shared among its image pixels."""
    n, oh, ow, c = dy.shape
    share = (dy / counts)[:, :, :, None, None, :]  # (N, OH, OW, 1, 1, C)
    dwin = np.broadcast_to(share, (n, oh, ow, *pool, c))
    return _unpad_add(dwin, x_shape, stride, pads)


# ---- layers ------------------------------------------------------------------------------------


def _padding(value: str, layer: str) -> str:
    if value not in ("valid", "same"):
        raise InvalidValueError(f"{layer} padding must be 'valid' or 'same', got {value!r}")
    return value


def _image_shape(input_shape, layer) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise InvalidValueError(
            f"{layer} expects images (N, height, width, channels), got (N, {', '.join(map(str, input_shape))}); "
            "put layers.Reshape((28, 28, 1)) first for (N, 784) or (N, 28, 28) inputs")
    return tuple(int(s) for s in input_shape)


class Conv2D(WeightedLayer):
    """y = activation(conv2d(x, kernel) + bias). x (N, H, W, C), kernel (KH, KW, C, filters), y (N, OH, OW, filters)."""

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", activation: str | None = None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, input_shape=None, name=None):
        super().__init__(name, input_shape)
        if not (isinstance(filters, (int, np.integer)) and filters > 0):
            raise InvalidValueError(f"Conv2D filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "Conv2D kernel_size")
        self.strides = pair(strides, "Conv2D strides")
        self.padding = _padding(padding, "Conv2D")
        self._set_weight_settings(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer)

    def build(self, input_shape, rng, dtype):
        h, w, c = _image_shape(input_shape, f"Conv2D {self.name}")
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        top, bottom, oh = padding_amounts(h, kh, sh, self.padding)
        left, right, ow = padding_amounts(w, kw, sw, self.padding)
        if oh < 1 or ow < 1:
            raise InvalidValueError(f"Conv2D {self.name}: a {kh}x{kw} kernel does not fit {h}x{w} images "
                                    "with padding 'valid'")
        self.pads = (top, bottom, left, right)
        self.input_shape = (h, w, c)
        self.params = {"kernel": self.kernel_initializer((kh, kw, c, self.filters), rng, dtype)}
        if self.use_bias:
            self.params["bias"] = self.bias_initializer((self.filters,), rng, dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.output_shape = (oh, ow, self.filters)
        return self.output_shape

    def forward(self, x, training=False, rng=None):
        z, cols = conv2d(x, self.params["kernel"], self.strides, self.pads)  # (N, OH, OW, F)
        if self.use_bias:
            z += self.params["bias"]
        self.x_shape, self.cols = x.shape, cols if training else None  # backward follows only training passes
        self.y = self._act(z)
        return self.y

    def backward(self, dy):
        return self.backward_preactivation(self._act_backward(self.y, dy))

    def backward_preactivation(self, dz):
        if self.cols is None:
            raise InvalidValueError(f"Conv2D {self.name}: backward needs a forward pass with training=True first")
        dkernel, dbias, dx = conv2d_backward(dz, self.cols, self.params["kernel"], self.x_shape, self.strides,
                                             self.pads, self.needs_input_grad)
        self.grads["kernel"][...] = dkernel
        if self.kernel_regularizer:
            self.kernel_regularizer.add_gradient(self.params["kernel"], self.grads["kernel"])
        if self.use_bias:
            self.grads["bias"][...] = dbias
        return dx

    def penalty(self):
        return self.kernel_regularizer.penalty(self.params["kernel"]) if self.kernel_regularizer else 0.0

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "activation": self.activation,
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer.get_config(),
                "bias_initializer": self.bias_initializer.get_config(),
                "kernel_regularizer": self.kernel_regularizer.get_config() if self.kernel_regularizer else None}


class _Pooling2D(Layer):
    """Shared by the pooling layers: pool_size, strides (default: pool_size), padding."""

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", name=None, input_shape=None):
        super().__init__(name, input_shape)
        kind = type(self).__name__
        self.pool_size = pair(pool_size, f"{kind} pool_size")
        self.strides = pair(strides, f"{kind} strides") if strides is not None else self.pool_size
        self.padding = _padding(padding, kind)

    def build(self, input_shape, rng, dtype):
        h, w, c = _image_shape(input_shape, f"{type(self).__name__} {self.name}")
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        top, bottom, oh = padding_amounts(h, ph, sh, self.padding)
        left, right, ow = padding_amounts(w, pw, sw, self.padding)
        if oh < 1 or ow < 1:
            raise InvalidValueError(f"{type(self).__name__} {self.name}: a {ph}x{pw} pool does not fit {h}x{w} images")
        self.pads = (top, bottom, left, right)
        self.input_shape, self.output_shape = (h, w, c), (oh, ow, c)
        return self.output_shape

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """The maximum of each pool_size window. (N, H, W, C) -> (N, OH, OW, C)."""

    def forward(self, x, training=False, rng=None):
        if training:
            y, self.argmax = max_pool(x, self.pool_size, self.strides, self.pads)
        else:  # predicting: the argmax is found only if backward is asked for after all
            y, self.argmax = max_pool_values(x, self.pool_size, self.strides, self.pads), None
        self.x, self.x_shape = (None if training else x), x.shape
        return y

    def backward(self, dy):
        if self.argmax is None:
            _, self.argmax = max_pool(self.x, self.pool_size, self.strides, self.pads)
        return max_pool_backward(dy, self.argmax, self.x_shape, self.pool_size, self.strides, self.pads)


class AveragePooling2D(_Pooling2D):
    """The mean of each pool_size window. (N, H, W, C) -> (N, OH, OW, C)."""

    def forward(self, x, training=False, rng=None):
        y, self.counts = avg_pool(x, self.pool_size, self.strides, self.pads)
        self.x_shape = x.shape
        return y

    def backward(self, dy):
        return avg_pool_backward(dy, self.counts, self.x_shape, self.pool_size, self.strides, self.pads)


class GlobalAveragePooling2D(Layer):
    """The mean of each channel over the image. (N, H, W, C) -> (N, C)."""

    def build(self, input_shape, rng, dtype):
        h, w, c = _image_shape(input_shape, f"GlobalAveragePooling2D {self.name}")
        self.input_shape, self.output_shape = (h, w, c), (c,)
        return self.output_shape

    def forward(self, x, training=False, rng=None):
        return x.mean(axis=(1, 2))

    def backward(self, dy):
        h, w, c = self.input_shape
        return np.broadcast_to((dy / (h * w))[:, None, None, :], (len(dy), h, w, c)).copy()


class ZeroPadding2D(Layer):
    """Zeros around each image: padding 1, (rows, columns) or ((top, bottom), (left, right)). (N, H, W, C) ->
    (N, H + top + bottom, W + left + right, C). The book's convolution with pad 2 is this, then Conv2D."""

    def __init__(self, padding=1, name=None, input_shape=None):
        super().__init__(name, input_shape)
        if isinstance(padding, (int, np.integer)):
            padding = ((padding, padding), (padding, padding))
        elif all(isinstance(p, (int, np.integer)) for p in padding):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        pads = tuple(int(p) for pp in padding for p in pp)
        if len(pads) != 4 or min(pads) < 0:
            raise InvalidValueError(f"ZeroPadding2D padding must be non-negative integers, got {padding!r}")
        self.padding = ((pads[0], pads[1]), (pads[2], pads[3]))

    def build(self, input_shape, rng, dtype):
        h, w, c = _image_shape(input_shape, f"ZeroPadding2D {self.name}")
        (t, b), (l, r) = self.padding
        self.input_shape, self.output_shape = (h, w, c), (h + t + b, w + l + r, c)
        return self.output_shape

    def forward(self, x, training=False, rng=None):
        (t, b), (l, r) = self.padding
        return pad_images(x, (t, b, l, r))

    def backward(self, dy):
        (t, _), (l, _) = self.padding
        h, w, _ = self.input_shape
        return dy[:, t:t + h, l:l + w]

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class Reshape(Layer):
    """(N, *input_shape) -> (N, *target_shape); one entry of target_shape may be -1. ``Reshape((28, 28, 1),
    input_shape=(784,))`` lets a convolutional model take flattened pixels."""

    def __init__(self, target_shape, name=None, input_shape=None):
        super().__init__(name, input_shape)
        self.target_shape = tuple(int(s) for s in target_shape)
        if sum(s == -1 for s in self.target_shape) > 1 or any(s < 1 and s != -1 for s in self.target_shape):
            raise InvalidValueError(f"Reshape target_shape must be positive sizes and at most one -1, got {target_shape!r}")

    def build(self, input_shape, rng, dtype):
        size = int(np.prod(input_shape))
        known = int(np.prod([s for s in self.target_shape if s != -1]))
        shape = tuple(size // known if s == -1 else s for s in self.target_shape)
        if int(np.prod(shape)) != size:
            raise InvalidValueError(f"Reshape {self.name}: cannot reshape (N, {', '.join(map(str, input_shape))}) "
                                    f"to (N, {', '.join(map(str, self.target_shape))})")
        self.input_shape, self.output_shape = tuple(input_shape), shape
        return shape

    def forward(self, x, training=False, rng=None):
        return x.reshape(len(x), *self.output_shape)

    def backward(self, dy):
        return dy.reshape(len(dy), *self.input_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
