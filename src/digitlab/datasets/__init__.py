"""Datasets: MNIST (bundled) and Fashion-MNIST (Debian package or download)."""

from ..errors import DigitlabError
from . import fashion_mnist, mnist
from .base import DatasetSpec, cache_dir, load_files

DATASETS: dict[str, DatasetSpec] = {"mnist": mnist.SPEC, "fashion": fashion_mnist.SPEC}


def get(name: str) -> DatasetSpec:
    """Look a dataset up by its CLI name ("mnist" or "fashion")."""
    try:
        return DATASETS[name]
    except KeyError:
        raise DigitlabError(f"unknown dataset {name!r} (expected one of: {', '.join(DATASETS)})") from None


__all__ = ["mnist", "fashion_mnist", "DATASETS", "DatasetSpec", "cache_dir", "get", "load_files"]
