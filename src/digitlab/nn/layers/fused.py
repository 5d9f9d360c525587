"""Training stages: adjacent layers that a training step runs as one, to save passes over memory.

    plan(layers)      the layers, with each Conv2D(activation="relu") directly followed by a
                      MaxPooling2D(2) (2x2 windows, stride 2, no padding) replaced by one ConvReluPool

A convnet's largest arrays are a convolution's output before pooling (conv 32 on 28x28 digits: 11 MB
a batch of 128). Run layer by layer, a training step passes over it about eight times (the product,
bias, relu, pooling, pooling's gradient, relu's gradient, the kernel gradient's copy, ...); the stage
writes it at most once, pools it in the same pass as bias and relu (they commute with max: all three
are monotone), and the kernel gradient of a first layer reads the images, never a full-size gradient.

Inference (``predict``, ``evaluate``) runs the layers one by one, in NumPy: the stage is a training
optimisation only, and its compiled kernels (``conv_kernels``, Numba) are imported on first use.
The reference is the layers themselves: ``reference_forward`` / ``reference_backward`` compose the
NumPy rules of conv.py, and tests/nn/test_fused.py checks the stage against them.
"""

from __future__ import annotations

import numpy as np

from .base import Layer
from .conv import Conv2D, MaxPooling2D, _transposed_product, pad_images

ENABLED = True  # tests and benchmarks switch the stages off to time or compare the plain layers
_DIRECT_MAX_INPUTS = 32  # KH * KW * C up to this: convolve straight from the images (no im2col copy)


def _kernels():
    try:
        from . import conv_kernels
    except ImportError:  # Numba missing or broken: train with the plain layers
        return None
    return conv_kernels


def plan(layers: list[Layer]) -> list:
    """The stages a training step runs: the layers, with fusable (Conv2D relu, MaxPooling2D 2x2) pairs joined."""
    if not ENABLED or _kernels() is None:
        return list(layers)
    stages, i = [], 0
    while i < len(layers):
        if i + 1 < len(layers) and ConvReluPool.fits(layers[i], layers[i + 1]):
            stages.append(ConvReluPool(layers[i], layers[i + 1]))
            i += 2
        else:
            stages.append(layers[i])
            i += 1
    return stages


