"""Compiled (Numba) training kernels for a convolution with relu followed by 2x2 max pooling.

Each kernel is one pass over its arrays, parallel over the images of a batch, and computes what
the NumPy rules in ``conv.py`` compute (``fused.py`` holds the composition that is the reference;
tests/nn/test_fused.py checks them equal). Imported only by training code (``fused.py``), never
when digitlab is imported or predicts.

    im2col(xp, kh, kw, sh, sw, oh, ow, cols)         xp (N, H, W, C) -> cols (N*OH*OW, KH*KW*C)
    col2im(dcols, kh, kw, sh, sw, oh, ow, dx)         its adjoint: (N*OH*OW, KH*KW*C) -> dx (N, H, W, C)
    bias_relu_pool(z, bias, out, arg)                 z (N, OH, OW, F) -> relu(max of 2x2 + bias) (N, OH//2, OW//2, F)
    unpool_relu(dout, out, arg, dz, dbias_rows)       its gradient: dout (N, PH, PW, F) -> dz (N, OH, OW, F)
    direct_kernels(kh, kw, c)                         (forward, gradient): the same from the images, for a small kernel

``arg`` (uint8) is the position of each window's first maximum, row-major: 0 1 / 2 3. A pooled
output that relu zeroed passes no gradient, wherever its maximum was. Odd rows and columns that no
pool window covers are cropped, as Keras's "valid" pooling does, and get zero gradient; the
stage does not even compute them (conv 64 on 13x13 maps: 10x10 of the 11x11 outputs are pooled).
"""

from __future__ import annotations

import functools

import numpy as np
from numba import prange

from .._numba import parallel

# The options these kernels were compiled (and cached) with; see _numba on why it is written out here.
COMPILED_WITH = "cache=True nogil=True error_model=numpy"

_CONTRACT = {"fastmath": {"contract"}}  # fused multiply-adds (rounding as a BLAS product's), nothing else


@parallel
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


@parallel
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


@parallel
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


@parallel
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


@functools.lru_cache(maxsize=None)
def direct_kernels(kh: int, kw: int, c: int):
    """(forward, gradient) kernels of a stride-1 valid convolution of kh x kw x c windows with relu and 2x2 max
    pooling, computed straight from the images. For a first layer (9 or 25 inputs per output) this is
    cheaper than an im2col copy and a product with so few inner terms, and the full-size output is never
    stored. The window size is a constant of the compiled code (one compilation per size, cached on
    disk), so the loop over a window's K = kh*kw*c inputs unrolls and the loop over filters runs in SIMD.

        forward(xp, kernel, bias, out, arg)           xp (N, H, W, C), kernel (KH, KW, C, F) -> out, arg (N, PH, PW, F)
        gradient(dout, out, arg, xp, dk_rows, dbias_rows)   -> dk_rows (N, K, F), dbias_rows (N, F): per image
    """
    k = kh * kw * c

    @parallel(**_CONTRACT)
    def forward(xp, kernel, bias, out, arg):
        n, ph, pw, f = out.shape
        w2 = kernel.reshape(k, f)  # (K, F)
        for b in prange(n):
            xs = np.empty(k, out.dtype)  # one window, flattened as the kernel's rows
            z = np.empty((4, f), out.dtype)  # the 2x2 convolution outputs a pooling window holds
            for i in range(ph):
                for j in range(pw):
                    for p in range(4):
                        y, x = 2 * i + p // 2, 2 * j + p % 2
                        for ki in range(kh):
                            for kj in range(kw):
                                for ch in range(c):
                                    xs[(ki * kw + kj) * c + ch] = xp[b, y + ki, x + kj, ch]
                        for o in range(f):
                            acc = xs[0] * w2[0, o]
                            for q in range(1, k):
                                acc += xs[q] * w2[q, o]
                            z[p, o] = acc + bias[o]
                    for o in range(f):
                        best, at = z[0, o], 0
                        for p in range(1, 4):
                            if z[p, o] > best:  # strictly greater: a tie stays with the first
                                best, at = z[p, o], p
                        out[b, i, j, o] = best if best > 0 else 0
                        arg[b, i, j, o] = at

    @parallel(**_CONTRACT)
    def gradient(dout, out, arg, xp, dk_rows, dbias_rows):
        n, ph, pw, f = dout.shape
        for b in prange(n):
            xs = np.empty((4, k), dout.dtype)  # the window of each position of the pooling window
            dz = np.empty((4, f), dout.dtype)  # dL/d(convolution output) there: dout at the maximum, else 0
            dk = dk_rows[b]
            dk[:, :] = 0
            dbias_rows[b] = 0
            for i in range(ph):
                for j in range(pw):
                    for p in range(4):
                        y, x = 2 * i + p // 2, 2 * j + p % 2
                        for ki in range(kh):
                            for kj in range(kw):
                                for ch in range(c):
                                    xs[p, (ki * kw + kj) * c + ch] = xp[b, y + ki, x + kj, ch]
                    dz[:, :] = 0
                    for o in range(f):
                        if out[b, i, j, o] > 0:  # relu passed it
                            dz[arg[b, i, j, o], o] = dout[b, i, j, o]
                            dbias_rows[b, o] += dout[b, i, j, o]
                    for q in range(k):
                        for o in range(f):
                            dk[q, o] += xs[0, q] * dz[0, o] + xs[1, q] * dz[1, o] + xs[2, q] * dz[2, o] + xs[3, q] * dz[3, o]

    return forward, gradient