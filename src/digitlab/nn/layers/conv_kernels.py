"""Compiled (Numba) training kernels for a convolution with relu followed by 2x2 max pooling.

Each kernel is one pass over its arrays, parallel over the images of a batch, and computes what
the NumPy rules in ``conv.py`` compute (``fused.py`` holds the composition that is the reference;
tests/nn/test_fused.py checks them equal). Imported only by training code (``fused.py``), never
when digitlab is imported or predicts.

    im2col(xp, kh, kw, sh, sw, oh, ow, cols)         xp (N, H, W, C) -> cols (N*OH*OW, KH*KW*C)
    col2im(dcols, kh, kw, sh, sw, oh, ow, dx)         its adjoint: (N*OH*OW, KH*KW*C) -> dx (N, H, W, C)
    bias_relu_pool(z, bias, out, arg)                 z (N, OH, OW, F) -> relu(max of 2x2 + bias) (N, OH//2, OW//2, F)
    unpool_relu(dout, out, arg, dz, dbias_rows)       its gradient: dout (N, PH, PW, F) -> dz (N, OH, OW, F)
    direct_conv_relu_pool(xp, kernel, bias, out, arg)  the same forward from the images for a small kernel
    direct_conv_relu_pool_grad(dout, out, arg, xp, kh, kw, dk_rows, dbias_rows)   its kernel and bias gradients

``arg`` (uint8) is the position of each window's first maximum, row-major: 0 1 / 2 3. A pooled
output that relu zeroed passes no gradient, wherever its maximum was. Odd rows and columns that no
pool window covers are cropped, as Keras's "valid" pooling does, and get zero gradient; the
stage does not even compute them (conv 64 on 13x13 maps: 10x10 of the 11x11 outputs are pooled).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_OPTIONS = {"parallel": True, "cache": True, "nogil": True}
_DIRECT_OPTIONS = {**_OPTIONS, "fastmath": {"contract"}}  # fused multiply-adds: rounding as a BLAS product's


@njit(**_OPTIONS)
def im2col(xp, kh, kw, sh, sw, oh, ow, cols):
    """The first oh x ow kh x kw windows of xp (N, H, W, C) at stride (sh, sw), each as a row of
    cols (N*OH*OW, KH*KW*C), image by image, row-major."""
    n, h, w, c = xp.shape
    for b in prange(n):
        for i in range(oh):
            for j in range(ow):
                row = (b * oh + i) * ow + j
                for ki in range(kh):
                    for kj in range(kw):
                        base = (ki * kw + kj) * c
                        for ch in range(c):
                            cols[row, base + ch] = xp[b, i * sh + ki, j * sw + kj, ch]


@njit(**_OPTIONS)
def col2im(dcols, kh, kw, sh, sw, oh, ow, dx):
    """dx (N, H, W, C) = the sum of each row of dcols (N*OH*OW, KH*KW*C) back over its window (the adjoint
    of ``im2col``); pixels in no window get zero."""
    n, h, w, c = dx.shape
    for b in prange(n):
        dx[b] = 0
        for i in range(oh):
            for j in range(ow):
                row = (b * oh + i) * ow + j
                for ki in range(kh):
                    for kj in range(kw):
                        base = (ki * kw + kj) * c
                        for ch in range(c):
                            dx[b, i * sh + ki, j * sw + kj, ch] += dcols[row, base + ch]


@njit(**_OPTIONS)
def bias_relu_pool(z, bias, out, arg):
    """out (N, PH, PW, F) = relu(max over each 2x2 window of z (N, OH, OW, F) + bias); arg: the window's first max."""
    n, ph, pw, f = out.shape
    for b in prange(n):
        for i in range(ph):
            for j in range(pw):
                for ch in range(f):
                    best = z[b, 2 * i, 2 * j, ch] + bias[ch]
                    at = 0
                    for p in range(1, 4):
                        v = z[b, 2 * i + p // 2, 2 * j + p % 2, ch] + bias[ch]
                        if v > best:  # strictly greater: a tie stays with the first, as max_pool has it
                            best, at = v, p
                    out[b, i, j, ch] = best if best > 0 else 0
                    arg[b, i, j, ch] = at


@njit(**_OPTIONS)
def unpool_relu(dout, out, arg, dz, dbias_rows):
    """dz (N, OH, OW, F): each window's gradient dout (N, PH, PW, F) at its maximum where out > 0, zero
    elsewhere (also on a cropped odd edge); dbias_rows (N, F): the gradient's sum per image."""
    n, ph, pw, f = dout.shape
    oh, ow = dz.shape[1], dz.shape[2]
    for b in prange(n):
        dz[b] = 0
        dbias_rows[b] = 0
        for i in range(ph):
            for j in range(pw):
                for ch in range(f):
                    if out[b, i, j, ch] > 0:
                        g = dout[b, i, j, ch]
                        p = arg[b, i, j, ch]
                        dz[b, 2 * i + p // 2, 2 * j + p % 2, ch] = g
                        dbias_rows[b, ch] += g


@njit(**_DIRECT_OPTIONS)
def direct_conv_relu_pool(xp, kernel, bias, out, arg):
    """bias_relu_pool of the stride-1 valid convolution of xp (N, H, W, C) with kernel (KH, KW, C, F),
    computed straight from the images: for a first layer (C*KH*KW of 9 or 25) this is cheaper than
    an im2col copy and a product with so few inner terms, and the full-size output is never stored.

    Two rows of convolution outputs at a time (the rows of one row of pooling windows), each
    accumulated as rows of F: the innermost loop runs over the F filters, contiguous, in SIMD."""
    n, ph, pw, f = out.shape
    kh, kw, c, _ = kernel.shape
    ow = 2 * pw
    w2 = kernel.reshape(kh * kw * c, f)  # (KH*KW*C, F)
    for b in prange(n):
        acc = np.empty((2, ow, f), out.dtype)  # (2 rows, OW, F): the convolution before bias
        for i in range(ph):
            for r in range(2):
                acc[r] = 0
                for ki in range(kh):
                    for kj in range(kw):
                        for ch in range(c):
                            wrow = w2[(ki * kw + kj) * c + ch]
                            for x in range(ow):
                                v = xp[b, 2 * i + r + ki, x + kj, ch]
                                a = acc[r, x]
                                for o in range(f):
                                    a[o] += v * wrow[o]
            for j in range(pw):
                for o in range(f):
                    best = acc[0, 2 * j, o] + bias[o]
                    at = 0
                    for p in range(1, 4):
                        v = acc[p // 2, 2 * j + p % 2, o] + bias[o]
                        if v > best:
                            best, at = v, p
                    out[b, i, j, o] = best if best > 0 else 0
                    arg[b, i, j, o] = at


@njit(**_DIRECT_OPTIONS)
def direct_conv_relu_pool_grad(dout, out, arg, xp, kh, kw, dk_rows, dbias_rows):
    """The kernel and bias gradients of ``direct_conv_relu_pool`` per image: dk_rows (N, KH*KW*C, F),
    dbias_rows (N, F); their sums over the images are the gradients. Row by row as the forward pass:
    the two rows of pre-pooling gradients (zero but at each window's maximum) are rebuilt from dout."""
    n, ph, pw, f = dout.shape
    c = xp.shape[3]
    ow = 2 * pw
    for b in prange(n):
        dz = np.empty((2, ow, f), dout.dtype)  # (2 rows, OW, F): dL/d(convolution output)
        dk = dk_rows[b]
        dk[:, :] = 0
        dbias_rows[b] = 0
        for i in range(ph):
            dz[:, :, :] = 0
            for j in range(pw):
                for o in range(f):
                    if out[b, i, j, o] > 0:
                        p = arg[b, i, j, o]
                        dz[p // 2, 2 * j + p % 2, o] = dout[b, i, j, o]
                        dbias_rows[b, o] += dout[b, i, j, o]
            for r in range(2):
                for ki in range(kh):
                    for kj in range(kw):
                        for ch in range(c):
                            drow = dk[(ki * kw + kj) * c + ch]
                            for x in range(ow):
                                v = xp[b, 2 * i + r + ki, x + kj, ch]
                                g = dz[r, x]
                                for o in range(f):
                                    drow[o] += v * g[o]

