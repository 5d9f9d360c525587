"""Files in and out, safely.

    read_regular(path, limit, error)   the bytes of a regular file no larger than ``limit``
                                       (never blocks on a FIFO or reads a device forever)
    atomic_open(path) / atomic_write_bytes(path, data)
                                       a file is either the old one or the complete new one
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locks, so no stale-file cleanup either
    fcntl = None


def a_or_an(what: str) -> str:
    """``what`` with its indefinite article, by its first letter: "an image file", "an IDX file", "a file"."""
    return f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"


def read_regular(path: str | os.PathLike, limit: int, error: type[Exception], what: str = "file") -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    The file is opened without blocking (a FIFO would otherwise wait for a writer
    forever) and checked with fstat on the open descriptor, so a FIFO, a device
    (``/dev/zero``), a socket or a link to one is refused before a byte is read,
    and the size is known before reading. Failures raise ``error(message)``
    naming the file; a missing file raises FileNotFoundError.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise error(f"{path}: is a directory, expected {a_or_an(what)}") from None
    except OSError as e:
        if e.errno in (errno.ENXIO, errno.EOPNOTSUPP):  # a socket, or a FIFO variant that cannot be opened
            raise error(f"{path}: not a regular file, expected {a_or_an(what)}") from None
        raise
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{path}: is a directory, expected {a_or_an(what)}")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: not a regular file (a FIFO, device or socket), expected {a_or_an(what)}")
        if info.st_size > limit:
            raise error(f"{path}: {info.st_size:,} bytes is more than the {limit:,} allowed for {a_or_an(what)}")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(info.st_size + 1)  # its size, not the limit: a read of 200 MB allocates that much first
            if len(data) > info.st_size:  # it grew since fstat: read on, still capped
                data += f.read(limit + 1 - len(data))
    finally:
        os.close(fd)
    if len(data) > limit:
        raise error(f"{path}: more than the {limit:,} bytes allowed for {a_or_an(what)}")
    return data


def _mode_for(path: Path) -> int:
    """The permissions a plain ``open(path, "wb")`` would give: the existing file's, else 0o666 less the umask."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(os.stat(path).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _remove_stale_parts(path: Path) -> None:
    """Delete ``.NAME.*.part`` files beside ``path`` left by a save that was killed.

    A save holds an exclusive lock on its .part file while it writes, so a part
    file whose lock can be taken belongs to no live writer and is removed; one
    being written by another process is left alone.
    """
    if fcntl is None:
        return
    for part in path.parent.glob(f".{glob_escape(path.name)}.*.part"):
        try:
            fd = os.open(part, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # locked: a save in progress
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(part)
        finally:
            os.close(fd)


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters made literal."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path`` for binary writing; rename it over
    ``path`` only when the block finishes without an exception.

    The temporary file lives in the same directory so the final ``os.replace``
    is atomic on POSIX; it is flushed and fsynced first, so a crash never leaves
    a truncated file under the final name. It gets the permissions a plain
    ``open()`` would (the umask respected), and part files that an earlier,
    killed save to the same path left behind are removed.
    """
    path = Path(path)
    _remove_stale_parts(path)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held until fd closes: tells a later save this part file is live
        os.fchmod(fd, mode)
        with open(tmp, "wb") as f:  # f.name is the temporary path, for callers that check it
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # while still locked, so no cleanup can take the part file first
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path) as f:
        f.write(data)
