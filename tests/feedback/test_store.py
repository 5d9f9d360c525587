import sqlite3
import threading

import numpy as np
import pytest

from digitlab.feedback import FeedbackError, open_store, schema
from digitlab.feedback.export import export_idx
from digitlab.feedback.store import MAX_IMAGE_BYTES
from digitlab.idx import read_idx

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


def digit(value: int) -> np.ndarray:
    d = np.zeros((28, 28), np.float32)
    d[4:24, 10 + value % 8] = 1.0
    return d


def test_add_is_stored_once_per_request_id_and_read_back(store_location):
    with open_store(store_location) as store:
        assert store.version() == schema.LATEST
        first, new = store.add("a", 7, PNG, "image/png", digit(7), predicted_label=1, model_sha256="ab" * 32)
        again, new_again = store.add("a", 7, PNG, "image/png", digit(7), predicted_label=1)
        assert (new, new_again) == (True, False) and first == again
        store.add("b", 3, b"\xff\xd8\xff jpeg", "image/jpeg", digit(3))
        assert store.counts() == [0, 0, 0, 1, 0, 0, 0, 1, 0, 0]
        examples = store.examples(images=True)
        assert [e.true_label for e in examples] == [7, 3]
        e = examples[0]
        assert (e.predicted_label, e.model_sha256, e.image, e.image_type) == (1, "ab" * 32, PNG, "image/png")
        assert e.digit.dtype == np.uint8 and (e.digit == np.round(digit(7) * 255)).all()
        assert e.created_at[:2] == "20" and examples[1].predicted_label is None
        assert [e.request_id for e in store.examples(label=3)] == ["b"]


@pytest.mark.parametrize("bad, message", [
    ({"true_label": 12}, "expected a digit 0-9"),
    ({"true_label": True}, "expected a digit 0-9"),
    ({"image": b""}, "no image"),
    ({"image": b"x" * (MAX_IMAGE_BYTES + 1)}, "at most"),
    ({"image_type": "text/plain"}, "image type"),
    ({"digit": np.zeros((10, 10))}, "(28, 28)"),
    ({"request_id": ""}, "request id"),
])
def test_bad_examples_are_refused_and_nothing_is_stored(store_location, bad, message):
    example = {"request_id": "r", "true_label": 4, "image": PNG, "image_type": "image/png", "digit": digit(4)}
    with open_store(store_location) as store:
        with pytest.raises(FeedbackError, match=message.replace("(", r"\(").replace(")", r"\)")):
            store.add(**{**example, **bad})
        assert store.counts() == [0] * 10


def test_reopening_keeps_examples_and_delete_removes_them(store_location):
    with open_store(store_location) as store:
        ids = [store.add(f"r{i}", i % 10, PNG, "image/png", digit(i))[0] for i in range(12)]
    with open_store(store_location) as store:  # migrations are not applied twice
        assert sum(store.counts()) == 12 and store.version() == schema.LATEST
        assert store.delete(ids[:2]) == 2 and store.delete([ids[0]]) == 0
        assert sum(store.counts()) == 10
        assert store.delete() == 10 and store.counts() == [0] * 10


def test_concurrent_adds_from_threads_are_all_stored_once(store_location):
    with open_store(store_location) as store:
        def post(worker):
            for i in range(25):
                store.add(f"w{worker}-{i % 20}", i % 10, PNG, "image/png", digit(i))  # 5 repeats per worker
        threads = [threading.Thread(target=post, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ids = [e.request_id for e in store.examples()]
        assert len(ids) == len(set(ids)) == 8 * 20


def test_export_writes_idx_files_mnist_tools_read(store_location, tmp_path):
    with open_store(store_location) as store:
        with pytest.raises(FeedbackError, match="no examples"):
            export_idx(store, tmp_path / "out")
        for i in range(5):
            store.add(f"r{i}", (3 * i) % 10, PNG, "image/png", digit(i))
        images, labels, n = export_idx(store, tmp_path / "out")
    x, y = read_idx(images), read_idx(labels)
    assert n == 5 and x.shape == (5, 28, 28) and x.dtype == np.uint8 and list(y) == [0, 3, 6, 9, 2]
    assert (x[1] == np.round(digit(1) * 255)).all()


def test_a_store_from_a_newer_digitlab_is_refused(tmp_path):
    path = tmp_path / "f.sqlite3"
    open_store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = ?", (schema.LATEST + 1,))
    with pytest.raises(FeedbackError, match="newer than this digitlab"):
        open_store(path)


def test_sqlite_store_is_in_wal_mode(tmp_path):
    open_store(tmp_path / "f.sqlite3").close()
    with sqlite3.connect(tmp_path / "f.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_store_is_in_the_user_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_store() as store:
        assert store.where == str(tmp_path / "digitlab" / "feedback.sqlite3")


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path):
    (tmp_path / "junk").write_bytes(b"not a database" * 100)
    with pytest.raises(FeedbackError, match="junk"):
        open_store(tmp_path / "junk")


def test_an_unreachable_postgresql_server_is_a_clear_error(tmp_path):
    pytest.importorskip("psycopg")
    with pytest.raises(FeedbackError, match="cannot connect"):
        open_store(f"postgresql://nobody@/none?host={tmp_path}&port=1")
