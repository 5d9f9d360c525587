"""POST /api/feedback and /api/feedback/stats through FastAPI's TestClient, each app on its own store;
then the personal model the app fine-tunes in the background (serve --learn)."""

import pytest
from fastapi.testclient import TestClient

from digitlab.apps.web import app as web
from digitlab.feedback import open_store

from .test_api import ONE, SEVEN, data_url, drawing


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "feedback.sqlite3")


@pytest.fixture
def client(db):
    with TestClient(web.create_app(db=db)) as c:
        yield c


def test_a_correction_is_stored_with_what_the_model_saw(client, db):
    png = drawing(SEVEN)
    r = client.post("/api/feedback", json={"image": data_url(png), "label": 1, "id": "abc"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stored"] and body["label"] == 1 and body["predicted"] == 7 and len(body["model_sha256"]) == 64
    assert body["counts"] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    again = client.post("/api/feedback", json={"image": data_url(png), "label": 1, "id": "abc"}).json()
    assert not again["stored"] and again["id"] == body["id"]  # a retried post is stored once
    client.post("/api/feedback", json={"image": data_url(drawing(ONE, fmt="JPEG"), "image/jpeg"), "label": 1})
    stats = client.get("/api/feedback/stats").json()
    assert stats["counts"][1] == 2 and stats["total"] == 2 and stats["personal_model"]["status"] == "off"
    with open_store(db) as store:
        first = store.examples(images=True)[0]
    assert (first.image, first.image_type, first.true_label, first.predicted_label) == (png, "image/png", 1, 7)
    assert first.model_sha256 == body["model_sha256"] and first.digit.shape == (28, 28) and first.digit.max() > 200


def _stored(db) -> int:
    with open_store(db) as store:
        return sum(store.counts())


@pytest.mark.parametrize("send, status, message", [
    (lambda png: {"json": {"image": data_url(png), "label": 12}}, 422, "label 12"),
    (lambda png: {"json": {"image": data_url(png), "label": "7"}}, 422, "label '7'"),
    (lambda png: {"json": {"label": 3}}, 422, '"image"'),
    (lambda png: {"json": {"image": data_url(png)}}, 422, '"label"'),
    (lambda png: {"json": {"image": "", "label": 3}}, 422, "data URL"),
    (lambda png: {"json": {"image": data_url(b"just text, no image"), "label": 3}}, 415, "not PNG or JPEG"),
    (lambda png: {"json": {"image": data_url(png, "text/plain"), "label": 3}}, 415, "text/plain"),
    (lambda png: {"json": {"image": data_url(png), "label": 3, "id": "x" * 101}}, 422, "id"),
    (lambda png: {"json": {"image": data_url(drawing([])), "label": 3}}, 422, "no ink"),
    (lambda png: {"content": b'{"image": "data:image/png;base64,', "headers": {"content-type": "application/json"}},
     422, "malformed JSON"),
    (lambda png: {"content": png, "headers": {"content-type": "image/png"}}, 415, "application/json"),
    (lambda png: {"content": b"{" + b" " * (50 * 1024 * 1024) + b"}", "headers": {"content-type": "application/json"}},
     413, "expected at most"),
])
def test_bad_feedback_is_refused_clearly_and_nothing_is_stored(client, db, send, status, message):
    r = client.post("/api/feedback", **send(drawing(ONE)))
    assert r.status_code == status, r.text
    assert set(r.json()) == {"error"} and message in r.json()["error"]
    assert _stored(db) == 0


def test_a_large_image_is_refused_before_it_is_stored(client, db):
    big = b"\x89PNG\r\n\x1a\n" + bytes(3 * 1024 * 1024)  # over what the store keeps, under the upload limit
    r = client.post("/api/feedback", json={"image": data_url(big), "label": 3})
    assert r.status_code == 413 and "feedback keeps images up to" in r.json()["error"]
    assert _stored(db) == 0


def test_the_documented_api_includes_feedback(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/feedback" in paths and "/api/feedback/stats" in paths


# ---- serve --learn ------------------------------------------------------------------------------------------

QUICK = ("--epochs", "1", "--replay", "300", "--repeats", "5")  # a small fine-tune: this tests the plumbing


def teach(client, n, start=0):
    for i in range(start, start + n):
        r = client.post("/api/feedback", json={"image": data_url(drawing(SEVEN)), "label": 1, "id": f"e{i}"})
        assert r.status_code == 200, r.text


def test_learn_fine_tunes_in_the_background_and_swaps_the_model_in(db, tmp_path):
    app = web.create_app(db=db, learn_every=3, finetune_args=QUICK)
    with TestClient(app) as client:
        before = app.state.served
        teach(client, 2)
        assert client.get("/api/feedback/stats").json()["personal_model"] == {
            "status": "collecting", "message": "", "every": 3, "trainings": 0, "next_in": 1, "file": None}
        teach(client, 1, start=2)
        assert client.get("/api/feedback/stats").json()["personal_model"]["status"] == "training"
        # requests do not wait for training
        assert client.post("/api/predict", json={"image": data_url(drawing(ONE))}).json()["label"] == 1
        app.state.learner.wait(timeout=600)
        info = client.get("/api/feedback/stats").json()["personal_model"]
        assert info["status"] == "ready", info
        assert info["file"] == str(tmp_path / "feedback.personal.safetensors")
        assert app.state.served[1] != before[1] and app.state.model is app.state.served[0]
        assert client.get("/healthz").json()["model"] == "personal"
        r = client.post("/api/feedback", json={"image": data_url(drawing(ONE)), "label": 1}).json()
        assert r["model_sha256"] == app.state.served[1]
    # a new server on the same store serves the personal model at once
    again = web.create_app(db=db, learn_every=3, finetune_args=QUICK)
    assert again.state.served[1] == app.state.served[1]


def test_a_fine_tune_that_diverges_leaves_the_serving_model_untouched(db):
    app = web.create_app(db=db, learn_every=2, finetune_args=(*QUICK, "--lr", "50"))
    with TestClient(app) as client:
        before = app.state.served
        teach(client, 2)
        app.state.learner.wait(timeout=600)
        info = client.get("/api/feedback/stats").json()["personal_model"]
        assert info["status"] == "failed" and info["file"] is None, info
        assert "MNIST" in info["message"] or "finite" in info["message"] or "loss" in info["message"], info
        assert app.state.served is before and app.state.model is before[0]
        assert client.post("/api/predict", json={"image": data_url(drawing(SEVEN))}).json()["label"] == 7
