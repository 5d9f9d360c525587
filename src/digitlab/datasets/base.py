"""Where dataset files come from, and checking that they are the right ones.

A dataset is four IDX files (train/test images and labels). For each file,
digitlab looks in this order and takes the first place that has it:

1. the ``path=`` argument, a directory (if given, the files must be there);
2. ``$DIGITLAB_DATA/<dataset>/``;
3. the user cache, ``$XDG_CACHE_HOME/digitlab/<dataset>/`` or ``~/.cache/digitlab/<dataset>/``;
4. the copy bundled in the package, or one installed by the system (Debian);
5. otherwise it is downloaded from the dataset's mirrors into (2) or (3).

Every file is verified against the SHA-256 of its *decompressed* IDX bytes,
so any mirror's compression of the same content is accepted.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import idx
from ..errors import ChecksumError, DataNotFoundError
from .download import download

SPLITS = ("train_images", "train_labels", "test_images", "test_labels")


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is: its files, their content hashes and where to find them."""

    name: str
    filenames: dict[str, str]  # split key -> file name, e.g. "train_images" -> "train-images-idx3-ubyte.gz"
    sha256: dict[str, str]  # split key -> SHA-256 of the decompressed IDX bytes
    mirrors: tuple[str, ...]  # base URLs, tried in order
    class_names: tuple[str, ...]
    local_dirs: tuple[tuple[Path, str], ...] = ()  # (directory, "bundled" or "system"), after the user's own places


@dataclass
class LoadedFile:
    """One dataset file after loading: where it came from and what it holds."""

    key: str
    path: Path
    source: str  # "path=", "DIGITLAB_DATA", "cache", "bundled", "system" or "downloaded"
    array: np.ndarray
    sha256: str
    expected_sha256: str = field(repr=False)

    @property
    def checksum_ok(self) -> bool:
        return self.sha256 == self.expected_sha256


def cache_dir() -> Path:
    """The user cache root: ``$XDG_CACHE_HOME/digitlab`` or ``~/.cache/digitlab``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digitlab"


def _search_dirs(spec: DatasetSpec, path: str | os.PathLike | None) -> list[tuple[Path, str]]:
    if path is not None:
        return [(Path(path), "path=")]
    dirs = []
    if os.environ.get("DIGITLAB_DATA"):
        dirs.append((Path(os.environ["DIGITLAB_DATA"]) / spec.name, "DIGITLAB_DATA"))
    dirs.append((cache_dir() / spec.name, "cache"))
    return dirs + list(spec.local_dirs)


def _download_dir(spec: DatasetSpec) -> Path:
    root = os.environ.get("DIGITLAB_DATA")
    return (Path(root) if root else cache_dir()) / spec.name


def _sha256_of_idx(path: Path) -> tuple[bytes, str]:
    data = idx.read_bytes(path)
    return data, hashlib.sha256(data).hexdigest()


def locate(spec: DatasetSpec, key: str, path: str | os.PathLike | None = None) -> tuple[Path, str]:
    """Return ``(file, source)`` for one split, downloading it if it is nowhere.

    With an explicit ``path`` nothing else is searched and nothing downloaded.
    """
    filename = spec.filenames[key]
    dirs = _search_dirs(spec, path)
    for directory, source in dirs:
        candidate = directory / filename
        if candidate.is_file():
            return candidate, source
        if path is not None and candidate.exists():  # a FIFO or a device would be waited on forever: say so
            raise idx.IDXFormatError(f"{candidate}: not a regular file (a FIFO, device or directory), expected an IDX file")
    if path is not None:
        raise DataNotFoundError(f"{Path(path) / filename}: no such file (path= was given, so nowhere else is searched)")

    def verify(tmp: Path) -> None:
        _, digest = _sha256_of_idx(tmp)
        if digest != spec.sha256[key]:
            raise ChecksumError(f"content SHA-256 {digest[:16]}… is not the expected {spec.sha256[key][:16]}…")

    target = _download_dir(spec) / filename
    download([base + filename for base in spec.mirrors], target, verify)
    return target, "downloaded"


def _load_one(spec: DatasetSpec, key: str, path: str | os.PathLike | None) -> LoadedFile:
    file, source = locate(spec, key, path)
    data, digest = _sha256_of_idx(file)
    return LoadedFile(key, file, source, idx.parse_idx(data, str(file)), digest, spec.sha256[key])


def load_files(spec: DatasetSpec, path: str | os.PathLike | None = None, *, verify: bool = True) -> dict[str, LoadedFile]:
    """Load all four files of ``spec`` (in parallel: zlib and hashing release the GIL).

    With ``verify`` (the default) a checksum mismatch raises ChecksumError naming
    the file; without it, the caller inspects ``LoadedFile.checksum_ok``.
    """
    with ThreadPoolExecutor(max_workers=len(SPLITS)) as pool:
        futures = {key: pool.submit(_load_one, spec, key, path) for key in SPLITS}
        files = {key: f.result() for key, f in futures.items()}
    if verify:
        for f in files.values():
            if not f.checksum_ok:
                raise ChecksumError(
                    f"{f.path}: SHA-256 of the decompressed content is {f.sha256}, expected {f.expected_sha256} "
                    f"(the file is damaged or not {spec.name}'s {f.key}; delete it or fetch it again)"
                )
    _check_shapes(spec, files)
    return files


def _check_shapes(spec: DatasetSpec, files: dict[str, LoadedFile]) -> None:
    for split in ("train", "test"):
        images, labels = files[f"{split}_images"], files[f"{split}_labels"]
        if images.array.ndim != 3 or labels.array.ndim != 1 or len(images.array) != len(labels.array):
            raise ChecksumError(
                f"{images.path}: {spec.name} {split} images {images.array.shape} and labels {labels.array.shape} "
                "do not match (expected (N, 28, 28) and (N,))"
            )


def load_arrays(spec: DatasetSpec, path: str | os.PathLike | None = None):
    """Keras-style ``(x_train, y_train), (x_test, y_test)``, verified."""
    f = load_files(spec, path)
    return ((f["train_images"].array, f["train_labels"].array),
            (f["test_images"].array, f["test_labels"].array))
