"""HTTP prediction service: the Predictor behind FastAPI.

    mlproject model fetch prod && mlproject serve      # or: make serve
    curl -s localhost:8000/predict -H 'content-type: application/json' \\
         -d '{"records": [{"age": 39, "workclass": "State-gov", ...}]}'

Requests are checked by the same schema as batch prediction; a bad request is HTTP 422 with
the one-line message a PipelineError carries.

Every answer carries a request id (the caller's ``X-Request-ID`` when it is a plain token of at
most 64 characters, else a new one), in the body and the ``X-Request-ID`` header: with it, true
labels known later can be joined to the prediction log (``monitor.log`` in params.yaml,
docs/monitoring.md), which records every prediction off the request path.
"""

from __future__ import annotations

import re
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, StringConstraints

from mlproject.errors import PipelineError
from mlproject.monitor.log import fields
from mlproject.predict import Predictor

MAX_RECORDS = 10_000  # one request; larger jobs use `mlproject predict` on a file
MAX_BODY_BYTES = 20_000_000
MAX_FIELDS = 500  # per record: the features plus some room for extra columns, which are ignored
MAX_KEY = 200  # characters of a column name
MAX_TEXT = 1000  # characters of a text value
INLINE = 100  # requests of up to this many records are answered on the event loop (fast path)
JSON = "application/json"


class BadRequest(Exception):
    """Where and what is wrong with a request body, as FastAPI's 422 ``detail`` entries."""

    def __init__(self, loc: list[Any], msg: str) -> None:
        super().__init__(msg)
        self.detail = [{"loc": ["body", *loc], "msg": msg}]


def records_of(body: bytes) -> list[dict[str, Any]]:
    """The records of a /predict body, held to the same bounds as the request schema below
    (documented in /docs): a JSON object whose ``records`` are 1 to MAX_RECORDS objects of at
    most MAX_FIELDS keys of at most MAX_KEY characters, each value text of at most MAX_TEXT
    characters, a number, a boolean or null. Nothing of the input is echoed."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest([], "the body is not valid JSON") from None
    records = payload.get("records") if isinstance(payload, dict) else None
    if not isinstance(records, list):
        raise BadRequest(["records"], "Field required: a list of records" if records is None
                         else "Input should be a valid list")
    if not records:
        raise BadRequest(["records"], "List should have at least 1 item after validation, not 0")
    if len(records) > MAX_RECORDS:
        raise BadRequest(["records"], f"List should have at most {MAX_RECORDS} items after "
                         f"validation, not {len(records)}")
    for i, record in enumerate(records):
        if type(record) is not dict:
            raise BadRequest(["records", i], "Input should be a valid dictionary")
        if len(record) > MAX_FIELDS:
            raise BadRequest(["records", i], f"Dictionary should have at most {MAX_FIELDS} "
                             f"items after validation, not {len(record)}")
        for key, value in record.items():
            if len(key) > MAX_KEY:
                raise BadRequest(["records", i, "[key]"],
                                 f"String should have at most {MAX_KEY} characters")
            kind = type(value)
            if kind is str:
                if len(value) > MAX_TEXT:
                    raise BadRequest(["records", i, key],
                                     f"String should have at most {MAX_TEXT} characters")
            elif kind not in (int, float, bool) and value is not None:
                raise BadRequest(["records", i, key], "Input should be a valid string, "
                                 "integer, number, boolean or null")
    return records


Value = (Annotated[str, StringConstraints(max_length=MAX_TEXT)] | StrictInt | StrictFloat
         | StrictBool | None)
Record = Annotated[dict[Annotated[str, StringConstraints(max_length=MAX_KEY)], Value],
                   Field(max_length=MAX_FIELDS)]


class PredictRequest(BaseModel):
    """The request schema /docs shows; records_of checks the same bounds."""

    records: list[Record] = Field(min_length=1, max_length=MAX_RECORDS)


class PredictionOut(BaseModel):
    label: str
    score: float
    above_threshold: bool


class ValueOut(BaseModel):
    value: float  # a regression model's predicted value


class PredictResponse(BaseModel):
    model_version: str | None
    request_id: str
    predictions: list[PredictionOut] | list[ValueOut]


REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id(header: str | None) -> str:
    """The caller's request id when it is a plain token, else a new random one."""
    return header if header and REQUEST_ID.fullmatch(header) else uuid.uuid4().hex


