import numpy as np
import pytest

from digitlab import Sequential, layers
from digitlab.nn.layers import augment
from digitlab.errors import InvalidValueError


def test_identity_distortion_returns_the_image(mnist_data):
    (x, _), _ = mnist_data
    images = x[:8].astype(np.float32) / 255
    same = augment.random_affine(images, np.random.default_rng(0), shift=0, rotation=0, zoom=0)
    np.testing.assert_allclose(same, images, atol=1e-6)


def test_distortions_keep_ink_and_change_position(mnist_data):
    (x, _), _ = mnist_data
    images = x[:64].astype(np.float32) / 255
    moved = augment.random_affine(images, np.random.default_rng(1))
    assert moved.shape == images.shape and moved.min() >= 0 and moved.max() <= 1
    ratio = moved.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert 0.6 < ratio.min() and ratio.max() < 1.5  # zoom changes ink area by at most (1 +- 0.12)^2
    assert np.mean(np.abs(moved - images)) > 0.02
    bolder = augment._cross(images, np.maximum)
    assert (bolder >= images).all() and bolder.sum() > 1.3 * images.sum()


def test_augment_layer_is_identity_at_inference_and_random_in_training(mnist_data):
    (x, _), _ = mnist_data
    flat = x[:16].reshape(16, -1).astype(np.float32) / 255
    model = Sequential([layers.Augment(input_shape=(784,)), layers.Dense(10, activation="softmax")], seed=0)
    model.build()
    assert np.array_equal(model.layers[0].forward(flat, training=False), flat)
    out = model.layers[0].forward(flat, training=True, rng=np.random.default_rng(0))
    assert out.shape == flat.shape and not np.array_equal(out, flat)
    with pytest.raises(InvalidValueError, match="Augment expects images of 28 x 28 pixels"):
        Sequential([layers.Augment(input_shape=(100,)), layers.Dense(2)]).build()


def test_a_model_with_augment_trains_saves_and_loads(mnist_data, tmp_path):
    from digitlab import load_model

    (x, y), _ = mnist_data
    flat = x[:512].reshape(512, -1).astype(np.float32) / 255
    model = Sequential([layers.Augment(input_shape=(784,)), layers.Dense(10, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(flat, y[:512], epochs=1, verbose=0)
    model.save(tmp_path / "m.safetensors")
    again = load_model(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(again.predict(flat[:5]), model.predict(flat[:5]))


def test_new_distortions_keep_shape_range_and_ink(mnist_data):
    (x, _), _ = mnist_data
    images = x[:64].astype(np.float32) / 255
    rng = np.random.default_rng(3)
    for out in (augment.random_affine(images, rng, shear=0.3), augment.random_elastic(images, rng, alpha=1.5),
                augment.random_blur(images, rng, p=1.0), augment.random_thickness(images, rng, 0, 0, p_bolder=0.6)):
        assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1.0 + 1e-6
        assert np.mean(np.abs(out - images)) > 0.005
        ratio = out.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
        assert 0.5 < np.median(ratio) < 3.5
    still = augment.random_elastic(images, np.random.default_rng(0), alpha=0.0)
    np.testing.assert_allclose(still, images, atol=1e-5)


def test_old_settings_draw_the_same_random_stream(mnist_data):
    """A model file saved before shear, elastic, blur and bolder existed trains as it did: with those off,
    the distortions and the generator's state afterwards are unchanged."""
    (x, _), _ = mnist_data
    flat = x[:32].reshape(32, -1).astype(np.float32) / 255
    layer = layers.Augment()
    layer.build((784,), np.random.default_rng(0), np.float32)
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    out = layer.forward(flat, training=True, rng=a)
    images = augment.random_thickness(augment.random_affine(flat.reshape(32, 28, 28), b, 2.0, 12.0, 0.12), b)
    np.testing.assert_array_equal(out, images.reshape(32, -1))
    assert a.random() == b.random()
    assert set(layer.get_config()) == {"name", "shift", "rotation", "zoom", "thickness", "image_shape"}
