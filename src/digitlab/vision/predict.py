"""Recognise digits in image files: MNIST-style preprocessing, then one batched forward pass.

``predict_files(model, inputs)`` gives one record per file, in order:
``{"file", "label", "confidence", "unsure", "probabilities"}`` or ``{"file", "error"}``.
A directory stands for the images in it. The shipped default model is ``DEFAULT_MODEL``.

``confidence`` is the probability of the answer; below ``UNSURE_BELOW`` the answer is marked
``unsure``. The threshold was chosen as the lowest at which an earlier shipped model was right at least
99% of the time on the tuning photo sources then (tests/photo_sources.py: fonts, pen, degraded). The
model shipped now, on the four tuning sources (with phone; 2,000 photos): 4.4% below 0.9, read right
58% of the time; above it, 99.01% right.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from . import preprocess
from ..errors import DigitlabError
from ..nn import ModelFileError, load_model

DEFAULT_MODEL = Path(__file__).parent / "data" / "default_model.safetensors"
UNSURE_BELOW = 0.9
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


def load(path: str | os.PathLike | None = None):
    """A model for 28x28 digits (784 inputs, 10 classes): ``path`` or the shipped default."""
    path = Path(path) if path is not None else DEFAULT_MODEL
    if path == DEFAULT_MODEL and not path.is_file():
        raise ModelFileError(f"{path}: the default model is missing from this installation; re-create it with "
                             "`digitlab train --preset default --out src/digitlab/vision/data/default_model.safetensors`")
    model = load_model(path, compile=False)
    if model.input_shape not in ((784,), (28, 28), (28, 28, 1)) or model.layers[-1].output_shape != (10,):
        raise ModelFileError(f"{path}: the model takes inputs {model.input_shape} and gives "
                             f"{model.layers[-1].output_shape} outputs; expected 28x28 (784) pixels in, 10 classes out")
    return model


def expand(inputs: list[str]) -> list[tuple[str, str | None]]:
    """Files to read, in order, as (path, error): directories become their image files, sorted."""
    out = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                out.append((item, f"{item}: directory has no image files (expected {', '.join(sorted(IMAGE_SUFFIXES))})"))
            out.extend((str(f), None) for f in files)
        elif not p.exists():
            out.append((item, f"{item}: no such file"))
        else:
            out.append((item, None))
    return out


def _prepare(path: str) -> tuple[np.ndarray | None, str | None]:
    try:
        return preprocess.to_mnist(path), None
    except DigitlabError as e:
        return None, str(e)
    except OSError as e:
        return None, f"{path}: {e.strerror or e}"


BATCH = 256  # digits per forward pass: the feature maps of 256 digits stay in the caches; 1024 measured slower


def predict_digits(model, digits: np.ndarray) -> np.ndarray:
    """Probabilities (N, 10) for preprocessed digits (N, 28, 28)."""
    if not len(digits):
        return np.zeros((0, 10), np.float32)
    return model.predict(digits.reshape(len(digits), *model.input_shape), batch_size=BATCH)


def prepare_all(paths: list[str], workers: int | None = None) -> list[tuple[np.ndarray | None, str | None]]:
    """``to_mnist`` for every path: (digit, None) or (None, error). Many files are shared among worker
    processes (one per core by default): decoding and the many small NumPy steps then run in parallel."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(paths) < 32:
        return [_prepare(p) for p in paths]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_prepare, paths, chunksize=max(1, min(32, len(paths) // (4 * workers)))))


def predict_files(model, inputs: list[str], save_preprocessed: str | os.PathLike | None = None,
                  workers: int | None = None) -> list[dict]:
    """One record per image file (see the module docstring), in input order."""
    entries = expand(inputs)
    todo = [path for path, error in entries if error is None]
    prepared = dict(zip(todo, prepare_all(todo, workers)))
    ok = [path for path in todo if prepared[path][1] is None]
    probabilities = predict_digits(model, np.array([prepared[p][0] for p in ok], np.float32).reshape(-1, 28, 28))
    by_path = dict(zip(ok, probabilities))
    if save_preprocessed is not None:
        directory = Path(save_preprocessed)
        directory.mkdir(parents=True, exist_ok=True)
        for i, path in enumerate(ok):
            preprocess.save_preview(prepared[path][0], directory / f"{i:04d}_{Path(path).stem}.png")
    records = []
    for path, error in entries:
        error = error or prepared[path][1]
        if error is not None:
            records.append({"file": path, "error": error})
        else:
            records.append({"file": path, **answer(by_path[path])})
    return records


def answer(p: np.ndarray) -> dict:
    """The record of one prediction from its (10,) probabilities: label, confidence, unsure, probabilities."""
    confidence = float(p.max())
    return {"label": int(p.argmax()), "confidence": round(confidence, 6), "unsure": confidence < UNSURE_BELOW,
            "probabilities": [round(float(v), 6) for v in p]}
