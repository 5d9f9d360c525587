"""The convolutional layers: backprop against central differences in float64 for every layer and
option, shapes and Keras's parameter counts, errors, model files, and Augment before a convolution."""

import itertools

import numpy as np
import pytest

from digitlab import Sequential, layers, load_model, regularizers
from digitlab.errors import InvalidValueError
from digitlab.nn.gradcheck import gradient_check
from digitlab.nn.layers import conv


def check(model_layers, x, labels, loss="sparse_categorical_crossentropy"):
    model = Sequential(model_layers, dtype="float64", seed=0)
    model.compile("sgd", loss)
    errors = gradient_check(model, x, labels)
    assert max(errors.values()) < 1e-6, errors
    return errors


def images(n=3, h=9, w=8, c=2, seed=1):
    return np.random.default_rng(seed).standard_normal((n, h, w, c))


# odd sizes (9 x 8), rectangular kernels and strides, both paddings
CONV_OPTIONS = list(itertools.product([(3, 3), (2, 3), (1, 1), (4, 4)], [1, 2, (2, 1)], ["valid", "same"]))


@pytest.mark.parametrize("kernel, strides, padding", CONV_OPTIONS)
def test_conv2d_gradients(kernel, strides, padding):
    errors = check([layers.Conv2D(3, kernel, strides=strides, padding=padding, activation="tanh", input_shape=(9, 8, 2)),
                    layers.Conv2D(2, 2, padding=padding), layers.Flatten(), layers.Dense(4, activation="softmax")],
                   images(), [0, 3, 1])
    assert {"conv2d.kernel", "conv2d.bias", "conv2d_1.kernel", "conv2d_1.bias"} <= set(errors)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "linear"])
def test_conv2d_activation_regularizer_and_no_bias(activation):
    check([layers.Conv2D(4, 3, activation=activation, use_bias=False, kernel_regularizer=regularizers.L2(0.1),
                         input_shape=(7, 7, 1)),
           layers.Conv2D(2, 3, activation="tanh", kernel_regularizer=regularizers.L1(0.01)),
           layers.Flatten(), layers.Dense(3, activation="softmax")], images(4, 7, 7, 1), [0, 1, 2, 1])


@pytest.mark.parametrize("pool, strides, padding", list(itertools.product([2, 3, (2, 3)], [None, 1, 2], ["valid", "same"])))
@pytest.mark.parametrize("kind", [layers.MaxPooling2D, layers.AveragePooling2D])
def test_pooling_gradients(kind, pool, strides, padding):
    check([layers.Conv2D(3, 2, activation="tanh", input_shape=(9, 8, 2)), kind(pool, strides=strides, padding=padding),
           layers.Flatten(), layers.Dense(4, activation="softmax")], images(), [2, 0, 1])


def test_global_average_pooling_zero_padding_reshape_dropout_gradients():
    check([layers.Reshape((6, 5, 2), input_shape=(60,)), layers.ZeroPadding2D(((1, 2), (0, 1))),
           layers.Conv2D(4, 3, activation="relu"), layers.Dropout(0.3), layers.GlobalAveragePooling2D(),
           layers.Dense(3, activation="softmax")], np.random.default_rng(3).standard_normal((5, 60)), [0, 1, 2, 1, 0])


@pytest.mark.parametrize("where", ["conv", "dense", "first"])
def test_batch_normalization_gradients_in_training_mode(where):
    rng = np.random.default_rng(4)
    if where == "dense":
        stack = [layers.Dense(6, use_bias=False, input_shape=(5,)), layers.BatchNormalization(), layers.Activation("tanh"),
                 layers.Dense(3, activation="softmax")]
        x = rng.standard_normal((8, 5))
    else:
        # no bias before batch norm: its gradient is exactly zero (the batch mean absorbs it), so a relative error is noise
        stack = [layers.Conv2D(3, 3, use_bias=False, input_shape=(6, 7, 2)), layers.BatchNormalization(momentum=0.5),
                 layers.Activation("tanh"), layers.MaxPooling2D(), layers.Flatten(), layers.Dense(3, activation="softmax")]
        x = rng.standard_normal((4, 6, 7, 2))
        if where == "first":  # normalizing the inputs themselves, gamma and beta the first weights
            stack = [layers.BatchNormalization(input_shape=(6, 7, 2)), layers.Conv2D(3, 3, activation="tanh"),
                     layers.Flatten(), layers.Dense(3, activation="softmax")]
    errors = check(stack, x, rng.integers(0, 3, len(x)))
    assert "batch_normalization.gamma" in errors and "batch_normalization.beta" in errors


