"""The web app: a page to draw a digit on, and a JSON API that reads it (FastAPI).

    GET  /              the drawing page (static files shipped in the package, no CDN)
    POST /api/predict   a PNG or JPEG, as a multipart upload ("file"), a JSON body
                        {"image": "data:image/png;base64,..."} or a raw image/png or image/jpeg body
                        -> {"label", "probabilities", "preprocessed": PNG data URL of the 28x28 input}
    GET  /healthz       {"status": "ok", "model": ...}
    GET  /docs          the OpenAPI documentation FastAPI generates, in Swagger UI served from the
                        swagger-ui-py package (works offline); /openapi.json the spec
    GET  /favicon.ico   the page's icon

Every refusal is a JSON ``{"error": "..."}`` with its status: 404 and 405 (no such page
or method), 408 (body too slow), 413 (too many bytes or pixels), 415 (not PNG or JPEG bytes,
or bytes that are not what the Content-Type says), 422 (undecodable, blank, malformed), 503 (busy).
Hostile input is bounded before it costs anything: the body must arrive within
BODY_TIMEOUT, JSON nesting is checked before parsing, pixels are counted from the
header before decoding, and decoding runs in a small worker pool, off the event
loop, so one large image cannot stall ``/healthz``. The model is loaded once,
when the app is created. Preprocessing is the same ``to_mnist`` as ``digitlab predict``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ... import __version__
from ...utils import json_depth
from ...vision import predict, preprocess
from .. import i18n
from . import feedback

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024   # 413 above this
MAX_PIXELS = 25_000_000              # 413 above this (a 25-megapixel photo is allowed)
MAX_CONCURRENT = 32                  # requests in progress per server process; more wait ...
QUEUE_TIMEOUT = 2.0                  # ... this many seconds, then 503 (so memory stays bounded)
BODY_TIMEOUT = 20.0                  # seconds for the whole body to arrive, then 408 (a slow sender frees its slot)
DECODE_WORKERS = 2                   # images decoded at once per process (memory stays bounded)
MAX_JSON_DEPTH = 4                   # {"image": "..."} needs 1
IMAGE_TYPES = {"image/png", "image/jpeg", "image/jpg"}
MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def swagger_ui_dir() -> Path:
    """Swagger UI's JS and CSS, as the swagger-ui-py package ships them (so /docs needs no CDN)."""
    from importlib.resources import files

    return Path(str(files("swagger_ui") / "static"))


class Prediction(BaseModel):
    label: int = Field(ge=0, le=9, description="the digit read")
    confidence: float = Field(ge=0, le=1, description="the probability of the label")
    unsure: bool = Field(description=f"true when the confidence is below {predict.UNSURE_BELOW}: the answer may be wrong")
    probabilities: list[float] = Field(min_length=10, max_length=10, description="one per digit 0-9")
    preprocessed: str = Field(description="the 28x28 image the model saw, as a PNG data URL")


class Error(BaseModel):
    error: str


class Refused(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


def _error_responses() -> dict:
    why = {408: "the body did not arrive in time", 413: "upload or image too large",
           415: "not PNG or JPEG bytes, or not the declared type", 422: "undecodable, blank or malformed input",
           503: "too many requests being read at once; retry"}
    return {code: {"model": Error, "description": text} for code, text in why.items()}


_REQUEST_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
    "application/json": {"schema": {"type": "object", "required": ["image"],
                                    "properties": {"image": {"type": "string",
                                                             "description": "data:image/png;base64,... (or jpeg)"}}}},
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
}}}


def create_app(model_path: str | os.PathLike | None = None, db: str | os.PathLike | None = None,
               learn_every: int | None = None, finetune_args: tuple[str, ...] = ()) -> FastAPI:
    """The app, serving ``model_path`` (default: $DIGITLAB_MODEL, else the shipped model); feedback goes to
    ``db`` (default: $DIGITLAB_FEEDBACK_DB, else the user's SQLite store), see feedback.py."""
    model_path = model_path or os.environ.get("DIGITLAB_MODEL") or None
    app = FastAPI(title="digitlab", version=__version__, docs_url=None, redoc_url=None,
                  description="Draw or upload a handwritten digit; digitlab reads it the way MNIST was made.")
    app.state.model = predict.load(model_path)  # once, here: every request shares it
    app.state.model_name = Path(model_path).name if model_path else "default"
    app.state.slots = asyncio.Semaphore(MAX_CONCURRENT)
    app.state.pool = ThreadPoolExecutor(DECODE_WORKERS, thread_name_prefix="digitlab-decode")
    app.state.model_lock = threading.Lock()  # layers keep per-call caches: one forward pass at a time
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_dir()), name="swagger-ui")
    feedback.install(app, model_path, db, learn_every, finetune_args)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # 404, 405...: the same shape
        message = {404: f"no such page: {request.url.path}",
                   405: f"method {request.method} not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse({"error": f"invalid request ({where})"}, status_code=422)

    @app.get("/", include_in_schema=False)
    async def page(request: Request):
        language = i18n.from_accept_language(request.headers.get("accept-language"))
        html = i18n.translate_html((STATIC / "index.html").read_text(encoding="utf-8"), language)
        return HTMLResponse(html, headers={"Vary": "Accept-Language", "Content-Language": language})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="digitlab API",
                                   swagger_js_url="/docs/assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs/assets/swagger-ui.css", swagger_favicon_url="/favicon.ico")

    @app.get("/healthz")
    async def healthz(request: Request) -> dict:
        return {"status": "ok", "model": request.app.state.model_name, "version": __version__}

    @app.post("/api/predict", response_model=Prediction, responses=_error_responses(), openapi_extra=_REQUEST_BODY)
    async def api_predict(request: Request) -> Prediction:
        """Read the digit in one image: multipart ``file``, JSON ``image`` data URL, or a raw PNG/JPEG body."""
        slots: asyncio.Semaphore = request.app.state.slots
        try:
            await asyncio.wait_for(slots.acquire(), QUEUE_TIMEOUT)
        except asyncio.TimeoutError:
            raise Refused(503, f"busy: {MAX_CONCURRENT} requests in progress; retry shortly") from None
        try:
            data = await _image_bytes(request)
            # Decoding runs in the pool, not on the event loop: a small drawing takes ~3 ms, but a
            # 25-megapixel upload takes seconds, and on the loop it would stall every other request.
            state = request.app.state
            return await asyncio.get_running_loop().run_in_executor(state.pool, _predict, state, data)
        finally:
            slots.release()

    return app


