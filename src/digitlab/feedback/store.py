"""Where labelled examples are kept: one small interface, on SQLite (one file) or PostgreSQL.

    store = open_store()                       # $XDG_DATA_HOME/digitlab/feedback.sqlite3 (or ~/.local/share/...)
    store = open_store("corrections.sqlite3")  # a file of your choice
    store = open_store("postgresql://user@host/db")  # a server several web servers share
    example_id, new = store.add("post-id", 7, png_bytes, "image/png", digit_28x28, predicted_label=1)

``add`` is idempotent per ``request_id``: posting the same example twice stores it once. Every
write is committed before ``add`` returns (SQLite in WAL mode with full fsync), so an example
acknowledged to a client survives the process being killed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from . import schema
from ..errors import DigitlabError

MAX_IMAGE_BYTES = 2 * 1024 * 1024  # the original upload kept with an example; larger ones are refused
IMAGE_TYPES = ("image/png", "image/jpeg")
_PG_LOCK = 0x6469676974  # pg_advisory_xact_lock key: one migrator at a time


class FeedbackError(DigitlabError):
    """A feedback example or store is not what was expected."""


@dataclass(frozen=True)
class Example:
    id: int
    request_id: str
    created_at: str        # ISO 8601, UTC
    true_label: int
    predicted_label: int | None
    model_sha256: str | None
    image_type: str
    image: bytes | None    # None unless asked for
    digit: np.ndarray      # (28, 28) uint8, what the model saw


def default_path() -> Path:
    """``$XDG_DATA_HOME/digitlab/feedback.sqlite3``, else ``~/.local/share/digitlab/feedback.sqlite3``."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "digitlab" / "feedback.sqlite3"


def is_url(where: str | os.PathLike) -> bool:
    return str(where).startswith(("postgresql://", "postgres://"))


def open_store(where: str | os.PathLike | None = None) -> "Store":
    """The store at ``where``: a ``postgresql://`` URL, or a SQLite file (default: ``default_path()``)."""
    if where is not None and is_url(where):
        return PostgresStore(str(where))
    return SQLiteStore(Path(where) if where is not None else default_path())


def check_example(true_label, image: bytes, image_type: str, digit: np.ndarray, predicted_label=None) -> None:
    """Raise FeedbackError unless the example is one the store takes."""
    if isinstance(true_label, bool) or not isinstance(true_label, (int, np.integer)) or not 0 <= true_label <= 9:
        raise FeedbackError(f"label {true_label!r}: expected a digit 0-9")
    if predicted_label is not None and not 0 <= int(predicted_label) <= 9:
        raise FeedbackError(f"predicted label {predicted_label!r}: expected a digit 0-9 or none")
    if not image:
        raise FeedbackError("no image: expected the PNG or JPEG the label belongs to")
    if len(image) > MAX_IMAGE_BYTES:
        raise FeedbackError(f"image of {len(image):,} bytes; the store keeps at most {MAX_IMAGE_BYTES:,}")
    if image_type not in IMAGE_TYPES:
        raise FeedbackError(f"image type {image_type!r}; expected one of {', '.join(IMAGE_TYPES)}")
    if np.shape(digit) != (28, 28):
        raise FeedbackError(f"digit of shape {np.shape(digit)}; expected the (28, 28) image the model saw")


def digit_bytes(digit: np.ndarray) -> bytes:
    """(28, 28) floats in [0, 1] or uint8 -> 784 bytes."""
    digit = np.asarray(digit)
    if digit.dtype != np.uint8:
        digit = np.round(np.clip(digit, 0, 1) * 255).astype(np.uint8)
    return digit.tobytes()


