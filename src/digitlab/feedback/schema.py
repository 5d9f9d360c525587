"""The feedback store's schema, as numbered migrations that both SQLite and PostgreSQL run.

A store records its version in ``schema_version``; opening it applies, in order and each in one
transaction, every migration above that version. A store written by a newer digitlab (a version
above the last one here) is refused rather than guessed at.

Each migration is a list of statements; ``{blob}``, ``{id}`` and ``{time}`` stand for the column
types that differ between the two databases.
"""

from __future__ import annotations

TYPES = {
    "sqlite": {"blob": "BLOB", "id": "INTEGER PRIMARY KEY AUTOINCREMENT", "time": "TEXT"},
    "postgresql": {"blob": "BYTEA", "id": "BIGSERIAL PRIMARY KEY", "time": "TIMESTAMPTZ"},
}

MIGRATIONS: list[list[str]] = [
    # 1: one row per example a user labelled
    [
        """CREATE TABLE examples (
            id {id},
            request_id TEXT NOT NULL UNIQUE,      -- the client's id for the post: a retry is not stored twice
            created_at {time} NOT NULL,           -- UTC
            true_label SMALLINT NOT NULL CHECK (true_label BETWEEN 0 AND 9),
            predicted_label SMALLINT CHECK (predicted_label BETWEEN 0 AND 9),
            model_sha256 TEXT,                    -- of the model file that made the prediction
            image {blob} NOT NULL,                -- the original upload, as sent (size-capped)
            image_type TEXT NOT NULL,             -- image/png or image/jpeg
            digit {blob} NOT NULL                 -- the 28x28 the model saw: 784 uint8 pixels, row by row
        )""",
        "CREATE INDEX examples_true_label ON examples (true_label)",
    ],
]

LATEST = len(MIGRATIONS)


def statements(version: int, dialect: str) -> list[str]:
    """The SQL of migration ``version`` (1-based) for ``dialect`` ("sqlite" or "postgresql")."""
    return [s.format(**TYPES[dialect]) for s in MIGRATIONS[version - 1]]
