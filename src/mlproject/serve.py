"""HTTP prediction service: the Predictor behind FastAPI.

    mlproject model fetch prod && mlproject serve      # or: make serve
    curl -s localhost:8000/predict -H 'content-type: application/json' \\
         -d '{"records": [{"age": 39, "workclass": "State-gov", ...}]}'

Requests are checked by the same schema as batch prediction; a bad request is HTTP 422 with
the one-line message a PipelineError carries.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, StringConstraints

from mlproject.errors import PipelineError
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


class PredictResponse(BaseModel):
    model_version: str | None
    predictions: list[PredictionOut]


def describe(predictor: Predictor) -> dict[str, Any]:
    """What /model answers: which model, which version, its headline validation metrics."""
    meta = predictor.metadata
    registry = meta.get("registry") or {}
    keys = ("roc_auc", "f1", "precision", "recall")
    metrics = {k: v for k, v in (meta.get("validation_metrics") or {}).items() if k in keys}
    return {"name": meta.get("name"), "version": registry.get("version"),
            "tag": registry.get("tag"), "commit": registry.get("commit"),
            "sha256": meta.get("sha256"), "classes": predictor.classes,
            "confidence_threshold": predictor.threshold, "features": predictor.features,
            "validation_metrics": metrics}


def create_app(predictor: Predictor) -> FastAPI:
    """The FastAPI app serving ``predictor``."""
    app = FastAPI(title="mlproject prediction service")
    info = describe(predictor)

    @app.exception_handler(PipelineError)
    async def bad_input(_: Request, exc: PipelineError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        # say where and what, never echo the input back (it can be megabytes)
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]
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
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/model")
    def model() -> dict[str, Any]:
        return info

    @app.post("/predict", response_model=PredictResponse)
    def predict(body: PredictRequest) -> dict[str, Any]:
        # a sync endpoint: FastAPI runs it in a worker thread, so scoring never blocks the loop
        predictions = predictor.predict(body.records)
        return {"model_version": info["version"],
                "predictions": [asdict(p) for p in predictions]}

    return app


def main(model: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    from mlproject.registry.fetch import refuse_deprecated

    if not Path(model).is_file():
        raise PipelineError(f"{model}: no model file; run `mlproject model fetch prod` "
                            "(or pass --model models/model.skops)")
    predictor = Predictor.load(model)
    refuse_deprecated(predictor.metadata)
    app = create_app(predictor)
    uvicorn.run(app, host=host, port=port, log_level="warning")
