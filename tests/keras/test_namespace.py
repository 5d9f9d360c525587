"""digitlab.keras mirrors the keras package: the same module paths, the engine's classes behind them,
and a clear error for what digitlab lacks."""

import importlib

import numpy as np
import pytest

import digitlab
from digitlab import keras
from digitlab.errors import DigitlabError
from digitlab.keras import NotInDigitlab


@pytest.mark.parametrize("path, name", [
    ("models", "Sequential"), ("models", "load_model"), ("layers", "Dense"), ("layers", "Activation"),
    ("layers", "Dropout"), ("layers", "Flatten"), ("optimizers", "SGD"), ("optimizers", "RMSprop"),
    ("optimizers", "Adam"), ("losses", "CategoricalCrossentropy"), ("callbacks", "EarlyStopping"),
    ("callbacks", "ModelCheckpoint"), ("callbacks", "History"), ("utils", "to_categorical"),
    ("utils.np_utils", "to_categorical"), ("datasets.mnist", "load_data"), ("datasets.fashion_mnist", "load_data"),
    ("regularizers", "l2"), ("initializers", "HeNormal"), ("activations", "relu"),
])
def test_keras_module_paths_hold_the_engine_names(path, name):
    module = importlib.import_module(f"digitlab.keras.{path}")
    assert callable(getattr(module, name))


def test_the_same_objects_as_the_engine():
    assert keras.models.Sequential is digitlab.Sequential and keras.Sequential is digitlab.Sequential
    assert keras.layers.Dense is digitlab.layers.Dense and keras.optimizers.Adam is digitlab.optimizers.Adam
    assert keras.__version__ == digitlab.__version__
    assert digitlab.models.Sequential is digitlab.Sequential  # `from keras import models` -> `from digitlab import models`


def test_a_missing_keras_name_says_so_and_names_what_is_offered():
    with pytest.raises(NotInDigitlab, match=r"digitlab.keras.layers.LSTM: digitlab does not implement .* offers .*Dense"):
        from digitlab.keras.layers import LSTM  # noqa: F401
    with pytest.raises(NotInDigitlab, match=r"keras.models.Model: .* offers Sequential, load_model"):
        keras.models.Model
    with pytest.raises(DigitlabError):  # the CLI and scripts catch it with the other expected errors
        keras.applications
    with pytest.raises(AttributeError):  # private and dunder names behave as on any module
        keras.layers.__wrapped__


def test_keras_style_model_end_to_end(capsys):
    from digitlab.keras.layers import Activation, Dense
    from digitlab.keras.models import Sequential
    from digitlab.keras.utils import to_categorical

    rng = np.random.default_rng(0)
    x = rng.random((256, 8)).astype("float32")
    y = (x[:, 0] > 0.5).astype(int)
    model = Sequential()
    model.add(Dense(16, input_shape=(8,)))
    model.add(Activation("relu"))
    model.add(Dense(2))
    model.add(Activation("softmax"))
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x, to_categorical(y, 2), batch_size=32, epochs=3, verbose=0)
    assert history.epoch == [0, 1, 2] and set(history.history) == {"loss", "accuracy"}
    capsys.readouterr()
    loss, acc = model.evaluate(x, to_categorical(y, 2))  # verbose=1 by default, as in Keras
    printed = capsys.readouterr().out
    assert printed.startswith("1/1 [") and f"accuracy: {acc:.4f}" in printed
    model.evaluate(x, to_categorical(y, 2), verbose=0)
    assert capsys.readouterr().out == ""


def test_summary_ends_as_keras_does(capsys):
    from digitlab.keras import layers, models

    model = models.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)), layers.Dense(10)])
    model.summary()
    lines = capsys.readouterr().out.splitlines()
    assert lines[-4:-1] == ["Total params: 407,050", "Trainable params: 407,050", "Non-trainable params: 0"]
