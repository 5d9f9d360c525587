"""Issue 11, 3, 4 and 8: hostile requests get their 4xx, never a 500, and cannot hold the server."""

import asyncio
import io
import threading

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from digitlab.apps.web import app as web
from digitlab.vision import preprocess

from .test_api import ONE, check_prediction, data_url, drawing


@pytest.fixture(scope="module")
def client():
    with TestClient(web.create_app()) as c:
        yield c


@pytest.mark.parametrize("body", [b"[" * 1000, b"{\"image\":" * 600, b"[" * 100_000 + b"]" * 100_000])
def test_deep_json_is_422_not_a_recursion_error(client, body):
    """Issue 11, 3: 1,000 bytes of '[' answered 500 (RecursionError in the JSON parser)."""
    response = client.post("/api/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert "JSON" in response.json()["error"]


def _image(fmt: str, mode="L", size=(40, 40), **save) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 255).save(buf, format=fmt, **save)
    return buf.getvalue()


@pytest.mark.parametrize("fmt, mode", [("GIF", "L"), ("BMP", "L"), ("TIFF", "L"), ("WEBP", "RGB"), ("PPM", "L"),
                                       ("ICO", "RGBA"), ("TGA", "L"), ("PCX", "L"), ("SGI", "L"), ("DDS", "RGBA"),
                                       ("QOI", "RGB")])
def test_other_formats_sent_as_png_get_415(client, fmt, mode):
    """Issue 11, 8: eleven other formats sent as image/png got 200; README says only PNG and JPEG."""
    data = _image(fmt, mode)
    for how in ({"content": data, "headers": {"content-type": "image/png"}},
                {"files": {"file": ("x.png", data, "image/png")}},
                {"json": {"image": data_url(data)}}):
        response = client.post("/api/predict", **how)
        assert response.status_code == 415, (fmt, response.text)
        assert "not PNG or JPEG" in response.json()["error"]


def test_bytes_must_match_the_declared_type(client):
    jpeg, png = drawing(ONE, fmt="JPEG"), drawing(ONE)
    response = client.post("/api/predict", content=jpeg, headers={"content-type": "image/png"})
    assert response.status_code == 415 and "declared image/png but holds image/jpeg" in response.json()["error"]
    response = client.post("/api/predict", json={"image": data_url(png, "image/jpeg")})
    assert response.status_code == 415
    check_prediction(client.post("/api/predict", files={"file": ("a", png, "application/octet-stream")}).json(), 1)


def test_a_body_that_never_finishes_gets_408_and_frees_its_slot(monkeypatch):
    """Issue 11, 4: connections sending headers and one byte held every slot forever."""
    monkeypatch.setattr(web, "BODY_TIMEOUT", 0.3)
    monkeypatch.setattr(web, "MAX_CONCURRENT", 1)
    app = web.create_app()
    sent = []

    async def call():
        messages = iter([{"type": "http.request", "body": b"\x89", "more_body": True}])

        async def receive():
            try:
                return next(messages)
            except StopIteration:
                await asyncio.sleep(3600)  # the client stalls

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/api/predict", "raw_path": b"/api/predict", "query_string": b"",
                 "root_path": "", "headers": [(b"content-type", b"image/png"), (b"content-length", b"1000")],
                 "client": ("127.0.0.1", 1), "server": ("test", 80)}
        await asyncio.wait_for(app(scope, receive, send), 10)

    asyncio.run(call())
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408
    assert app.state.slots._value == 1  # the slot is free again


def test_decoding_runs_off_the_event_loop(monkeypatch, client):
    """Issue 11, 4: a 25-megapixel PNG decoded on the event loop kept /healthz waiting."""
    threads = []
    real = preprocess.to_mnist
    monkeypatch.setattr(preprocess, "to_mnist", lambda *a, **k: threads.append(threading.current_thread()) or real(*a, **k))
    check_prediction(client.post("/api/predict", content=drawing(ONE), headers={"content-type": "image/png"}).json(), 1)
    assert threads and threads[0].name.startswith("digitlab-decode")


def test_a_large_transparent_image_is_shrunk_before_float_planes(client):
    """Issue 11, 4: 5000x5000 RGBA took 657 MB: now it is shrunk in Pillow before becoming floats."""
    import tracemalloc

    img = Image.new("RGBA", (5000, 5000), (0, 0, 0, 0))
    img.paste((0, 0, 0, 255), (2400, 1000, 2600, 4000))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    tracemalloc.start()
    digit = preprocess.to_mnist(buf.getvalue())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert digit.shape == (28, 28) and digit.max() > 0.5
    assert peak < 50e6  # NumPy's allocations: the full-size float planes alone were 4 x 100 MB
