"""Seeded generators of bad input, one per surface, and what each surface may answer.

Case ``i`` of surface ``s`` with seed ``seed`` is a pure function of (s, seed, i), so
any failure is reproduced with ``python -m tests.fuzz.run s --seed SEED --start i --count 1``.

Each generator returns a callable that feeds one input to digitlab and returns a
short description of the outcome; an exception of the surface's documented type
(``EXPECTED``) is a correct refusal, any other exception is a defect.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import random
import struct
import zlib
from pathlib import Path

import numpy as np

INTERESTING_INTS = [0, 1, -1, 2, 7, 255, 256, 65535, 65536, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**40, 2**53,
                    2**63 - 1, 2**63, 2**64, -(2**63), 700_000, 10**30]
INTERESTING_JSON = [None, True, False, -1, 0, 1e308, -1e308, "x", "", [], {}, [[[[[]]]]], 10**40, 0.5,
                    "float32", "relu", "Dense", 700_000, 2**31, {"a": [1, {"b": None}]}]


# ---- byte-level mutations, shared ---------------------------------------------------------------------------


def mutate(data: bytes, rng: random.Random, rounds: int | None = None) -> bytes:
    """``data`` with a few random edits: bit flips, interesting bytes and integers, cuts, repeats, splices."""
    b = bytearray(data)
    for _ in range(rounds or rng.randint(1, 4)):
        if not b:
            b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            continue
        op, at = rng.randrange(8), rng.randrange(len(b))
        if op == 0:
            b[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[at] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, ord("["), ord("{"), ord('"')])
        elif op == 2:  # an interesting 32- or 64-bit integer, either byte order
            n = rng.choice(INTERESTING_INTS) % 2**64
            raw = n.to_bytes(8, rng.choice(["little", "big"]))
            raw = raw[4:] if rng.random() < 0.5 else raw
            b[at:at + len(raw)] = raw
        elif op == 3:
            del b[at:at + rng.randint(1, max(1, len(b) // 4))]
        elif op == 4:
            b = b[:at]
        elif op == 5:
            chunk = b[at:at + rng.randint(1, 64)]
            b[at:at] = chunk * rng.randint(1, 50)
        elif op == 6:
            b[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
        else:
            other = rng.randrange(len(b))
            b[at:at + 8] = b[other:other + 8]
    return bytes(b)


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


# ---- IDX files --------------------------------------------------------------------------------------------


def idx_case(rng: random.Random, tmp: Path):
    from digitlab.idx import encode_idx, read_idx

    kind = rng.randrange(4)
    if kind == 0:  # a random header, a body that may or may not fit it
        code = rng.choice([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, rng.randrange(256)])
        ndim = rng.choice([0, 1, 2, 3, 4, 32, 33, 64, 65, 255, rng.randrange(256)])
        dims = [rng.choice([0, 1, 2, 3, 28, 65536, 2**31, 2**32 - 1, rng.randrange(2**32)]) for _ in range(ndim)]
        data = struct.pack(f">HBB{ndim}I", rng.choice([0, 0, 0, 1]), code, ndim, *dims)
        data += bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 7, 100, rng.randrange(2000)])))
    else:  # a valid file, mutated
        dtype = rng.choice([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
        shape = tuple(rng.randint(0, 5) for _ in range(rng.randint(1, 4)))
        data = mutate(encode_idx(np.zeros(shape, dtype)), rng)
    gz = rng.random() < 0.5
    if gz:
        data = gzip.compress(data, mtime=0)
        if rng.random() < 0.5:
            data = mutate(data, rng, 1)
    elif kind == 3:  # a gzip stream that inflates far past its header
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        data, gz = z.compress(data[:12]) + z.compress(bytes(rng.choice([1, 4, 16]) << 20)) + z.flush(), True
    path = _write(tmp, "f.idx" + (".gz" if gz else ""), data)
    return lambda: read_idx(path).shape


# ---- model files ------------------------------------------------------------------------------------------

_MODEL: bytes | None = None


def small_model_bytes(tmp: Path) -> bytes:
    global _MODEL
    if _MODEL is None:
        from digitlab import Sequential, layers

        model = Sequential([layers.Dense(8, activation="relu", input_shape=(12,)), layers.Dropout(0.1),
                            layers.Dense(3, activation="softmax")], seed=0)
        model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
        rng = np.random.default_rng(0)
        model.fit(rng.random((20, 12)), rng.integers(0, 3, 20), epochs=1, batch_size=10, verbose=0)
        model.save(tmp / "seed.safetensors")
        _MODEL = (tmp / "seed.safetensors").read_bytes()
    return _MODEL


def _leaves(value, path=()):
    """Every (path, value) in a JSON document, containers included."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))


def _set(doc, path, value):
    if not path:
        return value
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()