def describe(predictor: Predictor) -> dict[str, Any]:
    """What /model answers: which model, which version, its headline validation metrics."""
    meta = predictor.metadata
    registry = meta.get("registry") or {}
    keys = ("roc_auc", "f1", "precision", "recall", "rmse", "mae", "r2")
    metrics = {k: v for k, v in (meta.get("validation_metrics") or {}).items() if k in keys}
    return {"name": meta.get("name"), "version": registry.get("version"),
            "tag": registry.get("tag"), "commit": registry.get("commit"),
            "sha256": meta.get("sha256"), "task": predictor.task,
            **({"tolerance": dict(zip(("relative", "absolute"), predictor.tolerance,
                                      strict=True))} if predictor.regression else
               {"classes": predictor.classes, "confidence_threshold": predictor.threshold}),
            "features": predictor.features,
            "schema": meta.get("schema"), "validation_metrics": metrics}


def create_app(predictor: Predictor, log: Any = None) -> FastAPI:
    """The FastAPI app serving ``predictor``; ``log`` (a PredictionLog) records predictions
    and is closed, everything written, when the server stops (SIGTERM included)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        yield
        if log is not None:
            log.close()

    app = FastAPI(title="mlproject prediction service", lifespan=lifespan)
    info = describe(predictor)

    @app.exception_handler(PipelineError)
    async def bad_input(_: Request, exc: PipelineError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # say where and what, never echo the input back (it can be megabytes)
        errors = [{"loc": [part if isinstance(part, int) else str(part)[:80]
                           for part in e.get("loc", ())][:10], "msg": str(e.get("msg"))[:200]}
                  for e in exc.errors()]  # a key can be a megabyte long too
        return JSONResponse(status_code=422, content={"detail": errors[:5]})

    @app.exception_handler(BadRequest)
    async def bad_body(_: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": exc.detail})

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", **({"log": log.status()} if log is not None else {})}

    @app.get("/model")
    def model() -> dict[str, Any]:
        return info

    @app.post("/predict", response_model=PredictResponse, openapi_extra={"requestBody": {
        "required": True, "content": {JSON: {"schema": PredictRequest.model_json_schema()}}}})
    async def predict(request: Request) -> Response:
        # the body is read and checked here (records_of), and the answer written with orjson:
        # no per-request pydantic model, the prediction API's fast path for a few records
        start = time.perf_counter()
        length = request.headers.get("content-length", "")
        if not length.isdigit():
            return JSONResponse(status_code=411, content={"detail": "Content-Length needed"})
        if int(length) > MAX_BODY_BYTES:
            return JSONResponse(status_code=413, content={
                "detail": f"request body over {MAX_BODY_BYTES:,} bytes; use "
                          "`mlproject predict` for files"})
        records = records_of(await request.body())
        rid = request_id(request.headers.get("x-request-id"))
        if len(records) <= INLINE:  # well under a millisecond: no hop to a worker thread
            frame, predictions = predictor.predict_frame(records)
        else:  # larger requests are scored in a worker thread, so they never block the loop
            frame, predictions = await run_in_threadpool(predictor.predict_frame, records)
        if log is not None:
            log.put(rid, frame, *fields(predictions), (time.perf_counter() - start) * 1000)
        return Response(orjson.dumps({"model_version": info["version"], "request_id": rid,
                                      "predictions": [asdict(p) for p in predictions]}),
                        media_type=JSON, headers={"X-Request-ID": rid})

    return app


WORKSPACE_MODEL = Path("models/model.skops")


def choose_model(model: str, params: Path) -> Path:
    """``auto``: production's model when a version is in production (fetched and verified),
    else the workspace's model, said in the first line; any other value: that file."""
    if model != "auto":
        return Path(model)
    from mlproject.registry import load_settings, tags
    from mlproject.registry.fetch import DEFAULT_OUT, fetch

    settings = load_settings(params)
    if tags.read_state(settings.artifact, ".").in_stage(settings.stage) is None:
        print(f"serving {WORKSPACE_MODEL} (not a registered version: nothing is in "
              f"{settings.stage} yet)", flush=True)
        return WORKSPACE_MODEL
    return fetch(settings.stage, DEFAULT_OUT, ".", params)


def main(model: Path, host: str = "127.0.0.1", port: int = 8000, log_dir: Path | None = None,
         log_settings: Any = None) -> None:
    """Serve ``model``; with ``log_dir``, record every prediction there."""
    import uvicorn

    from mlproject.registry.fetch import refuse_deprecated

    if not Path(model).is_file():
        raise PipelineError(f"{model}: no model file; run `mlproject model fetch prod` "
                            "(or pass --model models/model.skops)")
    predictor = Predictor.load(model)
    refuse_deprecated(predictor.metadata)
    log = None
    if log_dir is not None:
        from mlproject.monitor.log import PredictionLog

        log = PredictionLog.open(log_dir, predictor, log_settings)
        print(f"serve: logging predictions to {log_dir}/ (monitor.log in params.yaml)",
              flush=True)
    app = create_app(predictor, log)
    print(f"serve: {model} on http://{host}:{port}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
