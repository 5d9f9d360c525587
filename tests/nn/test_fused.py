"""The fused training stage Conv2D(relu) + MaxPooling2D(2) and its Numba kernels, against the reference:
the two NumPy layers run one after the other (forward, every gradient, dL/dx), central differences in
float64, and a training run with the stages switched off. Also: prediction never imports Numba."""

import os
import subprocess
import sys

import numpy as np
import pytest

from digitlab import Sequential, layers, regularizers
from digitlab.nn.gradcheck import gradient_check
from digitlab.nn.layers import conv, fused

conv_kernels = pytest.importorskip("digitlab.nn.layers.conv_kernels")

# (input h, w, c; conv kernel, strides, padding; is it the first layer with weights)
CASES = [((28, 28, 1), 3, 1, "valid", True),     # keras-io conv 1: the direct kernel
         ((13, 13, 32), 3, 1, "valid", False),   # keras-io conv 2: im2col, 11x11 outputs cropped to 10x10
         ((9, 8, 2), (2, 3), (2, 1), "same", False),
         ((10, 9, 3), 5, 1, "same", True),       # 75 inputs per output: too many for the direct kernel
         ((12, 12, 1), 5, 1, "valid", True)]     # the book's 5x5 first layer: direct


def stage_and_input(case, dtype, use_bias=True, regularizer=None, seed=0):
    shape, kernel, strides, padding, first = case
    c = layers.Conv2D(6, kernel, strides=strides, padding=padding, activation="relu", use_bias=use_bias,
                      kernel_regularizer=regularizer)
    p = layers.MaxPooling2D(2)
    rng = np.random.default_rng(seed)
    out_shape = c.build(shape, rng, np.dtype(dtype))
    p.build(out_shape, rng, np.dtype(dtype))
    c.needs_input_grad = not first
    if use_bias:
        c.params["bias"][...] = rng.standard_normal(6) * 0.3  # zeros would make half the ties relu decides
    x = rng.standard_normal((5, *shape)).astype(dtype)
    assert fused.ConvReluPool.fits(c, p)
    return fused.ConvReluPool(c, p), x


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stage_equals_the_two_layers(case, dtype):
    stage, x = stage_and_input(case, dtype)
    assert stage.direct == (case[0] in ((28, 28, 1), (12, 12, 1)))
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-12}
    for step in range(2):  # twice: the reused buffers must not leak one step into the next
        x = x + step
        ours = stage.forward(x)
        dout = np.random.default_rng(step).standard_normal(ours.shape).astype(dtype)
        dx = stage.backward(dout)
        grads = {k: g.copy() for k, g in stage.conv.grads.items()}
        theirs = fused.reference_forward(stage, x)
        ref_dx = fused.reference_backward(stage, dout)
        assert ours.dtype == theirs.dtype == dtype and ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, **tol)
        for k in grads:
            np.testing.assert_allclose(grads[k], stage.conv.grads[k], **tol)
        if stage.conv.needs_input_grad:
            assert dx.shape == x.shape and dx.dtype == dtype
            np.testing.assert_allclose(dx, ref_dx, **tol)
        else:
            assert dx is None


def test_stage_without_bias_and_with_a_regularizer():
    stage, x = stage_and_input(CASES[2], np.float64, use_bias=False, regularizer=regularizers.L2(0.1))
    stage.backward(np.ones_like(stage.forward(x)))
    ours = stage.conv.grads["kernel"].copy()
    fused.reference_backward(stage, np.ones_like(fused.reference_forward(stage, x)))
    np.testing.assert_allclose(ours, stage.conv.grads["kernel"], rtol=1e-10)
    assert "bias" not in stage.conv.grads


def test_kernels_im2col_and_col2im_equal_the_numpy_windows():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 9, 8, 2)).astype(np.float32)
    win = conv.windows(x, 3, 2, (2, 1))  # (N, OH, OW, KH, KW, C)
    n, oh, ow = win.shape[:3]
    cols = np.empty((n * oh * ow, 3 * 2 * 2), np.float32)
    conv_kernels.im2col(x, 3, 2, 2, 1, oh, ow, cols)
    np.testing.assert_array_equal(cols, win.reshape(len(cols), -1))
    dcols = rng.standard_normal(cols.shape).astype(np.float32)
    dx = np.full(x.shape, np.nan, np.float32)  # every pixel must be written
    conv_kernels.col2im(dcols, 3, 2, 2, 1, oh, ow, dx)
    np.testing.assert_allclose(dx, conv.add_windows(dcols.reshape(win.shape), x.shape, (2, 1)), rtol=1e-6)


