import numpy as np
import pytest

from digitlab import Sequential, activations, callbacks, layers, optimizers
from digitlab.errors import InvalidValueError
from digitlab.nn.model import TrainingDivergedError


def seed_002_model(**kw):
    model = Sequential(**kw)
    model.add(layers.Dense(512, activation="relu", input_shape=(784,)))
    model.add(layers.Dense(10, activation="softmax"))
    return model


def small_mnist(mnist_data, n=2000):
    (x, y), (xt, yt) = mnist_data
    return (x[:n].reshape(-1, 784) / 255.0, y[:n]), (xt[:1000].reshape(-1, 784) / 255.0, yt[:1000])


def test_summary_matches_keras_param_counts(capsys):
    model = Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                        layers.Dense(256, activation="relu"), layers.Dense(10, activation="softmax")])
    model.summary()
    out = capsys.readouterr().out
    for count in ("401,920", "131,328", "2,570", "535,818"):
        assert count in out
    assert "(None, 512)" in out and "dense_2 (Dense)" in out


def test_fit_learns_mnist_and_history_has_epoch_and_batch_values(mnist_data):
    (x, y), (xt, yt) = small_mnist(mnist_data)
    model = seed_002_model(seed=0)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=128, validation_data=(xt, yt), verbose=0)
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"}  # as in Keras
    assert history.epoch == [0, 1, 2] and len(h["loss"]) == 3 and len(history.batch_loss) == 3 * 16
    assert h["loss"][2] < h["loss"][0]
    loss, acc = model.evaluate(xt, yt)
    assert acc > 0.85 and loss == pytest.approx(h["val_loss"][-1], rel=1e-5)
    probs = model.predict(xt)
    assert probs.shape == (1000, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)


def test_one_hot_and_integer_labels_train_identically(mnist_data):
    (x, y), _ = small_mnist(mnist_data, 500)
    runs = []
    for labels in (y, np.eye(10, dtype=np.float32)[y]):
        model = seed_002_model(seed=1)
        model.compile("adam", "categorical_crossentropy")
        runs.append(model.fit(x, labels, epochs=1, batch_size=64, verbose=0).batch_loss)
    assert runs[0] == runs[1]


def test_same_seed_gives_bit_identical_weights_and_history(mnist_data):
    (x, y), _ = small_mnist(mnist_data, 600)
    results = []
    for _ in range(2):
        model = Sequential([layers.Dense(32, activation="relu", input_shape=(784,)), layers.Dropout(0.2),
                            layers.Dense(10, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])
        h = model.fit(x, y, epochs=2, batch_size=50, verbose=0, seed=7)
        results.append((model.get_weights(), h.history))
    (w1, h1), (w2, h2) = results
    assert h1 == h2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))


