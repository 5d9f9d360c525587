"""A throwaway PostgreSQL server for the store's tests: Debian's binaries (/usr/lib/postgresql/*/bin),
a cluster in a temporary directory, listening only on a unix socket there. initdb refuses root, so as
root the server runs as the ``postgres`` user (created by Debian's package) through runuser."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@pytest.fixture(scope="session")
def postgres_server():
    """A libpq URL prefix ``postgresql://postgres@/`` + database, ``?host=<socket dir>``."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL's server binaries are absent (Debian: apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[dev]')")
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="digitlab-pg-", dir="/tmp" if os.geteuid() == 0 else None))  # postgres reaches /tmp
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", "5432"

    def run(*command):
        subprocess.run([*as_user, *command], check=True, capture_output=True, text=True)

    try:
        run(initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        run(pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "start", "-o",
            f"-k {root} -c listen_addresses='' -p {port} -c fsync=off")
    except subprocess.CalledProcessError as e:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start a test PostgreSQL server: {e.stderr}") from None
    try:
        yield f"postgresql://postgres@/{{db}}?host={root}&port={port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the test server."""
    import psycopg

    name = "t" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_server.format(db="postgres"), autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return postgres_server.format(db=name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path):
    """Where a store goes: a SQLite file, then a PostgreSQL database (the same tests run on both)."""
    if request.param == "sqlite":
        return str(tmp_path / "feedback.sqlite3")
    return request.getfixturevalue("postgres_url")