class _Buffers:
    """Arrays reused from step to step (an im2col matrix is 18 MB a batch: allocating it afresh each
    step costs its page faults every time). ``get`` returns a C-contiguous view of the requested shape."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        size = int(np.prod(shape))
        flat = self.arrays.get(name)
        if flat is None or flat.dtype != dtype or flat.size < size:
            flat = self.arrays[name] = np.empty(size, dtype)
        return flat[:size].reshape(shape)


class ConvReluPool:
    """conv (Conv2D, relu) then pool (MaxPooling2D 2x2 / 2), as one stage: x (N, H, W, C) -> (N, PH, PW, F).

    Weights and gradients stay in the two layers' ``params`` and ``grads``; the stage keeps only what its
    backward needs (the im2col matrix or the padded images, the pooled output, the argmax positions)."""

    def __init__(self, conv: Conv2D, pool: MaxPooling2D):
        self.conv, self.pool = conv, pool
        self.buffers = _Buffers()

    @staticmethod
    def fits(conv, pool) -> bool:
        return (isinstance(conv, Conv2D) and conv.activation == "relu" and isinstance(pool, MaxPooling2D)
                and pool.pool_size == (2, 2) and pool.strides == (2, 2) and not any(pool.pads))

    @property
    def direct(self) -> bool:
        """Convolve straight from the images: stride 1, few inputs per output, and no dL/dx needed."""
        (kh, kw), c = self.conv.kernel_size, self.conv.input_shape[2]
        return self.conv.strides == (1, 1) and kh * kw * c <= _DIRECT_MAX_INPUTS and not self.conv.needs_input_grad

    def forward(self, x, training=True, rng=None):
        k, conv = _kernels(), self.conv
        kernel = conv.params["kernel"]  # (KH, KW, C, F)
        (kh, kw), (sh, sw), f = conv.kernel_size, conv.strides, conv.filters
        bias = conv.params["bias"] if conv.use_bias else np.zeros(f, kernel.dtype)
        xp = np.ascontiguousarray(pad_images(x, conv.pads))  # (N, H', W', C)
        n, hp, wp, c = xp.shape
        oh, ow = (hp - kh) // sh + 1, (wp - kw) // sw + 1
        oh, ow = oh - oh % 2, ow - ow % 2  # an odd last row or column is cropped by the pooling: never computed
        out = np.empty((n, oh // 2, ow // 2, f), kernel.dtype)  # (N, PH, PW, F)
        arg = np.empty(out.shape, np.uint8)
        if self.direct:
            k.direct_kernels(kh, kw, c)[0](xp, kernel, bias, out, arg)
            self.xp = xp
        else:
            cols = self.buffers.get("cols", (n * oh * ow, kh * kw * c), kernel.dtype)
            k.im2col(xp, kh, kw, sh, sw, oh, ow, cols)
            z = self.buffers.get("z", (n * oh * ow, f), kernel.dtype)
            np.matmul(cols, kernel.reshape(kh * kw * c, f), out=z)  # (N*OH*OW, F): one BLAS product
            k.bias_relu_pool(z.reshape(n, oh, ow, f), bias, out, arg)
            self.cols, self.xp_shape = cols, xp.shape
        self.x_shape, self.out, self.arg, self.z_shape = x.shape, out, arg, (n, oh, ow, f)
        return out

    def backward(self, dout):
        k, conv = _kernels(), self.conv
        kernel = conv.params["kernel"]
        kh, kw, c, f = kernel.shape
        dout = np.ascontiguousarray(dout, kernel.dtype)
        n = len(dout)
        dbias_rows = np.empty((n, f), kernel.dtype)
        dx = None
        if self.direct:
            dk_rows = np.empty((n, kh * kw * c, f), kernel.dtype)  # per image, summed below
            k.direct_kernels(kh, kw, c)[1](dout, self.out, self.arg, self.xp, dk_rows, dbias_rows)
            conv.grads["kernel"][...] = dk_rows.sum(axis=0).reshape(kernel.shape)
        else:
            dz = self.buffers.get("dz", self.z_shape, kernel.dtype)  # (N, OH, OW, F)
            k.unpool_relu(dout, self.out, self.arg, dz, dbias_rows)
            dz2 = dz.reshape(-1, f)
            conv.grads["kernel"][...] = _transposed_product(self.cols, dz2).reshape(kernel.shape)  # cols.T @ dz
            if conv.needs_input_grad:
                dcols = self.cols  # the im2col matrix is no longer needed: its buffer takes dL/dcols
                np.matmul(dz2, kernel.reshape(kh * kw * c, f).T, out=dcols)  # (N*OH*OW, KH*KW*C)
                dxp = np.empty(self.xp_shape, kernel.dtype)
                k.col2im(dcols, kh, kw, *conv.strides, *self.z_shape[1:3], dxp)
                top, _, left, _ = conv.pads
                dx = dxp[:, top:top + self.x_shape[1], left:left + self.x_shape[2]]
            self.cols = None  # used up (and overwritten): a second backward needs a new forward
        if conv.kernel_regularizer:
            conv.kernel_regularizer.add_gradient(kernel, conv.grads["kernel"])
        if conv.use_bias:
            conv.grads["bias"][...] = dbias_rows.sum(axis=0)
        return dx


# ---- the reference: the same stage as the NumPy layers compute it --------------------------------


def reference_forward(stage: ConvReluPool, x: np.ndarray) -> np.ndarray:
    return stage.pool.forward(stage.conv.forward(x, training=True))


def reference_backward(stage: ConvReluPool, dout: np.ndarray):
    return stage.conv.backward(stage.pool.backward(dout))