def test_float64_on_request(mnist_data):
    (x, y), _ = small_mnist(mnist_data, 200)
    model = seed_002_model(dtype="float64", seed=0)
    model.compile("sgd", "categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert {p.dtype for p in model.params} == {np.dtype(np.float64)}
    assert model.predict(x).dtype == np.float64


def test_validation_split_uses_the_last_part(mnist_data):
    (x, y), _ = small_mnist(mnist_data, 1000)
    model = seed_002_model(seed=0)
    model.compile("sgd", "categorical_crossentropy", ["accuracy"])
    h = model.fit(x, y, epochs=1, batch_size=100, validation_split=0.2, verbose=0)
    assert len(h.batch_loss) == 8 and "val_accuracy" in h.history


def test_nan_loss_stops_with_epoch_batch_and_advice(mnist_data):
    (x, y), _ = small_mnist(mnist_data, 512)
    model = Sequential([layers.Dense(10, activation="linear", input_shape=(784,))], seed=0)
    model.compile(optimizers.SGD(learning_rate=1e6), "mse")
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+, batch \d+; try a lower learning rate"):
        model.fit(x * 1e3, np.eye(10)[y], epochs=5, batch_size=32, verbose=0)
    assert all(np.isfinite(p).all() for p in model.params)  # never stepped on a NaN gradient


def test_sigmoid_and_softmax_never_overflow_or_warn():
    z = np.array([[-1e4, 0.0, 1e4], [1e30, -1e30, 0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # what NumPy warns about by default
        s = activations.sigmoid(z)
        p = activations.softmax(z)
    assert np.isfinite(s).all() and s[0].tolist() == [0.0, 0.5, 1.0]
    assert np.isfinite(p).all() and np.allclose(p.sum(1), 1)


def test_early_stopping_and_checkpoint(mnist_data, tmp_path):
    (x, y), (xt, yt) = small_mnist(mnist_data, 500)
    model = seed_002_model(seed=0)
    model.compile(optimizers.SGD(1e-9), "categorical_crossentropy", ["accuracy"])  # too small to improve
    stop = callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-3, patience=1)
    ckpt = callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch:02d}.safetensors"))
    h = model.fit(x, y, epochs=20, validation_data=(xt, yt), callbacks=[stop, ckpt], verbose=0)
    assert len(h.history["loss"]) == 3 and stop.stopped_epoch == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-01.safetensors", "m-02.safetensors", "m-03.safetensors"]


def test_progress_lines_when_not_a_terminal(mnist_data, capsys):
    (x, y), _ = small_mnist(mnist_data, 256)
    model = seed_002_model(seed=0)
    model.compile("rmsprop", "categorical_crossentropy", ["accuracy"])
    model.fit(x, y, epochs=2, batch_size=128, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("2/2 [==============================] - ")
    assert "ms/step - loss: " in lines[1] and " - accuracy: " in lines[1]


@pytest.mark.parametrize("call, message", [
    (lambda: Sequential().compile(optimizer="adamw"), "unknown optimizer 'adamw' (expected one of: sgd, rmsprop, adam)"),
    (lambda: Sequential().compile(loss="hinge"), "unknown loss 'hinge'"),
    (lambda: Sequential().compile(metrics=["f1"]), "unknown metric 'f1'"),
    (lambda: layers.Dense(3, activation="gelu"), "unknown activation 'gelu'"),
    (lambda: optimizers.SGD(-1), "invalid learning rate: -1"),
    (lambda: layers.Dropout(1.5), "Dropout rate must be in [0, 1)"),
])
def test_bad_configuration_is_refused_at_once(call, message):
    with pytest.raises(InvalidValueError) as e:
        call()
    assert message in str(e.value)


def test_wrong_input_shape_is_clear(mnist_data):
    (x, y), _ = small_mnist(mnist_data, 10)
    model = seed_002_model()
    model.compile()
    with pytest.raises(InvalidValueError, match=r"x has shape \(10, 28, 28\), the model expects \(N, 784\)"):
        model.fit(x.reshape(-1, 28, 28), y, verbose=0)
    with pytest.raises(InvalidValueError, match=r"y has shape \(10, 3\)"):
        model.fit(x, np.zeros((10, 3)), verbose=0)


def test_sgd_time_based_decay():
    opt = optimizers.SGD(0.1, decay=0.5)
    w, g = np.ones(3, np.float32), np.ones(3, np.float32)
    opt.apply([w], [g])
    opt.apply([w], [g])
    np.testing.assert_allclose(w, 1 - 0.1 - 0.1 / 1.5)


def test_optimizer_blocks_match_whole_array_update():
    """Cache-blocked updates (large kernels) equal the same rule on the whole array."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((784, 512)).astype(np.float32)
    g = rng.standard_normal((784, 512)).astype(np.float32)
    for make in (lambda: optimizers.RMSprop(), lambda: optimizers.Adam(), lambda: optimizers.SGD(0.1, momentum=0.9)):
        blocked, whole = make(), make()
        a, b = w.copy(), w.copy()
        blocked.apply([a], [g])
        whole.build([b])
        whole.iterations += 1
        whole.update(b, g, whole.state[0], whole.learning_rate)
        np.testing.assert_array_equal(a, b)


def test_live_progress_bar_on_a_terminal(tmp_path):
    """On a terminal (a pseudo-terminal here) the bar is drawn live, then the Keras line stays."""
    import os
    import pty
    import subprocess
    import sys

    script = tmp_path / "fit_on_tty.py"
    script.write_text(
        "import numpy as np\nfrom digitlab import Sequential, layers\n"
        "m = Sequential([layers.Dense(10, activation='softmax', input_shape=(20,))], seed=0)\n"
        "m.compile('adam', 'sparse_categorical_crossentropy', ['accuracy'])\n"
        "rng = np.random.default_rng(0)\n"
        "m.fit(rng.random((640, 20)), rng.integers(0, 10, 640), epochs=1, batch_size=32)\n")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(script)], stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=60) == 0
    text = out.decode()
    assert "\r0/20 [" in text  # the live bar was drawn
    assert "20/20 [==============================] - " in text and "- accuracy: " in text