def resigned(raw: bytes, edit) -> bytes:
    """The model file ``raw`` with its metadata document edited and a matching SHA-256, as an attacker who
    knows the format would write it."""
    from safetensors.numpy import load, save

    from digitlab.nn.saving import file_digest

    (n,) = struct.unpack("<Q", raw[:8])
    document = json.loads(raw[8:8 + n])["__metadata__"]["digitlab"]
    document = edit(document)
    tensors = load(raw)
    return save(tensors, metadata={"digitlab": document, "digitlab_sha256": file_digest(document, tensors)})


def model_case(rng: random.Random, tmp: Path):
    from digitlab import load_model

    raw = small_model_bytes(tmp)
    if rng.random() < 0.35:
        data = mutate(raw, rng)
    else:  # a well-signed file with hostile metadata: only the schema and the shape checks stand in the way
        def edit(document: str) -> str:
            if rng.random() < 0.15:  # text-level: deep nesting, long numbers, bare words
                at = rng.randrange(len(document))
                junk = rng.choice(["[" * 5000, "9" * 5000, "Infinity", "NaN", "-1", '"', "{}", "1e999"])
                return document[:at] + junk + document[at:]
            doc = json.loads(document)
            for _ in range(rng.randint(1, 3)):
                path, _ = rng.choice(list(_leaves(doc)))
                value = _DELETE if path and rng.random() < 0.2 else rng.choice(INTERESTING_JSON + [float("inf"),
                                                                                                  float("nan")])
                doc = _set(doc, path, value)
            return json.dumps(doc)
        data = resigned(raw, edit)
    path = _write(tmp, "m.safetensors", data)
    return lambda: load_model(path).count_params()


# ---- legacy pickles ---------------------------------------------------------------------------------------


class _Reduce:
    def __init__(self, call, args, state=None):
        self.call, self.args, self.state = call, args, state

    def __reduce__(self):
        return (self.call, self.args) if self.state is None else (self.call, self.args, self.state)


def _hostile_pickle(rng: random.Random) -> bytes:
    import codecs

    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # pragma: no cover
        from numpy.core.multiarray import _reconstruct
    dtype = rng.choice([object, "U3", "S2", "V4", [("a", "f4")], "f8", "i4", "M8[s]", ("f4", (2,)), "b1", "c16"])
    shape = tuple(rng.choice([0, 1, 3, 1000, 2**31, 2**40, 300_000_000]) for _ in range(rng.randint(0, 3)))
    raw = rng.choice([b"", b"\0" * 8, [1], [[1] * 3], "ab", None, b"\0" * rng.randrange(100)])
    kind = rng.randrange(5)
    if kind == 0:
        value = _Reduce(_reconstruct, (np.ndarray, (0,), b"b"), (1, shape, np.dtype(dtype), False, raw))
    elif kind == 1:
        value = _Reduce(np.ndarray, (shape, np.dtype(dtype)))
    elif kind == 2:
        text = "ab"
        for _ in range(rng.randint(1, 31)):
            text = _Reduce(codecs.encode, (text, rng.choice(["hex", "latin1", "base64", "rot13", "nope", "utf-8"])))
        value = text
    elif kind == 3:
        value = _Reduce(np.dtype, (rng.choice(["f4", "O", "U9", "V99999999", "<f8", "i"]), False, True))
    else:
        inner = {"W1": np.zeros(3)}
        for _ in range(rng.randint(1, 50)):
            inner = _Reduce(_reconstruct, (np.ndarray, (0,), b"b"), (1, (1,), np.dtype(object), False, [inner]))
        value = inner
    return pickle.dumps({rng.choice(["W1", "b1", "x"]): value}, protocol=rng.choice([0, 2, 4]))


def pickle_case(rng: random.Random, tmp: Path):
    from digitlab.tutorials import book_network, load_pickled_weights

    if rng.random() < 0.5:
        data = _hostile_pickle(rng)
    else:
        arrays = {k: np.zeros(rng.choice([(2, 3), (4,), (1,)]), rng.choice(["f4", "f8", "i2", ">i4", "u1", "?"]))
                  for k in rng.sample(["W1", "b1", "W2", "b2", "W3", "b3", "x"], rng.randint(0, 7))}
        data = mutate(pickle.dumps(arrays, protocol=rng.choice([0, 1, 2, 3, 4, 5])), rng)
    path = _write(tmp, "w.pkl", data)

    def run():
        weights = load_pickled_weights(path)
        return book_network(weights, path).count_params() if rng.random() < 0.3 else len(weights)
    return run


# ---- images -----------------------------------------------------------------------------------------------


