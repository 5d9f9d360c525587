"""digitlab train with the convolutional presets and the convolutional form of --layers, on a slice of MNIST."""

import pytest

from digitlab import load_model
from digitlab.apps.cli import main
from digitlab.apps.cli import train as train_cli


@pytest.fixture
def small_mnist(monkeypatch):
    real = train_cli.datasets.load_flat

    def load_flat(name):
        (x, y), (xt, yt) = real(name)
        return (x[:600], y[:600]), (xt[:200], yt[:200])
    monkeypatch.setattr(train_cli.datasets, "load_flat", load_flat)


def test_layers_builds_a_convolutional_network(small_mnist, tmp_path, capsys):
    out = tmp_path / "c.safetensors"
    assert main(["train", "--layers", "conv8:5,pool,bn,conv8:3:same,avgpool,dropout:0.25,32", "--epochs", "1",
                 "--verbose", "0", "--out", str(out)]) == 0
    model = load_model(out)
    assert [type(l).__name__ for l in model.layers] == [
        "Reshape", "Conv2D", "MaxPooling2D", "BatchNormalization", "Conv2D", "AveragePooling2D", "Dropout", "Flatten",
        "Dense", "Dense"]
    assert model.layers[1].kernel_size == (5, 5) and model.layers[4].padding == "same"
    assert "test accuracy" in capsys.readouterr().out


def test_presets_keep_their_validation_split_and_schedule(small_mnist, tmp_path):
    out = tmp_path / "k.safetensors"
    assert main(["train", "--preset", "keras-convnet", "--epochs", "1", "--verbose", "0", "--out", str(out)]) == 0
    model = load_model(out)
    assert model.meta["train"]["validation_split"] == 0.1 and "val_accuracy" in model.history.history
    out = tmp_path / "b.safetensors"
    assert main(["train", "--preset", "best-convnet", "--epochs", "1", "--lr", "0.002", "--verbose", "0",
                 "--out", str(out)]) == 0
    schedule = load_model(out).optimizer.learning_rate
    assert schedule.initial_learning_rate == 0.002 and schedule.decay_rate == 0.9


@pytest.mark.parametrize("spec, message", [
    ("conv32,16,pool", "cannot follow a Dense layer"),
    ("conv32:x", "needs a number"),
    ("conv32,maxout", "unknown item 'maxout'"),
    ("pool,64,x", "unknown item 'x'"),
])
def test_bad_convolutional_layers_are_one_line_errors(spec, message, tmp_path, capsys):
    assert main(["train", "--layers", spec, "--out", str(tmp_path / "m.safetensors")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("digitlab: error: ") and message in err and "Traceback" not in err


def test_a_channels_last_model_predicts_evaluates_and_shows(tmp_path, capsys):
    from digitlab import Sequential, layers

    model = Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(28, 28, 1)), layers.MaxPooling2D(),
                        layers.Flatten(), layers.Dense(10, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    model.build()
    path = tmp_path / "c.safetensors"
    model.save(path)
    assert main(["evaluate", str(path), "--json"]) == 0
    assert main(["show", "--misclassified", str(path), "--count", "4", "--out", str(tmp_path / "w.png")]) == 0
    image = tmp_path / "seven.png"
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(canvas).line([(60, 60), (220, 60), (120, 240)], fill=0, width=24)
    canvas.save(image)
    assert main(["predict", str(image), "--model", str(path)]) == 0