def test_batch_normalization_with_center_and_scale_off():
    check([layers.Dense(6, use_bias=False, input_shape=(5,)), layers.BatchNormalization(center=False, scale=False),
           layers.Activation("tanh"), layers.Dense(3, activation="softmax")],
          np.random.default_rng(5).standard_normal((6, 5)), [0, 1, 2, 0, 1, 2])


def test_batch_normalization_training_and_inference_statistics():
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    bn.build((3,), None, np.float64)
    x = np.random.default_rng(6).normal(5.0, 2.0, (200, 3))
    y = bn.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(bn.state["moving_mean"], 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(bn.state["moving_variance"], 0.9 + 0.1 * x.var(axis=0))
    inference = bn.forward(x, training=False)  # the moving statistics, not the batch's
    expected = (x - bn.state["moving_mean"]) / np.sqrt(bn.state["moving_variance"] + 1e-3)
    np.testing.assert_allclose(inference, expected, rtol=1e-12)


def test_the_check_fails_for_a_wrong_convolution_gradient(monkeypatch):
    """A broken backward rule shows up as a large error: the checks above can fail."""
    model = Sequential([layers.Conv2D(2, 2, input_shape=(7, 7, 1)), layers.Conv2D(2, 3, strides=2),
                        layers.Flatten(), layers.Dense(3, activation="softmax")], dtype="float64", seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    real = conv.add_windows
    monkeypatch.setattr(conv, "add_windows", lambda dwin, shape, stride: real(dwin, shape, (1, 1)))  # stride ignored
    errors = gradient_check(model, images(3, 7, 7, 1), [0, 1, 2])
    assert errors["conv2d.kernel"] > 1e-2


def test_conv2d_is_cross_correlation_with_keras_same_padding():
    x = np.arange(25, dtype=np.float64).reshape(1, 5, 5, 1)
    kernel = np.zeros((3, 3, 1, 1))
    kernel[0, 0] = 1  # picks the top-left neighbour
    y, _ = conv.conv2d(x, kernel, (1, 1), (1, 1, 1, 1))
    assert y[0, 1, 1, 0] == x[0, 0, 0, 0] and y[0, 0, 0, 0] == 0
    # stride 2, "same", even size: Keras pads the odd pixel at the bottom and right
    assert conv.padding_amounts(6, 3, 2, "same") == (0, 1, 3)
    assert conv.padding_amounts(5, 3, 2, "same") == (1, 1, 3)
    assert conv.padding_amounts(28, 3, 1, "valid") == (0, 0, 26)


def test_max_pool_gives_a_tie_to_the_first_maximum_only():
    x = np.zeros((1, 2, 2, 1))
    y, argmax = conv.max_pool(x, (2, 2), (2, 2), (0, 0, 0, 0))
    dx = conv.max_pool_backward(np.ones_like(y), argmax, x.shape, (2, 2), (2, 2), (0, 0, 0, 0))
    assert dx[0, :, :, 0].tolist() == [[1, 0], [0, 0]]


@pytest.mark.parametrize("pool, strides, padding", [(2, None, "valid"), (3, 2, "same"), ((2, 3), 1, "valid")])
def test_max_pooling_predicts_without_the_argmax_and_still_goes_backward(pool, strides, padding):
    """Inference takes only the maxima; a backward pass after it finds the argmax then, as training would."""
    x = np.random.default_rng(0).standard_normal((3, 9, 8, 2)).round(1)  # rounded: ties, routed to the first
    layer = layers.MaxPooling2D(pool, strides=strides, padding=padding)
    layer.build((9, 8, 2), None, np.float64)
    trained = layers.MaxPooling2D(pool, strides=strides, padding=padding)
    trained.build((9, 8, 2), None, np.float64)
    y, expected = layer.forward(x), trained.forward(x, training=True)
    assert layer.argmax is None and np.array_equal(y, expected)
    dy = np.random.default_rng(1).standard_normal(y.shape)
    assert np.array_equal(layer.backward(dy), trained.backward(dy))


def keras_mnist_convnet():
    """keras-io's mnist_convnet, as its example writes it."""
    return Sequential([layers.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
                       layers.MaxPooling2D(pool_size=(2, 2)), layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
                       layers.MaxPooling2D(pool_size=(2, 2)), layers.Flatten(), layers.Dropout(0.5),
                       layers.Dense(10, activation="softmax")], seed=0)


def test_summary_counts_match_keras_mnist_convnet():
    model = keras_mnist_convnet()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert [l.output_shape for l in model.layers] == [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (1600,),
                                                      (1600,), (10,)]
    for row in ("conv2d (Conv2D)", "max_pooling2d (MaxPooling2D)", "conv2d_1 (Conv2D)", "flatten (Flatten)"):
        assert row in text
    assert "320" in text and "18,496" in text and "16,010" in text
    assert "Total params: 34,826" in text and "Non-trainable params: 0" in text


def test_batch_normalization_counts_and_non_trainable_state():
    model = Sequential([layers.Conv2D(8, 3, input_shape=(6, 6, 1)), layers.BatchNormalization()])
    lines = []
    model.summary(print_fn=lines.append)
    assert model.count_params() == 80 + 32 and len(model.params) == 4  # the optimizer sees gamma, beta only
    assert "Trainable params: 96" in lines and "Non-trainable params: 16" in lines


def test_inputs_784_and_28x28_through_reshape(mnist_data):
    (x, y), _ = mnist_data
    for shape in [(784,), (28, 28)]:
        model = Sequential([layers.Reshape((28, 28, 1), input_shape=shape), layers.Conv2D(4, 3, activation="relu"),
                            layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, activation="softmax")], seed=0)
        model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
        assert model.predict(x[:5].reshape(5, *shape) / 255.0).shape == (5, 10)


def test_augment_before_a_convolution_on_channels_last_images(mnist_data):
    (x, y), _ = mnist_data
    images_ = x[:512, :, :, None] / np.float32(255)
    model = Sequential([layers.Augment(input_shape=(28, 28, 1)), layers.Conv2D(8, 3, activation="relu"),
                        layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    distorted = model.layers[0].forward(images_[:8], training=True, rng=np.random.default_rng(0))
    assert distorted.shape == (8, 28, 28, 1) and not np.allclose(distorted, images_[:8])
    history = model.fit(images_, y[:512], epochs=2, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bad_configurations_are_refused_with_what_was_expected():
    with pytest.raises(InvalidValueError, match="Reshape"):
        Sequential([layers.Conv2D(4, 3, input_shape=(784,))]).build()
    with pytest.raises(InvalidValueError, match="padding must be 'valid' or 'same'"):
        layers.Conv2D(4, 3, padding="full")
    with pytest.raises(InvalidValueError, match="kernel_size"):
        layers.Conv2D(4, (3, 0))
    with pytest.raises(InvalidValueError, match="does not fit 2x2"):
        Sequential([layers.Conv2D(4, 3, input_shape=(2, 2, 1))]).build()
    with pytest.raises(InvalidValueError, match="cannot reshape"):
        Sequential([layers.Reshape((28, 28, 2), input_shape=(784,))]).build()
    with pytest.raises(InvalidValueError, match="flatten them first"):
        Sequential([layers.Conv2D(4, 3, input_shape=(5, 5, 1)), layers.Dense(3)]).build()


def test_model_file_carries_every_new_layer_and_the_moving_statistics(tmp_path, mnist_data):
    (x, y), _ = mnist_data
    xs = x[:300].reshape(300, 784) / np.float32(255)
    model = Sequential([layers.Reshape((28, 28, 1), input_shape=(784,)), layers.ZeroPadding2D(1),
                        layers.Conv2D(6, 5, strides=2, padding="same", activation="relu"), layers.BatchNormalization(),
                        layers.AveragePooling2D(2, strides=1, padding="same"), layers.Conv2D(8, 3),
                        layers.MaxPooling2D(3, strides=2), layers.Dropout(0.2), layers.GlobalAveragePooling2D(),
                        layers.Dense(10, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    model.fit(xs, y[:300], epochs=1, batch_size=50, verbose=0)
    assert not np.allclose(model.layers[3].state["moving_mean"], 0)
    model.save(tmp_path / "c.safetensors")
    loaded = load_model(tmp_path / "c.safetensors")
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]
    assert loaded.get_config() == model.get_config()
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.predict(xs), loaded.predict(xs))
    model.fit(xs, y[:300], epochs=2, initial_epoch=1, batch_size=50, verbose=0)  # and training resumes exactly
    loaded.fit(xs, y[:300], epochs=2, initial_epoch=1, batch_size=50, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
