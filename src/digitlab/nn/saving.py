"""Model files: one .safetensors file, never pickle.

Tensors: every weight (``params/<layer>.<name>``), the non-trainable state of
layers such as BatchNormalization (``state/<layer>.<name>``) and the optimizer's
state (``optimizer/<index>/<slot>``). The safetensors metadata holds one JSON
document under the key ``digitlab``: format and package versions, the
architecture, the compile settings, the optimizer step count, the training
history, the random generator's state (so training resumes exactly), and a
SHA-256 over all tensor bytes (so tampering is detected).

This module knows the file, not the model: ``save_model`` asks the model for
its config and tensors (``model_to_tensors``), and ``read_model_file`` returns
the checked metadata and tensors. ``model.load_model`` rebuilds a model from
them and checks every tensor's name, shape and dtype against the architecture,
so a truncated, altered or foreign file is refused with a clear error instead
of producing a silently wrong model.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from pathlib import Path

import numpy as np

from .. import __version__
from .._io import atomic_write_bytes, read_regular
from ..errors import DigitlabError
from ..utils import json_depth

FORMAT = "digitlab-model"
FORMAT_VERSION = 2        # 2: the SHA-256 covers the metadata too (1 covered only the tensors)
MAX_FILE_BYTES = 1 << 30  # the shipped model, with its optimizer state, is 10 MB
MAX_HEADER_BYTES = 16 << 20
MAX_DEPTH = 32            # JSON nesting in the header and the metadata
MAX_INT_DIGITS = 50       # a random generator's 128-bit state has 39
DTYPES = ("float32", "float64")


class ModelFileError(DigitlabError):
    """A model file is missing, damaged, altered, or not a digitlab model."""


def _tensor_digest(tensors: dict[str, np.ndarray]) -> bytes:
    h = hashlib.sha256()
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.digest()


def file_digest(document: str, tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 over the metadata document exactly as stored and over every tensor (name, dtype, shape, bytes)."""
    return hashlib.sha256(document.encode() + b"\0" + _tensor_digest(tensors)).hexdigest()


def model_to_tensors(model) -> tuple[dict[str, np.ndarray], dict]:
    """The tensors and the metadata document that describe ``model`` completely."""
    tensors = {f"params/{k}": v for k, v in model.named_params().items()}
    tensors.update({f"state/{k}": v for k, v in model.named_state().items()})
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "digitlab_version": __version__,
            "model": model.get_config(),
            "history": model.history.to_dict(), "epochs": model.history.epoch,
            "rng_state": model.rng.bit_generator.state, "meta": model.meta}
    if model.optimizer is not None:
        opt = model.optimizer
        meta["compile"] = {"optimizer": {"class_name": type(opt).__name__, "config": opt.get_config()},
                           "loss": model.loss.get_config(), "metrics": model.metrics}
        meta["optimizer_iterations"] = opt.iterations
        for i, state in enumerate(opt.state):
            for slot, value in state.items():
                tensors[f"optimizer/{i}/{slot}"] = value
    return tensors, meta


def save_model(model, path: str | os.PathLike) -> None:
    from safetensors.numpy import save

    if not model.built:
        raise ModelFileError("cannot save a model that has not been built (no weights yet)")
    tensors, meta = model_to_tensors(model)
    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    document = json.dumps(meta)
    data = save(tensors, metadata={"digitlab": document, "digitlab_sha256": file_digest(document, tensors)})
    atomic_write_bytes(path, data)


# the first bytes of files people pass by mistake, for "it looks like ..." in the error
_SIGNATURES = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
               (b"\x1f\x8b", "a gzip file"), (b"\x80", "a Python pickle"), (b"PK\x03\x04", "a zip archive"),
               (b"\x00\x00\x08", "an IDX file"), (b"{", "a JSON file"), (b"[", "a JSON file"))


def _looks_like(data: bytes) -> str:
    kind = next((name for magic, name in _SIGNATURES if data.startswith(magic)), None)
    return f"; it looks like {kind}" if kind else ""


