"""The web app's feedback API: the user says which digit an image really is, and it is stored.

    POST /api/feedback        {"image": "data:image/png;base64,...", "label": 0-9, "id": "optional client id"}
                              -> {"id", "stored", "label", "predicted", "model_sha256", "counts"}
    GET  /api/feedback/stats  {"counts": [10 ints], "total", "store", "personal_model": {...}}

The image is read exactly as for /api/predict, so the 28x28 stored is what the model saw. The store
is opened on the first request (``--db``; by default a SQLite file in the user's data directory),
and writes run off the event loop. A post with an ``id`` already stored is not stored again.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from pathlib import Path

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...feedback import FeedbackError, open_store, store as store_module
from ...vision import predict, preprocess
from .learn import Learner


class FeedbackIn(BaseModel):
    image: str = Field(description="the image as the page sent it: data:image/png;base64,... (or jpeg)")
    label: int = Field(ge=0, le=9, description="the digit it really is")
    id: str | None = Field(None, max_length=100, description="the client's id for this post; a repeat is stored once")


class Refusal(BaseModel):
    error: str


class Stored(BaseModel):
    id: int = Field(description="the example's id in the store")
    stored: bool = Field(description="false when an example with this client id was already stored")
    label: int
    predicted: int = Field(description="what the serving model read")
    model_sha256: str
    counts: list[int] = Field(description="examples per digit 0-9, now")


_REQUEST_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": FeedbackIn.model_json_schema()}}}}


def sha256_of(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def install(app: FastAPI, model_path: str | os.PathLike | None, db: str | os.PathLike | None = None,
            learn_every: int | None = None, finetune_args: tuple[str, ...] = ()) -> None:
    """Add the feedback routes to ``app`` (whose app.state.model serves ``model_path``)."""
    db = db or os.environ.get("DIGITLAB_FEEDBACK_DB") or None
    learn_every = learn_every or int(os.environ.get("DIGITLAB_LEARN") or 0) or None
    state = app.state
    state.served = (state.model, sha256_of(model_path or predict.DEFAULT_MODEL))  # swapped as one
    state.store, state.store_lock = None, threading.Lock()
    state.learner = None
    where = str(db) if db else None  # None: the default path, looked up when first needed

    def store():
        with state.store_lock:
            if state.store is None:
                state.store = open_store(where)
            return state.store

    if learn_every:
        where = where or str(store_module.default_path())
        if store_module.is_url(where):
            out = store_module.default_path().with_name("personal.safetensors")
        else:
            out = Path(where).with_name(Path(where).name.split(".")[0] + ".personal.safetensors")

        def swap(path):
            model = predict.load(path)
            state.model = model
            state.model_name = "personal"
            state.served = (model, sha256_of(path))

        state.learner = Learner(learn_every, str(model_path) if model_path else None, where, out, swap, finetune_args)
        if out.is_file():  # the personal model a previous run made
            swap(out)
            state.learner.status, state.learner.message = "ready", f"personal model from {out}"
            state.learner.trained_at = sum(store().counts())

    def stats() -> dict:
        counts = store().counts()
        learner = state.learner
        return {"counts": counts, "total": sum(counts), "store": store().where,
                "personal_model": learner.info(sum(counts)) if learner else {"status": "off"}}

    @app.get("/api/feedback/stats")
    async def feedback_stats() -> dict:
        """How many examples each digit has, and the personal model's status."""
        return await run_in_threadpool(stats)

    @app.post("/api/feedback", response_model=Stored, openapi_extra=_REQUEST_BODY, responses={
        code: {"model": Refusal, "description": text} for code, text in (
            (413, "image too large"), (415, "not a PNG or JPEG, or not JSON"),
            (422, "malformed JSON, bad label or undecodable image"), (503, "the store cannot be written"))})
    async def feedback(request: Request) -> Stored:
        """Store an image with the digit it really is (a correction or a confirmation)."""
        from .app import Refused, _from_data_url, _read_body  # the same reading as /api/predict

        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise Refused(415, f"content type {kind or 'missing'}; expected application/json "
                               '{"image": "data:image/png;base64,...", "label": 0-9}')
        raw = await _read_body(request)
        try:
            sent = json.loads(raw)
        except ValueError as e:
            raise Refused(422, f"malformed JSON ({e}); expected "
                               '{"image": "data:image/png;base64,...", "label": 0-9}') from None
        if not isinstance(sent, dict) or "image" not in sent or "label" not in sent:
            raise Refused(422, 'expected a JSON object with "image" (a data URL) and "label" (a digit 0-9)')
        label, client_id = sent["label"], sent.get("id")
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
            raise Refused(422, f"label {label!r}: expected a digit 0-9")
        if client_id is not None and (not isinstance(client_id, str) or not 1 <= len(client_id) <= 100):
            raise Refused(422, "id: expected a string of 1 to 100 characters, or no id")
        data = _from_data_url(sent["image"])
        kind = image_type(data)
        if kind is None:
            raise Refused(415, "the image is neither PNG nor JPEG (by its first bytes)")
        if len(data) > store_module.MAX_IMAGE_BYTES:
            raise Refused(413, f"image of {len(data):,} bytes; feedback keeps images up to "
                               f"{store_module.MAX_IMAGE_BYTES:,} bytes")
        model, sha = state.served

        def read_and_store():
            try:
                digit = preprocess.to_mnist(data, "upload")
            except preprocess.ImageTooLargeError as e:
                raise Refused(413, str(e)) from None
            except preprocess.ImageError as e:
                raise Refused(422, str(e)) from None
            predicted = int(predict.predict_digits(model, digit[None])[0].argmax())
            s = store()
            try:
                example_id, new = s.add(client_id or uuid.uuid4().hex, label, data, kind, digit, predicted, sha)
            except FeedbackError as e:
                raise Refused(422 if "expected" in str(e) else 503, str(e)) from None
            counts = s.counts()
            if new and state.learner is not None:
                state.learner.noticed(sum(counts))
            return Stored(id=example_id, stored=new, label=label, predicted=predicted, model_sha256=sha, counts=counts)

        return await run_in_threadpool(read_and_store)
