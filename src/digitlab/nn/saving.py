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
import os
import struct
from pathlib import Path

import numpy as np

from .. import __version__
from .._io import atomic_write_bytes
from ..errors import DigitlabError

FORMAT = "digitlab-model"
FORMAT_VERSION = 1


class ModelFileError(DigitlabError):
    """A model file is missing, damaged, altered, or not a digitlab model."""


def _digest(tensors: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def model_to_tensors(model) -> tuple[dict[str, np.ndarray], dict]:
    """The tensors and the metadata document that describe ``model`` completely."""
    tensors = {f"params/{k}": v for k, v in model.named_params().items()}
    tensors.update({f"state/{k}": v for k, v in model.named_state().items()})
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "digitlab_version": __version__,
            "model": model.get_config(),
            "history": model.history.history, "epochs": model.history.epoch,
            "rng_state": model.rng.bit_generator.state, "meta": model.meta}
    if model.optimizer is not None:
        opt = model.optimizer
        meta["compile"] = {"optimizer": {"class_name": type(opt).__name__, "config": opt.get_config()},
                           "loss": model.loss.get_config(), "metrics": model.metrics}
        meta["optimizer_iterations"] = opt.iterations
        for i, state in enumerate(opt.state):
            for slot, value in state.items():
                tensors[f"optimizer/{i}/{slot}"] = value
    meta["tensors_sha256"] = _digest(tensors)
    return tensors, meta


def save_model(model, path: str | os.PathLike) -> None:
    from safetensors.numpy import save

    if not model.built:
        raise ModelFileError("cannot save a model that has not been built (no weights yet)")
    tensors, meta = model_to_tensors(model)
    data = save({k: np.ascontiguousarray(v) for k, v in tensors.items()}, metadata={"digitlab": json.dumps(meta)})
    atomic_write_bytes(path, data)


def _read_header(data: bytes, path: Path) -> dict:
    if len(data) < 8:
        raise ModelFileError(f"{path}: {len(data)} bytes is too short to be a safetensors model file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ModelFileError(f"{path}: truncated: header claims {n} bytes, file has {len(data) - 8} after the length")
    try:
        return json.loads(data[8:8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{path}: not a safetensors file (its header is not JSON)") from None


def read_model_file(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """The metadata document and the tensors of a digitlab model file, checked against its SHA-256."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, expected a .safetensors model file") from None
    header = _read_header(data, path)
    raw = (header.get("__metadata__") or {}).get("digitlab")
    if raw is None:
        raise ModelFileError(f"{path}: not a digitlab model (a safetensors file without digitlab metadata)")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError:
        raise ModelFileError(f"{path}: digitlab metadata is not valid JSON (the file was altered)") from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a digitlab model (format {meta.get('format')!r}, expected {FORMAT!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format version {version!r} is not supported "
                             f"(this digitlab {__version__} reads versions up to {FORMAT_VERSION}); upgrade digitlab")
    try:
        tensors = load(data)
    except SafetensorError as e:
        raise ModelFileError(f"{path}: damaged safetensors data ({e})") from None
    if _digest(tensors) != meta.get("tensors_sha256"):
        raise ModelFileError(f"{path}: tensor data does not match its recorded SHA-256 (the file was altered or damaged)")
    return meta, tensors


def take(tensors: dict[str, np.ndarray], name: str, like: np.ndarray) -> np.ndarray:
    """tensors[name], which must exist with the shape and dtype of ``like``."""
    if name not in tensors:
        raise ValueError(f"missing tensor {name}")
    got = tensors[name]
    if got.shape != like.shape or got.dtype != like.dtype:
        raise ValueError(f"tensor {name} is {got.dtype}{list(got.shape)}, the architecture needs "
                         f"{like.dtype}{list(like.shape)}")
    return got
