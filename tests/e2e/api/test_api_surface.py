"""The API as a whole: every endpoint has tests, errors are problem details, the ledger holds."""

from __future__ import annotations

import importlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.api.client import API, PROBLEM_JSON, ApiClient, field_errors, template_of
from tests.e2e.api.conftest import RunningServer


def api_endpoints(server: RunningServer) -> dict[str, dict[str, Any]]:
    """'METHOD /path' (relative to /api/v1) -> its OpenAPI operation."""
    return {
        f"{method.upper()} {path.removeprefix(API)}": operation
        for path, operations in server.app.openapi()["paths"].items()
        if path.startswith(API + "/")
        for method, operation in operations.items()
    }


def declared_coverage() -> dict[str, set[str]]:
    """'METHOD /path' -> the tests that declare ``@pytest.mark.covers`` for it."""
    covered: dict[str, set[str]] = defaultdict(set)
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        for name, value in vars(module).items():
            if not name.startswith("test_"):
                continue
            for mark in getattr(value, "pytestmark", []):
                if mark.name == "covers":
                    for endpoint in mark.args:
                        covered[endpoint].add(f"{path.stem}::{name}")
    return covered


def can_be_invalid(operation: dict[str, Any]) -> bool:
    """An endpoint that takes a body, a query parameter or a typed path parameter."""
    if "requestBody" in operation:
        return True
    return any(
        p["in"] != "path" or p["schema"].get("type") != "string"
        for p in operation.get("parameters", [])
    )


def test_every_api_endpoint_has_a_test(server: RunningServer) -> None:
    endpoints = set(api_endpoints(server))
    declared = set(declared_coverage())

    assert sorted(endpoints - declared) == [], "endpoints without a test"
    assert sorted(declared - endpoints) == [], "tests cover endpoints that do not exist"


@pytest.mark.covers("GET /ping")
def test_ping_answers_pong(api: ApiClient) -> None:
    response = api.get("/ping")

    assert response.status_code == 200
    assert response.json() == {"pong": "ok"}


def test_health_answers_ok_outside_the_api_prefix(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_an_unknown_route_is_a_404_problem(api: ApiClient) -> None:
    response = api.get("/no-such-thing")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "https://openoms.dev/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Not Found",
        "code": "not_found",
    }


def test_a_wrong_method_is_a_405_problem(api: ApiClient) -> None:
    response = api.http.delete("/skus")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_a_body_that_is_not_json_is_a_422_problem(api: ApiClient) -> None:
    response = api.http.post(
        "/categories", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert response.json()["errors"][0]["message"] == "JSON decode error"


def test_unknown_fields_are_refused_with_their_path(api: ApiClient, warehouse: str) -> None:
    response = api.post(
        "/inventory/receipts",
        {"location": warehouse, "lines": [{"sku": "X", "quantity": 1, "colour": "red"}]},
    )

    assert response.status_code == 422
    assert field_errors(response) == {"lines[0].colour": "Extra inputs are not permitted"}


def test_every_problem_has_the_rfc_9457_members(api: ApiClient) -> None:
    response = api.get("/skus/NO-SUCH-SKU")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "https://openoms.dev/problems/sku-not-found",
        "title": "SKU not found",
        "status": 404,
        "detail": "No SKU with code 'NO-SUCH-SKU'.",
        "code": "sku_not_found",
    }


@pytest.mark.last
def test_every_endpoint_answered_success_bad_input_and_not_found(
    request: pytest.FixtureRequest, server: RunningServer, api: ApiClient
) -> None:
    """Checks what the tests of this session really sent, for the endpoints they cover."""
    if hasattr(request.config, "workerinput"):
        pytest.skip("under xdist each worker sees only part of the traffic")
    ran = {
        f"{item.path.stem}::{getattr(item, 'originalname', item.name)}"
        for item in request.session.items
    }
    endpoints = api_endpoints(server)
    covered = declared_coverage()
    statuses: dict[str, set[int]] = defaultdict(set)
    for method, path, status in api.seen:
        template = template_of(path.removeprefix(API), [e.split(" ")[1] for e in endpoints])
        statuses[f"{method} {template}"].add(status)
    checked = {e: op for e, op in endpoints.items() if covered[e] and covered[e] <= ran}
    if not checked:
        pytest.skip("no endpoint had all of its tests selected in this run")
    gaps = []
    for endpoint, operation in sorted(checked.items()):
        seen = statuses[endpoint]
        if not any(200 <= s < 300 for s in seen):
            gaps.append(f"{endpoint}: no successful call")
        if can_be_invalid(operation) and 422 not in seen:
            gaps.append(f"{endpoint}: never sent bad input")
        if "{" in endpoint and 404 not in seen:
            gaps.append(f"{endpoint}: never asked for an unknown thing")

    assert gaps == []


@pytest.mark.last
def test_the_ledger_explains_every_unit_at_the_end_of_the_session(api: ApiClient) -> None:
    response = api.get("/inventory/verify")

    assert response.status_code == 200
    assert response.json() == []