def test_pool_kernels_route_ties_and_relu_like_the_layers():
    z = np.array([[1, 1], [0, 1]], np.float32)[None, :, :, None].repeat(2, axis=3)  # a tie: the first wins
    z[..., 1] = -1  # all negative: relu passes nothing back
    out, arg = np.empty((1, 1, 1, 2), np.float32), np.empty((1, 1, 1, 2), np.uint8)
    conv_kernels.bias_relu_pool(z, np.zeros(2, np.float32), out, arg)
    assert out.ravel().tolist() == [1, 0] and arg[0, 0, 0, 0] == 0
    dz, dbias = np.full(z.shape, np.nan, np.float32), np.empty((1, 2), np.float32)
    conv_kernels.unpool_relu(np.array([[[[5, 7]]]], np.float32), out, arg, dz, dbias)
    assert dz[0, :, :, 0].tolist() == [[5, 0], [0, 0]] and not dz[..., 1].any() and dbias.tolist() == [[5, 0]]


def keras_convnet(dtype="float64", seed=0):
    model = Sequential([layers.Reshape((12, 12, 1), input_shape=(144,)),
                        layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(2),   # direct
                        layers.Conv2D(5, 2, activation="relu"), layers.MaxPooling2D(2),   # im2col, 4x4 -> 2x2
                        layers.Flatten(), layers.Dropout(0.3), layers.Dense(3, activation="softmax")],
                       dtype=dtype, seed=seed)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_fused_model_passes_the_gradient_check():
    model = keras_convnet()
    model.build()
    assert [type(s).__name__ for s in model._stages(training=True)].count("ConvReluPool") == 2
    x = np.random.default_rng(2).random((4, 144))
    errors = gradient_check(model, x, [0, 2, 1, 2])
    assert max(errors.values()) < 1e-6, errors


def test_training_with_and_without_the_stages_agrees(monkeypatch):
    x = np.random.default_rng(3).random((40, 144)).astype(np.float32)
    y = np.arange(40) % 3
    weights = {}
    for enabled in (False, True):
        monkeypatch.setattr(fused, "ENABLED", enabled)
        model = keras_convnet("float32")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        weights[enabled] = model.get_weights()
        assert any(isinstance(s, fused.ConvReluPool) for s in model._stages(True)) == enabled
    for a, b in zip(*weights.values()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_plan_fuses_only_relu_convolutions_before_2x2_pooling():
    model = Sequential([layers.Conv2D(2, 3, activation="relu", input_shape=(16, 16, 1)), layers.MaxPooling2D(2),
                        layers.Conv2D(2, 2, activation="tanh"), layers.MaxPooling2D(2),
                        layers.Conv2D(2, 1, activation="relu"), layers.MaxPooling2D(2, strides=1),
                        layers.Flatten(), layers.Dense(2)])
    model.build()
    kinds = [type(s).__name__ for s in fused.plan(model.layers)]
    assert kinds == ["ConvReluPool", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense"]


def test_importing_and_predicting_never_imports_numba():
    code = ("import sys, numpy as np\nfrom digitlab.tutorials import presets\n"
            "m = presets.get('keras-convnet').build(seed=0)\nm.predict(np.zeros((2, 784), np.float32))\n"
            "m.evaluate(np.zeros((2, 784), np.float32), [0, 1], verbose=0)\n"
            "assert 'numba' not in sys.modules, 'numba imported'\nprint('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr


def test_parallel_kernels_run_on_sleeping_workqueue_threads():
    """Numba's OpenMP workers spin after each loop and took a core from the BLAS products in between."""
    code = ("import numpy as np, numba\nfrom digitlab.nn import optimizer_kernels as k\n"
            "p = np.zeros(k.PARALLEL_MIN, np.float32)\nk.run('sgd', (p, p), (0.5,))\nprint(numba.threading_layer())")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.stdout.strip() == "workqueue", result.stderr
