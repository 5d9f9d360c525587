"""Examples users labelled (corrections and confirmations): stored, exported, and trained on.

    store.py     the store: SQLite by default, PostgreSQL for a shared one; one small interface
    schema.py    the schema's versions, as migrations
    export.py    the examples as IDX files, MNIST's own format
    finetune.py  a personal model: fine-tuned on the examples, with MNIST replayed beside them
"""

from .store import (MAX_IMAGE_BYTES, Example, FeedbackError, PostgresStore, SQLiteStore, Store, default_path,
                    open_store)

__all__ = ["MAX_IMAGE_BYTES", "Example", "FeedbackError", "PostgresStore", "SQLiteStore", "Store", "default_path",
           "open_store"]
