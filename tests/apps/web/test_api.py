import base64
import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from digitlab.vision import predict
from digitlab.apps.web import app as web


def drawing(strokes, size=280, fmt="PNG", background="white", ink="black") -> bytes:
    """A canvas-like image with black strokes (lists of points) on white."""
    img = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(img)
    for points in strokes:
        draw.line(points, fill=ink, width=18, joint="curve")
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


ONE = [[(140, 40), (140, 240)]]
SEVEN = [[(60, 50), (220, 50), (120, 240)]]


def data_url(data: bytes, mime="image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def client():
    with TestClient(web.create_app()) as c:
        yield c


def check_prediction(body: dict, label: int) -> None:
    assert body["label"] == label
    assert len(body["probabilities"]) == 10 and abs(sum(body["probabilities"]) - 1) < 1e-4
    assert body["confidence"] == pytest.approx(max(body["probabilities"])) and body["unsure"] == (body["confidence"] < 0.9)
    png = base64.b64decode(body["preprocessed"].removeprefix("data:image/png;base64,"))
    assert Image.open(io.BytesIO(png)).size == (28, 28)


def test_page_assets_health_and_docs(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<canvas id="canvas" width="280" height="280"' in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")  # every asset from the app itself: no CDN
    assert client.get("/healthz").json()["status"] == "ok"
    assert "/api/predict" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def test_docs_and_favicon_need_no_network(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "http" not in docs.text.replace("http-equiv", "")  # no CDN: Swagger UI is served by the app
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        answer = client.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 10_000
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert Image.open(io.BytesIO(icon.content)).format == "ICO"


def test_every_status_has_the_same_error_shape(client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and missing.json() == {"error": "no such page: /no/such/page"}
    wrong_method = client.get("/api/predict")
    assert wrong_method.status_code == 405 and wrong_method.json() == {"error": "method GET not allowed on /api/predict"}
    assert "POST" in wrong_method.headers["allow"]
    assert client.delete("/healthz").json() == {"error": "method DELETE not allowed on /healthz"}


def test_predicts_multipart_json_and_raw_uploads(client):
    png, jpeg = drawing(ONE), drawing(SEVEN, fmt="JPEG")
    check_prediction(client.post("/api/predict", files={"file": ("one.png", png, "image/png")}).json(), 1)
    check_prediction(client.post("/api/predict", files={"file": ("seven.jpg", jpeg, "image/jpeg")}).json(), 7)
    check_prediction(client.post("/api/predict", json={"image": data_url(png)}).json(), 1)
    check_prediction(client.post("/api/predict", content=jpeg, headers={"content-type": "image/jpeg"}).json(), 7)
    # light strokes on a dark canvas read the same
    check_prediction(client.post("/api/predict", json={"image": data_url(drawing(ONE, background="black",
                                                                                 ink="white"))}).json(), 1)


@pytest.mark.parametrize("kwargs, status, message", [
    ({"content": b"x" * (web.MAX_UPLOAD_BYTES + 1), "headers": {"content-type": "image/png"}}, 413, "expected at most"),
    ({"content": b"hello", "headers": {"content-type": "text/plain"}}, 415, "content type text/plain"),
    ({"files": {"file": ("a.txt", b"hello", "text/plain")}}, 415, "uploaded file is text/plain"),
    ({"json": {"image": "data:image/gif;base64,R0lGOD"}}, 415, "data URL of type image/gif"),
    ({"json": {"image": "data:image/png;base64,!!!"}}, 422, "not valid base64"),
    ({"json": {"picture": "x"}}, 422, 'expected a JSON object {"image"'),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "expected a JSON object"),
    ({"json": {"image": 42}}, 422, "must be a data URL"),
    ({"files": {"other": ("a.png", b"x", "image/png")}}, 422, "no 'file' part"),
    ({"content": b"\x89PNG\r\n\x1a\nbroken", "headers": {"content-type": "image/png"}}, 422, "not an image"),
    ({"content": b"", "headers": {"content-type": "image/png"}}, 422, "not an image"),
])
def test_every_refusal_is_json_with_its_status(client, kwargs, status, message):
    response = client.post("/api/predict", **kwargs)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]


def test_truncated_blank_and_too_many_pixels(client):
    png = drawing(ONE)
    cut = client.post("/api/predict", content=png[: len(png) // 2], headers={"content-type": "image/png"})
    assert cut.status_code == 422 and "cannot decode" in cut.json()["error"]
    blank = client.post("/api/predict", json={"image": data_url(drawing([]))})
    assert blank.status_code == 422 and "no ink found" in blank.json()["error"]
    buf = io.BytesIO()
    Image.new("1", (6000, 5000)).save(buf, format="PNG")  # 30 megapixels in a few kilobytes
    huge = client.post("/api/predict", content=buf.getvalue(), headers={"content-type": "image/png"})
    assert huge.status_code == 413 and "pixels" in huge.json()["error"]


def test_busy_server_answers_503_instead_of_queueing_forever(monkeypatch):
    monkeypatch.setattr(web, "MAX_CONCURRENT", 1)
    monkeypatch.setattr(web, "QUEUE_TIMEOUT", 0.05)
    app = web.create_app()
    with TestClient(app) as client:
        client.portal.call(app.state.slots.acquire)  # someone else is reading an image
        response = client.post("/api/predict", content=drawing(ONE), headers={"content-type": "image/png"})
        assert response.status_code == 503 and "busy" in response.json()["error"]
        app.state.slots.release()
        assert client.post("/api/predict", content=drawing(ONE), headers={"content-type": "image/png"}).status_code == 200


def test_the_model_is_loaded_once(monkeypatch):
    loads = []
    real = predict.load
    monkeypatch.setattr(predict, "load", lambda path=None: loads.append(path) or real(path))
    with TestClient(web.create_app()) as client:
        for _ in range(3):
            assert client.post("/api/predict", content=drawing(ONE), headers={"content-type": "image/png"}).status_code == 200
    assert len(loads) == 1


def test_a_bad_model_is_refused_at_start(tmp_path):
    from digitlab.nn.saving import ModelFileError

    with pytest.raises(ModelFileError, match="no such model file"):
        web.create_app(tmp_path / "missing.safetensors")


@pytest.mark.parametrize("top, unsure", [(0.5, True), (0.89, True), (0.95, False)])
def test_an_answer_below_the_threshold_is_marked_unsure(client, monkeypatch, top, unsure):
    """The contract, whatever the model: the answer's probability is its confidence, and below
    UNSURE_BELOW (0.9, chosen on the tuning photo sources) it is marked unsure."""
    from digitlab.vision import predict

    p = np.full(10, (1 - top) / 9)
    p[4] = top
    monkeypatch.setattr(predict, "predict_digits", lambda model, digits: p[None])
    img = Image.new("L", (200, 200), 255)
    from PIL import ImageDraw

    ImageDraw.Draw(img).line([(100, 30), (100, 170)], fill=0, width=12)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    body = client.post("/api/predict", content=buf.getvalue(), headers={"content-type": "image/png"}).json()
    assert body["label"] == 4 and body["unsure"] is unsure and body["confidence"] == pytest.approx(top)
