"""The HTTP service answers like the Python API and turns bad input into one-line 422s."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mlproject.predict import Predictor
from mlproject.serve import create_app

from .conftest import synthetic_rows


@pytest.fixture(scope="module")
def predictor(tiny_model):
    return Predictor.load(tiny_model)


@pytest.fixture(scope="module")
def client(predictor):
    return TestClient(create_app(predictor))


@pytest.fixture(scope="module")
def records(params):
    rows = synthetic_rows(params, 5, seed=2).drop(columns=[params.data.target.column])
    return rows.to_dict("records")


def test_health(client):
    assert client.get("/health").json() == {"status": "ok"}


def test_model_describes_the_loaded_model(client, predictor):
    info = client.get("/model").json()
    assert info["name"] == "hist_gradient_boosting" and info["sha256"] == predictor.metadata[
        "sha256"] and info["classes"] == predictor.classes


def test_predict_matches_the_python_api(client, predictor, records):
    answer = client.post("/predict", json={"records": records})
    assert answer.status_code == 200
    expected = [p.__dict__ for p in predictor.predict(records)]
    assert answer.json()["predictions"] == expected


@pytest.mark.parametrize(("body", "message"), [
    ({"records": [{"tenure": 30}]}, "missing"),
    ({"records": []}, "at least 1"),
    ({"rows": []}, "records"),
])
def test_bad_requests_are_422_with_a_reason(client, body, message):
    answer = client.post("/predict", json=body)
    assert answer.status_code == 422 and message in str(answer.json()["detail"])


def test_wrong_type_in_a_numeric_column_is_422(client, records):
    bad = [{**records[0], "tenure": "forty"}]
    answer = client.post("/predict", json={"records": bad})
    assert answer.status_code == 422 and "tenure" in answer.json()["detail"]


def test_oversized_and_odd_requests_are_refused_without_echo(client):
    """Body size, field count, value types and length are bounded; errors never echo input."""
    from mlproject import serve

    big = client.post("/predict", content=b"x" * (serve.MAX_BODY_BYTES + 1),
                      headers={"content-type": "application/json"})
    assert big.status_code == 413
    many = {f"extra_{i}": 1 for i in range(serve.MAX_FIELDS + 1)}
    assert client.post("/predict", json={"records": [many]}).status_code == 422
    nested = client.post("/predict", json={"records": [{"tenure": [1, 2]}]})
    assert nested.status_code == 422 and "[1, 2]" not in nested.text
    long = client.post("/predict", json={"records": [{"plan": "y" * 5000}]})
    assert long.status_code == 422 and "yyyy" not in long.text


def test_a_megabyte_key_is_not_echoed(client):
    key = "k" * 1_000_000
    answer = client.post("/predict", json={"records": [{key: [1]}]})
    assert answer.status_code == 422 and len(answer.content) < 5_000


@pytest.mark.parametrize(("body", "where", "message"), [
    (b"{not json", ["body"], "not valid JSON"),
    (b'{"records": {"tenure": 1}}', ["body", "records"], "valid list"),
    (b'{"records": [1]}', ["body", "records", 0], "valid dictionary"),
    (b'[{"tenure": 1}]', ["body", "records"], "Field required"),
    (b'{"records": [{"tenure": true, "plan": {"a": 1}}]}', ["body", "records", 0, "plan"],
     "string, integer, number, boolean or null"),
    (b'{"records": [{"' + b"k" * 201 + b'": 1}]}', ["body", "records", 0, "[key]"],
     "at most 200 characters"),
])
def test_every_body_fault_is_a_422_saying_where(client, body, where, message):
    answer = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    [detail] = answer.json()["detail"]
    assert detail["loc"] == where and message in detail["msg"], detail


def test_too_many_records_and_no_length_are_refused(client, records):
    from mlproject import serve

    many = client.post("/predict", json={"records": records[:1] * (serve.MAX_RECORDS + 1)})
    assert many.status_code == 422 and "at most 10000 items" in many.text
    chunks = client.post("/predict", content=iter([b'{"records": []}']),
                         headers={"content-type": "application/json"})
    assert chunks.status_code == 411


def test_a_large_request_is_scored_off_the_event_loop_with_the_same_answers(client, predictor,
                                                                           records):
    rows = records * 30  # 150 records: more than serve.INLINE
    answer = client.post("/predict", json={"records": rows}, headers={"x-request-id": "abc-1"})
    assert answer.status_code == 200 and answer.headers["x-request-id"] == "abc-1"
    assert answer.json()["request_id"] == "abc-1"
    assert answer.json()["predictions"] == [p.__dict__ for p in predictor.predict(rows)]


def test_the_request_schema_is_documented(client):
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["records"]["maxItems"] == 10_000
