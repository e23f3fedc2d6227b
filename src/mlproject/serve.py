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

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, StringConstraints

from mlproject.errors import PipelineError
from mlproject.monitor.log import fields
from mlproject.predict import Predictor

MAX_RECORDS = 10_000  # one request; larger jobs use `mlproject predict` on a file
MAX_BODY_BYTES = 20_000_000
MAX_FIELDS = 500  # per record: the features plus some room for extra columns, which are ignored
Value = (Annotated[str, StringConstraints(max_length=1000)] | StrictInt | StrictFloat
         | StrictBool | None)
Record = Annotated[dict[Annotated[str, StringConstraints(max_length=200)], Value],
                   Field(max_length=MAX_FIELDS)]


class PredictRequest(BaseModel):
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

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        if request.method == "POST":
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return JSONResponse(status_code=411, content={"detail": "Content-Length needed"})
            if int(length) > MAX_BODY_BYTES:
                return JSONResponse(status_code=413, content={
                    "detail": f"request body over {MAX_BODY_BYTES:,} bytes; use "
                              "`mlproject predict` for files"})
        return await call_next(request)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", **({"log": log.status()} if log is not None else {})}

    @app.get("/model")
    def model() -> dict[str, Any]:
        return info

    @app.post("/predict", response_model=PredictResponse)
    def predict(body: PredictRequest, request: Request, response: Response) -> dict[str, Any]:
        # a sync endpoint: FastAPI runs it in a worker thread, so scoring never blocks the loop
        start = time.perf_counter()
        rid = request_id(request.headers.get("x-request-id"))
        frame, predictions = predictor.predict_frame(body.records)
        response.headers["X-Request-ID"] = rid
        if log is not None:
            log.put(rid, frame, *fields(predictions), (time.perf_counter() - start) * 1000)
        return {"model_version": info["version"], "request_id": rid,
                "predictions": [asdict(p) for p in predictions]}

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
    uvicorn.run(app, host=host, port=port, log_level="warning")