class Store:
    """The store's operations, in SQL both databases run; subclasses connect and lock."""

    dialect: str
    where: str

    # ---- what subclasses provide ---------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator:
        """A cursor inside one transaction, committed when the block ends without an exception."""
        raise NotImplementedError

    def _now(self):
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _q(self, sql: str) -> str:
        return sql

    # ---- schema ------------------------------------------------------------------------------

    def _migrate(self, cur) -> int:
        cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        cur.execute("SELECT version FROM schema_version")
        row = cur.fetchone()
        version = row[0] if row else 0
        if row is None:
            cur.execute(self._q("INSERT INTO schema_version (version) VALUES (?)"), (0,))
        if version > schema.LATEST:
            raise FeedbackError(f"{self.where}: feedback store has schema version {version}, newer than this "
                                f"digitlab knows ({schema.LATEST}); upgrade digitlab to use it")
        for v in range(version + 1, schema.LATEST + 1):
            for statement in schema.statements(v, self.dialect):
                cur.execute(statement)
            cur.execute(self._q("UPDATE schema_version SET version = ?"), (v,))
        return schema.LATEST

    def version(self) -> int:
        with self.transaction() as cur:
            cur.execute("SELECT version FROM schema_version")
            return cur.fetchone()[0]

    # ---- examples ----------------------------------------------------------------------------

    def add(self, request_id: str, true_label: int, image: bytes, image_type: str, digit: np.ndarray,
            predicted_label: int | None = None, model_sha256: str | None = None) -> tuple[int, bool]:
        """Store one example; returns (its id, whether it is new). A request_id seen before is not stored again."""
        check_example(true_label, image, image_type, digit, predicted_label)
        if not isinstance(request_id, str) or not 1 <= len(request_id) <= 100:
            raise FeedbackError(f"request id {request_id!r}: expected 1 to 100 characters")
        row = (request_id, self._now(), int(true_label), None if predicted_label is None else int(predicted_label),
               model_sha256, bytes(image), image_type, digit_bytes(digit))
        with self.transaction() as cur:
            cur.execute(self._q(
                "INSERT INTO examples (request_id, created_at, true_label, predicted_label, model_sha256, image, "
                "image_type, digit) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING"), row)
            new = cur.rowcount == 1
            cur.execute(self._q("SELECT id FROM examples WHERE request_id = ?"), (request_id,))
            return cur.fetchone()[0], new

    def counts(self) -> list[int]:
        """How many examples each digit 0-9 has."""
        with self.transaction() as cur:
            cur.execute("SELECT true_label, COUNT(*) FROM examples GROUP BY true_label")
            found = dict(cur.fetchall())
        return [int(found.get(d, 0)) for d in range(10)]

    def examples(self, images: bool = False, label: int | None = None) -> list[Example]:
        """Every example (or those of one ``label``), oldest first; the original images only if ``images``."""
        columns = "id, request_id, created_at, true_label, predicted_label, model_sha256, image_type, digit"
        where, params = ("WHERE true_label = ?", (label,)) if label is not None else ("", ())
        with self.transaction() as cur:
            cur.execute(self._q(f"SELECT {columns}{', image' if images else ''} FROM examples {where} ORDER BY id"),
                        params)
            rows = cur.fetchall()
        return [Example(id=r[0], request_id=r[1], created_at=_iso(r[2]), true_label=r[3], predicted_label=r[4],
                        model_sha256=r[5], image_type=r[6], image=bytes(r[8]) if images else None,
                        digit=np.frombuffer(bytes(r[7]), np.uint8).reshape(28, 28)) for r in rows]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Digits (N, 28, 28) uint8 and their true labels (N,) uint8, oldest first."""
        found = self.examples()
        x = np.array([e.digit for e in found], np.uint8).reshape(-1, 28, 28)
        return x, np.array([e.true_label for e in found], np.uint8)

    def delete(self, ids: list[int] | None = None) -> int:
        """Delete the examples with these ids (every example if ``ids`` is None); returns how many went."""
        with self.transaction() as cur:
            if ids is None:
                cur.execute("DELETE FROM examples")
                return cur.rowcount
            gone = 0
            for i in ids:
                cur.execute(self._q("DELETE FROM examples WHERE id = ?"), (int(i),))
                gone += cur.rowcount
            return gone

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


class SQLiteStore(Store):
    """One file, in WAL mode: readers never wait for the writer, and each commit is fsynced."""

    dialect = "sqlite"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.DatabaseError as e:
            raise FeedbackError(f"{self.path}: cannot open as a feedback store ({e}); expected a SQLite file") from None
        self._lock = threading.Lock()
        with self.transaction() as cur:
            self._migrate(cur)

    @contextlib.contextmanager
    def transaction(self):
        with self._lock:
            cur = self._db.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as e:
                raise FeedbackError(f"{self.path}: {e}") from None
            try:
                yield cur
            except BaseException:
                self._db.rollback()
                raise
            else:
                self._db.commit()
            finally:
                cur.close()

    def _now(self) -> str:
        return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")

    def close(self) -> None:
        self._db.close()


class PostgresStore(Store):
    """A PostgreSQL database (psycopg 3); one connection per store, re-opened if the server dropped it."""

    dialect = "postgresql"

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError:
            raise FeedbackError("a postgresql:// store needs psycopg: pip install 'digitlab[postgres]'") from None
        self._psycopg = psycopg
        self.url = url
        self.where = url.split("@")[-1] if "@" in url else url  # never echo a password
        self._lock = threading.Lock()
        self._db = None
        with self.transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK,))
            self._migrate(cur)

    def _connection(self):
        if self._db is None or self._db.closed:
            try:
                self._db = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except self._psycopg.Error as e:
                raise FeedbackError(f"postgresql {self.where}: cannot connect ({str(e).strip()})") from None
        return self._db

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s")

    @contextlib.contextmanager
    def transaction(self):
        with self._lock:
            db = self._connection()
            try:
                with db.transaction(), db.cursor() as cur:
                    yield cur
            except self._psycopg.OperationalError as e:
                db.close()  # the next call connects again
                raise FeedbackError(f"postgresql {self.where}: {str(e).strip()}") from None

    def _now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
