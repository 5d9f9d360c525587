"""The book's trained convnets, reproduced exactly; the convolutional presets and their reproduce rows."""

import json

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from digitlab import load_model
from digitlab.apps.cli import main
from digitlab.tutorials import presets
from digitlab.tutorials.legacy_pickle import channels_last_rows, deep_convnet, simple_convnet

from tests.conftest import SHARED

DLFS = SHARED / "data" / "dlfs"
needs_convnets = pytest.mark.skipif(not (DLFS / "deep_convnet_params.pkl").is_file(),
                                    reason="../shared/data/dlfs/*_convnet_params.pkl are not present")


def book_conv(x, w, b, pad=0):
    """The book's convolution, channels-first and written independently: x (N, C, H, W), w (F, C, KH, KW)."""
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(x, w.shape[2:], axis=(2, 3))  # (N, C, OH, OW, KH, KW)
    return np.einsum("nchwij,fcij->nfhw", win, w) + b[None, :, None, None]


def book_pool(x):
    n, c, h, w = x.shape
    return x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def relu(x):
    return np.maximum(x, 0)


def random_weights(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.normal(0, 0.1, s) for k, s in shapes.items()}


def test_simple_convnet_conversion_matches_the_books_channels_first_network():
    w = random_weights({"W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)})
    x = np.random.default_rng(1).random((5, 784))
    h = book_pool(relu(book_conv(x.reshape(5, 1, 28, 28), w["W1"], w["b1"])))
    scores = relu(h.reshape(5, -1) @ w["W2"] + w["b2"]) @ w["W3"] + w["b3"]  # flattened (C, H, W)
    probs = simple_convnet(w).predict(x)
    np.testing.assert_allclose(probs, np.exp(scores) / np.exp(scores).sum(1, keepdims=True), rtol=1e-10)


def test_deep_convnet_conversion_matches_the_books_test_time_network():
    shapes = {"W1": (16, 1), "W2": (16, 16), "W3": (32, 16), "W4": (32, 32), "W5": (64, 32), "W6": (64, 64)}
    w = random_weights({**{k: (*s, 3, 3) for k, s in shapes.items()}, **{f"b{i}": (shapes[f"W{i}"][0],) for i in range(1, 7)},
                        "W7": (1024, 50), "b7": (50,), "W8": (50, 10), "b8": (10,)})
    x = np.random.default_rng(2).random((3, 784))
    h = x.reshape(3, 1, 28, 28)
    for i, pad in zip(range(1, 7), (1, 1, 1, 2, 1, 1)):
        h = relu(book_conv(h, w[f"W{i}"], w[f"b{i}"], pad))
        if i % 2 == 0:
            h = book_pool(h)
    h = relu(h.reshape(3, -1) @ w["W7"] + w["b7"]) * 0.5  # the book's dropout at test time: x * (1 - 0.5)
    scores = (h @ w["W8"] + w["b8"]) * 0.5
    probs = deep_convnet(w).predict(x)
    np.testing.assert_allclose(probs, np.exp(scores) / np.exp(scores).sum(1, keepdims=True), rtol=1e-10)


def test_channels_last_rows_reorders_the_flattened_features():
    c, h, w = 2, 3, 4
    feature = np.arange(c * h * w).reshape(c, h, w)  # the value names its (c, h, w) position
    rows = np.eye(c * h * w)[feature.reshape(-1)]  # W such that (flat C-major input) @ W picks each feature
    reordered = channels_last_rows(rows, (c, h, w))
    channels_last = feature.transpose(1, 2, 0).reshape(-1)
    np.testing.assert_array_equal(channels_last @ reordered, feature.reshape(-1))


@needs_convnets
def test_the_books_trained_convnets_score_exactly_as_the_book(tmp_path):
    out = tmp_path / "r.json"
    assert main(["reproduce", "dlfs-convnets", "--weights", str(DLFS), "--json", str(out)]) == 0
    simple, deep = json.loads(out.read_text())["results"]
    assert simple["system"] == "dlfs-simple-convnet (trained)" and simple["values"]["test_images"] == 10_000
    assert simple["values"]["accuracy"] == 0.96 and simple["ours"] == "0.9600"
    assert deep["system"] == "dlfs-deep-convnet (trained)" and deep["values"]["accuracy"] == 0.9797


def test_without_weights_the_rows_use_the_shipped_copies(tmp_path, capsys):
    assert main(["reproduce", "dlfs-convnets", "--quick", "--json", str(tmp_path / "r.json")]) == 0
    rows = json.loads((tmp_path / "r.json").read_text())["results"]
    assert [r["system"] for r in rows] == ["dlfs-simple-convnet (trained)", "dlfs-deep-convnet (trained)"]
    assert all(r["values"]["accuracy"] > 0.95 for r in rows)


def test_keras_convnet_preset_is_keras_ios_network():
    model = presets.get("keras-convnet").build()
    lines = []
    model.summary(print_fn=lines.append)
    counts = [sum(w.size for w in (*l.params.values(), *l.state.values())) for l in model.layers]
    assert counts == [0, 320, 0, 18_496, 0, 0, 0, 16_010]
    assert presets.get("keras-convnet").validation_split == 0.1


def test_best_convnet_schedule_and_batch_norm_survive_a_model_file(tmp_path, mnist_data):
    (x, y), _ = mnist_data
    preset = presets.get("best-convnet")
    model = preset.build(seed=0, train_size=512)
    steps = model.optimizer.learning_rate.decay_steps
    assert steps == 4  # 512 images in batches of 128: the rate falls by 0.9 after every epoch
    model.fit(x[:512].reshape(512, 784) / 255.0, y[:512], batch_size=128, epochs=2, verbose=0)
    assert model.optimizer.current_learning_rate() == pytest.approx(0.001 * 0.9**2)
    model.save(tmp_path / "b.safetensors")
    loaded = load_model(tmp_path / "b.safetensors")
    assert loaded.optimizer.current_learning_rate() == pytest.approx(0.001 * 0.9**2)
    xs = x[512:600].reshape(-1, 784) / 255.0
    np.testing.assert_array_equal(model.predict(xs), loaded.predict(xs))


@pytest.mark.parametrize("name, floor", [("keras-convnet", 0.7), ("dlfs-simple-convnet", 0.7), ("best-convnet", 0.85)])
def test_quick_convnet_rows_learn(name, floor, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["reproduce", name, "--quick", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())["results"]
    assert row["system"] == f"{name} (2 epochs)" and row["values"]["epochs"] == 2
    assert row["values"]["test_accuracy"] > floor, row["ours"]  # from 10% (chance) after two epochs on 3,000 digits
    assert "quick: 2 of" in capsys.readouterr().out


@needs_convnets
def test_a_weights_directory_or_repeated_files_serve_each_row(tmp_path):
    out = tmp_path / "r.json"
    assert main(["reproduce", "dlfs-pretrained", "--weights", str(DLFS), "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())["results"]
    assert row["values"]["accuracy_batch_100"] == 0.9352
    quick = tmp_path / "quick.json"
    assert main(["reproduce", "dlfs-pretrained", "dlfs-convnets", "--quick", "--weights",
                 str(DLFS / "simple_convnet_params.pkl"), "--weights", str(DLFS / "sample_weight.pkl"),
                 "--json", str(quick)]) == 0
    pretrained, simple, deep = json.loads(quick.read_text())["results"]
    assert pretrained["values"]["accuracy_batch_100"] == 0.9352  # not taken for the convnet's file
    assert simple["values"]["test_images"] == 1000
    assert deep["values"]["test_images"] == 1000  # not given: the copy shipped with digitlab
