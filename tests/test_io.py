"""``_io``: atomic writes (permissions, stale part files) and reading only regular files."""

import os
import subprocess
import sys
import textwrap

import pytest

from digitlab._io import atomic_open, atomic_write_bytes, read_regular


class Refused(Exception):
    pass


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_files_get_the_permissions_a_plain_open_would(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "a.bin", b"x")
        with open(tmp_path / "plain.bin", "wb") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == (tmp_path / "plain.bin").stat().st_mode & 0o777 \
        == 0o666 & ~umask


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    path.chmod(0o640)
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o640


def test_part_files_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    """Issue 11, 9: 60 killed saves left 337 MB of .NAME.*.part files."""
    path = tmp_path / "m.bin"
    script = textwrap.dedent(f"""
        import os, signal
        from digitlab._io import atomic_open
        with atomic_open({str(path)!r}) as f:
            f.write(b"x" * 1000)
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    for _ in range(3):
        assert subprocess.run([sys.executable, "-c", script]).returncode == -9
    parts = sorted(p.name for p in tmp_path.iterdir())  # each save removed the part file of the one before
    assert len(parts) == 1 and parts[0].startswith(".m.bin.") and parts[0].endswith(".part")
    (tmp_path / ".other.bin.abc.part").write_bytes(b"not ours")
    atomic_write_bytes(path, b"done")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.bin.abc.part", "m.bin"]


def test_a_save_in_progress_keeps_its_part_file(tmp_path):
    path = tmp_path / "m.bin"
    with atomic_open(path) as f:
        f.write(b"first")
        atomic_write_bytes(path, b"second")  # another save to the same path meanwhile (as another process would)
        assert os.path.exists(f.name)
    assert path.read_bytes() == b"first"


def test_read_regular_refuses_specials_and_oversize(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    for special in (fifo, link, "/dev/urandom"):
        with pytest.raises(Refused, match="not a regular file"):
            read_regular(special, 100, Refused)
    with pytest.raises(Refused, match="is a directory"):
        read_regular(tmp_path, 100, Refused)
    (tmp_path / "a").write_bytes(b"x" * 101)
    with pytest.raises(Refused, match="101 bytes is more than the 100 allowed"):
        read_regular(tmp_path / "a", 100, Refused)
    assert read_regular(tmp_path / "a", 101, Refused) == b"x" * 101
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing", 100, Refused)
