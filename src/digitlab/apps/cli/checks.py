"""Cheap checks that every command runs before any training, download or long work.

A usage error (a bad option value) raises ``UsageError``: the command prints its own
usage and the message, and exits 2, as argparse does for an unknown option. A file
that cannot be written or read is an ordinary ``DigitlabError`` (exit 1), named with
what was expected.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..._io import a_or_an
from ...errors import DigitlabError


class UsageError(DigitlabError):
    """An option's value is outside what the command accepts (exit status 2, with the command's usage)."""


def output_file(path: str | os.PathLike, what: str) -> Path:
    """``path`` if a file can be written there: its directory exists and is writable, and it is not a directory.

    ``what`` names the file in the message ("model file (.safetensors)", "PNG"...).
    """
    path = Path(path)
    if path.is_dir():
        raise DigitlabError(f"{path}: is a directory; expected the name of a {what} to write")
    parent = path.parent
    if not parent.is_dir():
        raise DigitlabError(f"{path}: cannot write the {what} there: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DigitlabError(f"{path}: cannot write the {what} there: directory {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise DigitlabError(f"{path}: cannot overwrite the {what}: the file is not writable")
    return path


def output_dir(path: str | os.PathLike, what: str) -> Path:
    """``path`` if it is a writable directory or can be created as one (it is created later, by the writer)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DigitlabError(f"{path}: is a file; expected a directory for the {what}")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise DigitlabError(f"{path}: cannot create a directory for the {what}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DigitlabError(f"{path}: cannot write the {what} there: directory {existing} is not writable")
    return path


def input_file(path: str | os.PathLike, what: str) -> Path:
    """``path`` if it is a readable file; otherwise an error naming the kind of file expected."""
    path = Path(path)
    if not path.exists():
        raise DigitlabError(f"{path}: no such file; expected {a_or_an(what)}")
    if path.is_dir():
        raise DigitlabError(f"{path}: is a directory; expected {a_or_an(what)}")
    if not os.access(path, os.R_OK):
        raise DigitlabError(f"{path}: not readable; expected {a_or_an(what)}")
    return path


def at_least(value: int | None, minimum: int, option: str) -> None:
    if value is not None and value < minimum:
        raise UsageError(f"{option} {value}: expected at least {minimum}")
