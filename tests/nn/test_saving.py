import json
import signal
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from digitlab import Sequential, layers, load_model, regularizers
from digitlab.nn.saving import ModelFileError


def trained_model(x, y, epochs=1, **fit):
    model = Sequential([layers.Dense(64, activation="relu", input_shape=(784,), kernel_regularizer=regularizers.L2(1e-4)),
                        layers.Dropout(0.1), layers.Dense(10, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=100, verbose=0, seed=3, **fit)
    return model


@pytest.fixture(scope="module")
def data(mnist_data):
    (x, y), _ = mnist_data
    return x[:1000].reshape(-1, 784) / 255.0, y[:1000]


def test_round_trip_keeps_weights_optimizer_history_and_compile(tmp_path, data):
    x, y = data
    model = trained_model(x, y, epochs=2)
    path = tmp_path / "m.safetensors"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))
    assert loaded.history.history == model.history.history
    assert loaded.optimizer.iterations == model.optimizer.iterations == 20
    assert type(loaded.optimizer).__name__ == "Adam" and loaded.metrics == ["accuracy"]
    for a, b in zip(model.optimizer.state, loaded.optimizer.state):
        assert all(np.array_equal(a[k], b[k]) for k in a)
    assert loaded.layers[0].kernel_regularizer == regularizers.L2(1e-4)
    assert b"pickle" not in path.read_bytes()


def test_resuming_a_saved_model_equals_never_stopping(tmp_path, data):
    x, y = data
    straight = trained_model(x, y, epochs=4)
    half = trained_model(x, y, epochs=2)
    half.save(tmp_path / "half.safetensors")
    resumed = load_model(tmp_path / "half.safetensors")
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=100, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert straight.history.history == resumed.history.history


def _save_bytes(tmp_path, data):
    path = tmp_path / "m.safetensors"
    trained_model(*data).save(path)
    return path, bytearray(path.read_bytes())


def test_truncated_file_is_refused(tmp_path, data):
    path, raw = _save_bytes(tmp_path, data)
    path.write_bytes(raw[: len(raw) - 1000])
    with pytest.raises(ModelFileError, match="damaged safetensors data|truncated"):
        load_model(path)
    path.write_bytes(raw[:100])
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(path)


def test_tampered_weights_are_refused(tmp_path, data):
    path, raw = _save_bytes(tmp_path, data)
    raw[-5] ^= 0x40
    path.write_bytes(raw)
    with pytest.raises(ModelFileError, match="does not match its recorded SHA-256"):
        load_model(path)


def test_tampered_architecture_is_refused(tmp_path, data):
    path, raw = _save_bytes(tmp_path, data)
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = json.loads(header["__metadata__"]["digitlab"])
    meta["model"]["layers"][0]["config"]["units"] = 65
    header["__metadata__"]["digitlab"] = json.dumps(meta, separators=(",", ":"))
    new = json.dumps(header, separators=(",", ":")).encode()
    new += b" " * (n - len(new)) if len(new) <= n else b""
    assert len(new) == n
    path.write_bytes(raw[:8] + new + raw[8 + n:])
    with pytest.raises(ModelFileError, match=r"params/dense.kernel is float32\[784, 64\], the architecture needs float32\[784, 65\]"):
        load_model(path)


def test_foreign_and_non_model_files_are_refused(tmp_path):
    from safetensors.numpy import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": np.zeros(3, np.float32)}, str(foreign))
    with pytest.raises(ModelFileError, match="not a digitlab model"):
        load_model(foreign)
    text = tmp_path / "notes.safetensors"
    text.write_text("hello, this is not a model at all")
    with pytest.raises(ModelFileError, match=r"notes.safetensors: not a digitlab model \(.safetensors\)"):
        load_model(text)
    for name, content, kind in [("m.history.json", b'{"epochs": [0], "loss": [0.5]}\n', "a JSON file"),
                                ("digit.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "a PNG image"),
                                ("w.pkl", b"\x80\x02}q\x00" + bytes(50), "a Python pickle")]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ModelFileError, match=rf"{name}: not a digitlab model \(.safetensors\): .*looks like {kind}"):
            load_model(tmp_path / name)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "missing.safetensors")


def test_newer_format_version_is_refused(tmp_path, data, monkeypatch):
    import digitlab.nn.saving as saving

    monkeypatch.setattr(saving, "FORMAT_VERSION", 99)
    path = tmp_path / "new.safetensors"
    trained_model(*data).save(path)
    monkeypatch.setattr(saving, "FORMAT_VERSION", 1)
    with pytest.raises(ModelFileError, match="format version 99 is not supported"):
        load_model(path)


def test_failed_save_leaves_the_old_file(tmp_path, data, monkeypatch):
    path, raw = _save_bytes(tmp_path, data)
    model = trained_model(*data, epochs=2)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        model.save(path)
    assert path.read_bytes() == bytes(raw)
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_killing_the_process_mid_save_leaves_a_loadable_file(tmp_path):
    """A real SIGKILL while a large model is being saved over and over."""
    path = tmp_path / "big.safetensors"
    script = textwrap.dedent(f"""
        import sys
        from digitlab import Sequential, layers
        m = Sequential([layers.Dense(2048, input_shape=(784,)), layers.Dense(2048), layers.Dense(10)], seed=0)
        m.build()
        m.save({str(path)!r})
        print("saved", flush=True)
        i = 0
        while True:
            m.layers[0].params["bias"][:] = i
            m.save({str(path)!r})
            i += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saved"
    import time

    time.sleep(0.7)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    model = load_model(path)  # the last complete save, never a torn one
    bias = model.layers[0].params["bias"]
    assert (bias == bias[0]).all()