def _png_with_size(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height, with a valid header CRC and a tiny, wrong body."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body
                                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def valid_image(rng: random.Random) -> tuple[bytes, str]:
    fmt = rng.choice(["PNG", "PNG", "JPEG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"])
    mode = rng.choice(["1", "L", "P", "RGB", "RGBA", "LA", "I;16", "F", "I"])
    if fmt == "JPEG" and mode not in ("L", "RGB"):
        mode = "L"
    if fmt in ("GIF", "WEBP", "BMP") and mode in ("I;16", "F", "I", "LA"):
        mode = "L"
    if fmt == "PNG" and mode in ("F", "I"):
        mode = "I;16"
    from PIL import Image, ImageDraw

    size = (rng.randint(1, 120), rng.randint(1, 120))
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).line([(size[0] // 2, 2), (size[0] // 2, size[1] - 2)], fill=0, width=max(1, size[0] // 10))
    if mode in ("I;16", "I", "F"):
        img = Image.fromarray((np.asarray(img, np.float32) * rng.choice([1.0, 257.0, 1 / 255])).astype(
            {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]))
    else:
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue(), fmt


def image_bytes(rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.15:
        return _png_with_size(rng.choice([0, 1, 5000, 10**5, 2**31 - 1]), rng.choice([0, 1, 5000, 10**5, 2**31 - 1]))
    data, _ = valid_image(rng)
    return data if r < 0.35 else mutate(data, rng)


def image_case(rng: random.Random, tmp: Path):
    from digitlab.vision.preprocess import to_mnist

    path = _write(tmp, rng.choice(["i.png", "i.jpg", "i"]), image_bytes(rng))
    return lambda: to_mnist(path).shape


# ---- the web API ------------------------------------------------------------------------------------------

_CLIENT = None


def client():
    global _CLIENT
    if _CLIENT is None:
        from fastapi.testclient import TestClient

        from digitlab.apps.web.app import create_app

        _CLIENT = TestClient(create_app(), raise_server_exceptions=False)
    return _CLIENT


def _json_body(rng: random.Random, image: bytes) -> bytes:
    import base64

    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice([b"[", b"{", b'{"image":']) * rng.choice([10, 1000, 100_000])
    url = f"data:{rng.choice(['image/png', 'image/jpeg', 'image/gif', 'text/plain', ''])};base64," \
          + base64.b64encode(image).decode()
    if kind == 1:
        return json.dumps({"image": url}).encode()
    if kind == 2:
        return json.dumps({"image": rng.choice(INTERESTING_JSON)}).encode()
    if kind == 3:
        return mutate(json.dumps({"image": url}).encode(), rng)
    return json.dumps(rng.choice(INTERESTING_JSON)).encode()


def web_case(rng: random.Random, tmp: Path):
    c = client()
    image = image_bytes(rng)
    ctype = rng.choice(["image/png", "image/jpeg", "image/jpg", "application/json", "multipart/form-data",
                        "multipart/form-data; boundary=x", "text/plain", "", "image/png; charset=x",
                        "application/octet-stream"])
    if rng.random() < 0.3:
        part = rng.choice(["image/png", "image/jpeg", "application/octet-stream", "text/plain", ""])
        request = {"files": {rng.choice(["file", "other"]): ("x.png", image, part)}}
    elif ctype.startswith("application/json"):
        request = {"content": _json_body(rng, image), "headers": {"content-type": ctype}}
    else:
        body = image if rng.random() < 0.8 else mutate(b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"
                                                       + image + b"\r\n--x--\r\n", rng)
        request = {"content": body, "headers": {"content-type": ctype} if ctype else {}}

    def run():
        response = c.post("/api/predict", **request)
        if response.status_code >= 500:
            raise ServerError(f"{response.status_code}: {response.text[:300]}")
        body = response.json()
        if response.status_code != 200 and not isinstance(body.get("error"), str):
            raise ServerError(f"{response.status_code} without an error message: {response.text[:300]}")
        return ("status", response.status_code)
    return run


class ServerError(Exception):
    """A 5xx, or a refusal without its JSON error: never expected."""


def expected_errors(surface: str) -> tuple[type[Exception], ...]:
    """The documented error types of each surface (nothing else may come out)."""
    if surface == "idx":
        from digitlab.idx import IDXFormatError
        return (IDXFormatError,)
    if surface == "model":
        from digitlab.nn.saving import ModelFileError
        return (ModelFileError,)
    if surface == "pickle":
        from digitlab.tutorials import LegacyPickleError
        return (LegacyPickleError,)
    if surface == "image":
        from digitlab.vision.images import ImageError
        return (ImageError,)
    return ()


SURFACES = {"idx": idx_case, "model": model_case, "pickle": pickle_case, "image": image_case, "web": web_case}


def _selftest(kind: str):
    """Surfaces that fail on purpose, to show the harness sees each kind of failure."""
    def make(rng, tmp):
        import ctypes
        import time

        return {"hang": lambda: time.sleep(3600), "crash": lambda: ctypes.string_at(0),
                "memory": lambda: bytearray(8 << 30), "rss": lambda: bytearray(b"x") * (1100 << 20)}[kind]
    return make


SELFTEST = {f"selftest-{kind}": _selftest(kind) for kind in ("hang", "crash", "memory", "rss")}


def case(surface: str, seed: int, i: int, tmp: Path):
    """The callable for case ``i`` of ``surface``: a pure function of (surface, seed, i)."""
    rng = random.Random(f"{surface}:{seed}:{i}")
    return {**SURFACES, **SELFTEST}[surface](rng, tmp)


__all__ = ["SURFACES", "case", "expected_errors", "mutate"]