# ---- reading: every check before anything is built ------------------------------------------------


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def _loads(text, path: Path, what: str):
    """Bounded JSON: nesting at most MAX_DEPTH, integers at most MAX_INT_DIGITS digits."""
    if json_depth(text) > MAX_DEPTH:
        raise ModelFileError(f"{path}: {what} nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_parse_int)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFileError(f"{path}: {what} is not valid JSON ({str(e)[:120]})") from None


def _read_header(data: bytes, path: Path) -> dict:
    not_model = f"{path}: not a digitlab model (.safetensors)"
    if len(data) < 8:
        raise ModelFileError(f"{not_model}: {len(data)} bytes is too short{_looks_like(data)}")
    (n,) = struct.unpack("<Q", data[:8])
    if data[8:9] != b"{":  # a safetensors header is a JSON object right after its 8-byte length
        raise ModelFileError(f"{not_model}: no safetensors header{_looks_like(data)}")
    if n > len(data) - 8:
        raise ModelFileError(f"{path}: truncated digitlab model (.safetensors): header claims {n} bytes, "
                             f"file has {len(data) - 8} after the length")
    if n > MAX_HEADER_BYTES:
        raise ModelFileError(f"{path}: header of {n:,} bytes; expected at most {MAX_HEADER_BYTES:,}")
    header = _loads(data[8:8 + n], path, "the safetensors header")
    if not isinstance(header, dict):
        raise ModelFileError(f"{not_model}: its header is not a JSON object")
    return header


def _fail(path: Path, where: str, expected: str):
    raise ModelFileError(f"{path}: metadata {where}: expected {expected}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _finite_numbers(value, path: Path, where: str) -> None:
    """Every number in ``value`` (nested) is finite: Infinity or NaN in a setting would make a silently broken model."""
    stack = [(value, where)]
    while stack:
        v, at = stack.pop()
        if isinstance(v, float) and not np.isfinite(v):
            _fail(path, at, "finite numbers")
        elif isinstance(v, dict):
            stack.extend((x, f"{at}.{k}") for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, f"{at}[{i}]") for i, x in enumerate(v))


def validate_metadata(meta, path: Path) -> dict:
    """``meta`` checked against the schema of the digitlab document: types, ranges, sizes."""
    if not isinstance(meta, dict):
        _fail(path, "document", "a JSON object")
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a digitlab model (format {str(meta.get('format'))[:40]!r}, expected {FORMAT!r})")
    version = meta.get("format_version")
    if not _is_int(version) or version > FORMAT_VERSION or version < 1:
        shown = version if _is_int(version) else repr(str(version)[:20])
        raise ModelFileError(f"{path}: model format version {shown} is not supported "
                             f"(this digitlab {__version__} reads version {FORMAT_VERSION}); upgrade digitlab")
    if version < FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format version {version} is from an older digitlab, whose checksum "
                             "does not cover the architecture, so an edited file cannot be told apart; "
                             "train the model again (or load it with that digitlab and save it with this one)")
    model = meta.get("model")
    if not isinstance(model, dict):
        _fail(path, "model", "an object")
    if not isinstance(model.get("name"), str) or len(model["name"]) > 200:
        _fail(path, "model.name", "a string")
    if model.get("dtype") not in DTYPES:
        _fail(path, "model.dtype", " or ".join(DTYPES))
    shape = model.get("input_shape")
    if not (isinstance(shape, list) and 1 <= len(shape) <= 4 and all(_is_int(n) and n >= 1 for n in shape)
            and math.prod(shape) <= 1 << 31):
        _fail(path, "model.input_shape", "1 to 4 positive sizes, at most 2**31 inputs in all")
    specs = model.get("layers")
    if not (isinstance(specs, list) and 1 <= len(specs) <= 1000 and all(
            isinstance(s, dict) and isinstance(s.get("class_name"), str) and isinstance(s.get("config"), dict)
            for s in specs)):
        _fail(path, "model.layers", "a list of {class_name, config}")
    _finite_numbers(model, path, "model")
    history = meta.get("history", {})
    if not (isinstance(history, dict) and all(
            isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
            for v in history.values())):
        _fail(path, "history", "lists of numbers by name")
    epochs = meta.get("epochs", [])
    if not (isinstance(epochs, list) and all(_is_int(e) and e >= 0 for e in epochs)):
        _fail(path, "epochs", "a list of epoch numbers")
    if not isinstance(meta.get("rng_state"), dict):
        _fail(path, "rng_state", "a random generator state (an object)")
    if not isinstance(meta.get("meta", {}), dict):
        _fail(path, "meta", "an object")
    if "compile" in meta:
        c = meta["compile"]
        if not (isinstance(c, dict) and isinstance(c.get("optimizer"), dict) and
                isinstance(c["optimizer"].get("class_name"), str) and isinstance(c["optimizer"].get("config"), dict)
                and isinstance(c.get("loss"), (str, dict))
                and isinstance(c.get("metrics"), list) and all(isinstance(m, str) for m in c["metrics"])):
            _fail(path, "compile", "{optimizer: {class_name, config}, loss, metrics: [names]}")
        _finite_numbers(c, path, "compile")
        iterations = meta.get("optimizer_iterations")
        if not (_is_int(iterations) and 0 <= iterations < 1 << 62):
            _fail(path, "optimizer_iterations", "a step count")
    return meta


