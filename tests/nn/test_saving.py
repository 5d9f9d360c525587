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


def _edit_header(path, edit):
    """Rewrite the metadata document of ``path`` with ``edit(meta)``, keeping the recorded SHA-256."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = json.loads(header["__metadata__"]["digitlab"])
    meta = edit(meta)
    header["__metadata__"]["digitlab"] = meta if isinstance(meta, str) else json.dumps(meta, separators=(",", ":"))
    new = json.dumps(header, separators=(",", ":")).encode()
    new += b" " * ((8 - len(new) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n:])
    return header["__metadata__"]["digitlab"]


def _resign(path, edit):
    """As an attacker who knows the format would: edit the metadata and record a matching SHA-256."""
    from safetensors.numpy import load_file, save

    from digitlab.nn.saving import file_digest

    tensors = load_file(str(path))
    document = _edit_header(path, edit)
    path.write_bytes(save(tensors, metadata={"digitlab": document, "digitlab_sha256": file_digest(document, tensors)}))


def _set_units(meta, units):
    meta["model"]["layers"][0]["config"]["units"] = units
    return meta


def test_tampered_architecture_is_refused(tmp_path, data):
    path, _ = _save_bytes(tmp_path, data)
    _edit_header(path, lambda meta: _set_units(meta, 65))
    with pytest.raises(ModelFileError, match="does not match its recorded SHA-256"):
        load_model(path)
    _resign(path, lambda meta: _set_units(meta, 65))  # even with a SHA-256 that matches, the shapes must
    with pytest.raises(ModelFileError, match=r"params/dense.kernel is float32\[784, 64\], the architecture needs float32\[784, 65\]"):
        load_model(path)


def test_shipped_model_with_an_edited_activation_is_refused(tmp_path):
    """Issue 11, 2: changing the first "relu" to "sigmoid" loaded and scored 60.97%."""
    from digitlab.vision.predict import DEFAULT_MODEL

    path = tmp_path / "m.safetensors"
    raw = DEFAULT_MODEL.read_bytes()
    i = raw.index(b'relu')
    path.write_bytes(raw[:i] + b"tanh" + raw[i + 4:])  # same length, so the header still parses
    with pytest.raises(ModelFileError, match="does not match its recorded SHA-256"):
        load_model(path)


def test_declared_layer_sizes_are_checked_before_any_weight_is_allocated(tmp_path, data):
    """Issue 11, 2: a file declaring 700,000 units allocated 6.4 GB before it was refused."""
    import resource

    path, _ = _save_bytes(tmp_path, data)
    _resign(path, lambda meta: _set_units(meta, 700_000))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ModelFileError, match=r"the architecture needs float32\[784, 700000\]"):
        load_model(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # kB: never the 2.2 GB kernel


@pytest.mark.parametrize("edit", [
    lambda m: [],
    lambda m: {**m, "rng_state": -1},
    lambda m: {**m, "rng_state": {"bit_generator": "PCG64", "state": {"state": -1, "inc": 1}}},
    lambda m: '{"format": "digitlab-model", "format_version": 2, "x": Infinity}',
    lambda m: _set_units(m, float("inf")),
    lambda m: json.dumps(m)[:-1] + ', "big": ' + "9" * 5000 + "}",
    lambda m: json.dumps(m)[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}",
    lambda m: {**m, "model": {**m["model"], "input_shape": [2 ** 40]}},
    lambda m: {**m, "model": {**m["model"], "dtype": "object"}},
    lambda m: {**m, "model": {**m["model"], "layers": [{"class_name": "Dense", "config": {"units": 64, "bogus": 1}}]}},
    lambda m: {**m, "compile": {**m["compile"], "optimizer": {"class_name": "Adam", "config": {"learning_rate": "x"}}}},
    lambda m: {**m, "optimizer_iterations": -5},
    lambda m: {**m, "history": {"loss": [[1]]}},
], ids=["list", "rng-minus-1", "rng-state-minus-1", "infinity", "inf-units", "5000-digits", "deep", "huge-input",
        "object-dtype", "unknown-argument", "bad-learning-rate", "negative-steps", "nested-history"])
def test_malformed_metadata_with_a_matching_sha256_is_a_model_file_error(tmp_path, data, edit):
    """Issue 11, 2: each of these ended in a traceback (7 exception types); now ModelFileError and nothing else."""
    path, _ = _save_bytes(tmp_path, data)
    _resign(path, edit)
    with pytest.raises(ModelFileError):
        load_model(path)


def test_format_1_files_are_refused_with_advice(tmp_path, data):
    path, _ = _save_bytes(tmp_path, data)
    _resign(path, lambda m: {**m, "format_version": 1})
    with pytest.raises(ModelFileError, match="older digitlab.*checksum does not cover the architecture"):
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