async def _read_body(request: Request) -> bytes:
    """The body, refused (413) as soon as it passes MAX_UPLOAD_BYTES, or (408) if it takes over BODY_TIMEOUT."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise Refused(413, f"upload of {int(declared):,} bytes; expected at most {MAX_UPLOAD_BYTES:,}")
    try:
        body = await asyncio.wait_for(_collect_body(request), BODY_TIMEOUT)
    except asyncio.TimeoutError:
        raise Refused(408, f"the request body did not arrive within {BODY_TIMEOUT:g} seconds") from None
    request._body = body  # so request.form() can parse what was already read
    return body


async def _collect_body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise Refused(413, f"upload over {MAX_UPLOAD_BYTES:,} bytes; expected at most {MAX_UPLOAD_BYTES:,}")
        chunks.append(chunk)
    return b"".join(chunks)


async def _image_bytes(request: Request) -> bytes:
    """The uploaded image's bytes, whichever way it came; 415 or 422 when it cannot be one."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await _read_body(request)
    if kind == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_UPLOAD_BYTES)
        except Exception as e:  # python-multipart's errors for a malformed body
            raise Refused(422, f"malformed multipart body ({type(e).__name__}); expected a form with a 'file' part") from None
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Refused(422, "the form has no 'file' part with an image")
        part_type = (upload.content_type or "").split(";")[0].strip().lower()
        if part_type not in IMAGE_TYPES and part_type not in ("", "application/octet-stream"):
            raise Refused(415, f"uploaded file is {part_type}; expected image/png or image/jpeg")
        return _checked(await upload.read(), part_type, "uploaded file")
    if kind == "application/json":
        if json_depth(body) > MAX_JSON_DEPTH:
            raise Refused(422, f"JSON nested deeper than {MAX_JSON_DEPTH} levels; "
                               'expected {"image": "data:image/png;base64,..."}')
        try:
            url = json.loads(body)["image"]
        except (ValueError, KeyError, TypeError, RecursionError):
            raise Refused(422, 'expected a JSON object {"image": "data:image/png;base64,..."}') from None
        return _from_data_url(url)
    if kind in IMAGE_TYPES:
        return _checked(body, kind, "body")
    raise Refused(415, f"content type {kind or 'missing'}; expected multipart/form-data, application/json, "
                       "image/png or image/jpeg")


def _from_data_url(url) -> bytes:
    if not isinstance(url, str) or not url.startswith("data:"):
        raise Refused(422, "'image' must be a data URL: data:image/png;base64,...")
    header, _, payload = url.partition(",")
    mime = header[5:].split(";")[0].strip().lower()
    if mime not in IMAGE_TYPES:
        raise Refused(415, f"data URL of type {mime or 'missing'}; expected image/png or image/jpeg")
    if not header.endswith(";base64"):
        raise Refused(422, "data URL must be base64-encoded (data:image/png;base64,...)")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise Refused(422, "data URL payload is not valid base64") from None
    return _checked(data, mime, "data URL")


def _checked(data: bytes, declared: str, what: str) -> bytes:
    """``data``, which must be PNG or JPEG bytes, and the type ``declared`` if it names one; else 415."""
    if not data:
        raise Refused(422, f"{what} is empty: not an image; expected PNG or JPEG data")
    found = next((kind for kind, magic in MAGIC.items() if data.startswith(magic)), None)
    if found is None:
        raise Refused(415, f"{what} is not PNG or JPEG data (it starts with {data[:8].hex() or 'nothing'}); "
                           "expected image/png or image/jpeg")
    declared = "image/jpeg" if declared == "image/jpg" else declared
    if declared in MAGIC and declared != found:
        raise Refused(415, f"{what} is declared {declared} but holds {found} data")
    return data


def _predict(state, data: bytes) -> Prediction:
    """Decode, preprocess and read one image (in a worker thread)."""
    try:
        digit = preprocess.to_mnist(data, "upload", max_pixels=MAX_PIXELS)
    except preprocess.ImageTooLargeError as e:
        raise Refused(413, str(e)) from None
    except preprocess.ImageError as e:
        raise Refused(422, str(e)) from None
    except Exception as e:  # a decoder failing in a way Pillow does not wrap: still the upload's fault, never a 500
        raise Refused(422, f"upload: cannot read the image ({type(e).__name__})") from None
    with state.model_lock:
        p = predict.predict_digits(state.model, digit[None])[0]
    preview = "data:image/png;base64," + base64.b64encode(preprocess.to_png(digit)).decode()
    record = predict.answer(p)
    return Prediction(label=record["label"], confidence=float(p.max()), unsure=record["unsure"],
                      probabilities=[float(v) for v in p], preprocessed=preview)