def read_model_file(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """The metadata document and the tensors of a digitlab model file, checked against its SHA-256 and schema."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    path = Path(path)
    try:
        data = read_regular(path, MAX_FILE_BYTES, ModelFileError, ".safetensors model file")
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    header = _read_header(data, path)
    stored = header.get("__metadata__")
    document = stored.get("digitlab") if isinstance(stored, dict) else None
    if not isinstance(document, str):
        raise ModelFileError(f"{path}: not a digitlab model (a safetensors file without digitlab metadata)")
    meta = _loads(document, path, "digitlab metadata")
    if isinstance(meta, dict) and _is_int(meta.get("format_version")) and meta["format_version"] > FORMAT_VERSION:
        validate_metadata(meta, path)  # says "upgrade digitlab" before anything else can fail
    try:
        tensors = load(data)
    except (SafetensorError, ValueError, TypeError) as e:
        raise ModelFileError(f"{path}: damaged safetensors data ({str(e)[:200]})") from None
    for name, t in tensors.items():
        if t.dtype.name not in DTYPES or t.ndim > 4:
            raise ModelFileError(f"{path}: tensor {name[:80]} is {t.dtype}{list(t.shape)}; expected float32 or "
                                 "float64 with at most 4 dimensions")
    if file_digest(document, tensors) != stored.get("digitlab_sha256"):
        if isinstance(meta, dict) and meta.get("format_version") == 1:
            validate_metadata(meta, path)  # explains the older format
        raise ModelFileError(f"{path}: content does not match its recorded SHA-256 (the file was altered or damaged)")
    return validate_metadata(meta, path), tensors


def checker(tensors: dict[str, np.ndarray], dtype):
    """``check(layer, shapes)`` for ``Sequential.build``: each of a layer's weights must be in ``tensors``
    with the shape it is about to get, before it is allocated."""
    dtype = np.dtype(dtype)

    def check(layer, shapes: dict[str, tuple[int, ...]]) -> None:
        for key, shape in shapes.items():
            name = f"params/{layer.name}.{key}"
            if name not in tensors:
                raise ValueError(f"missing tensor {name}")
            got = tensors[name]
            if got.shape != tuple(shape) or got.dtype != dtype:
                raise ValueError(f"tensor {name} is {got.dtype}{list(got.shape)}, the architecture needs "
                                 f"{dtype}{list(shape)}")
    return check


def take(tensors: dict[str, np.ndarray], name: str, like: np.ndarray) -> np.ndarray:
    """tensors[name], which must exist with the shape and dtype of ``like``."""
    if name not in tensors:
        raise ValueError(f"missing tensor {name}")
    got = tensors[name]
    if got.shape != like.shape or got.dtype != like.dtype:
        raise ValueError(f"tensor {name} is {got.dtype}{list(got.shape)}, the architecture needs "
                         f"{like.dtype}{list(like.shape)}")
    return got
