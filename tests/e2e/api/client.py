"""A small HTTP client for the end-to-end API tests.

Every response it sees is checked for the things no endpoint may ever do: leak a stack
trace, answer 5xx, or send an error that is not RFC 9457 problem details. The helpers
(``create_product``, ``receive``, ``reserve`` …) build data with random codes through the
API and assert that the call succeeded; tests that expect a failure use ``post``/``get``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import httpx

from tests.builders import random_barcode, random_code

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
Json = dict[str, Any]


def _check_response(response: httpx.Response) -> None:
    response.read()
    where = f"{response.request.method} {response.request.url.path}"
    assert "Traceback" not in response.text, f"{where} leaked a stack trace"
    assert response.status_code < 500, f"{where} answered {response.status_code}: {response.text}"
    if response.status_code >= 400 and response.request.url.path.startswith(API):
        assert response.headers["content-type"] == PROBLEM_JSON, where
        body = response.json()
        assert body["status"] == response.status_code, where
        assert {"type", "title", "detail", "code"} <= body.keys(), where


def variant(**overrides: Any) -> Json:
    """The body of one SKU, valid unless overridden."""
    values: Json = {
        "code": random_code("SKU"),
        "name": "Test item",
        "barcode": random_barcode(),
        "weight_g": 500,
        "prices": [{"currency": "EUR", "amount": "19.99"}],
    }
    values.update(overrides)
    return values


def location_body(**overrides: Any) -> Json:
    values: Json = {
        "code": random_code("L"),
        "name": "Test warehouse",
        "kind": "warehouse",
        "address": {
            "line1": "Street 1",
            "city": "Amsterdam",
            "postal_code": "1012",
            "country": "NL",
        },
        "latitude": 52.37,
        "longitude": 4.89,
        "timezone": "Europe/Amsterdam",
        "priority": 100,
    }
    values.update(overrides)
    return values


def expected_level(
    sku: str, location: str, on_hand: int, reserved: int = 0, safety: int = 0
) -> Json:
    """A stock level as the API renders it."""
    return {
        "sku": sku,
        "location": location,
        "on_hand": on_hand,
        "reserved": reserved,
        "safety_stock": safety,
        "available": max(0, on_hand - reserved - safety),
    }


def field_errors(response: httpx.Response) -> dict[str, str]:
    """field path -> message of a 422 problem."""
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}


class ApiClient:
    """``httpx.Client`` on ``/api/v1`` plus helpers that create test data over HTTP."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        seen: list[tuple[str, str, int]] | None = None,
    ) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        # (method, path, status) of every answer; shared with the clients made from this one
        self.seen: list[tuple[str, str, int]] = [] if seen is None else seen
        self.http = httpx.Client(
            base_url=base_url + API,
            headers=self.headers,
            timeout=30.0,
            event_hooks={"response": [_check_response, self._record]},
        )

    def _record(self, response: httpx.Response) -> None:
        request = response.request
        self.seen.append((request.method, request.url.path, response.status_code))

    def close(self) -> None:
        self.http.close()

    def other(self, token: str | None = None) -> ApiClient:
        """Another caller (another token, or none: sign in by cookie) whose answers count
        toward this client's record of the traffic. Close it after use."""
        return ApiClient(self.base_url, token, seen=self.seen)

    def sign_in(self, email: str, password: str) -> str:
        """Sign this (token-less) client in by cookie; returns the CSRF token."""
        response = self.post("/auth/login", {"email": email, "password": password})
        assert response.status_code == 200, response.text
        csrf: str = response.json()["csrf_token"]
        self.http.headers["X-CSRF-Token"] = csrf
        return csrf

    @functools.cached_property
    def actor(self) -> str:
        """How this client's token appears in timelines and ledgers."""
        me = self.get("/me").json()
        return f"{me['kind']}:{me['name']}"

    # --- plain requests ---------------------------------------------------------------
    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.put(path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.delete(path, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.patch(path, json=json, **kwargs)

    # --- catalog ----------------------------------------------------------------------
    def create_category(self, parent: str | None = None, name: str = "Test category") -> Json:
        body = {"code": random_code("C"), "name": name, "parent": parent}
        return _created(self.post("/categories", body))

    def create_product(
        self, skus: int | list[Json] = 1, *, code: str | None = None, **fields: Any
    ) -> Json:
        variants = [variant() for _ in range(skus)] if isinstance(skus, int) else skus
        body = {"code": code or random_code("P"), "name": "Test product", "skus": variants}
        body.update(fields)
        return _created(self.post("/products", body))

    def create_sku(self, **fields: Any) -> str:
        """A product with one SKU; returns the SKU code."""
        product = self.create_product(1, **fields)
        code: str = product["skus"][0]["code"]
        return code

    def get_sku(self, code: str) -> Json:
        return _ok(self.get(f"/skus/{code}"))

    # --- locations --------------------------------------------------------------------
    def create_location(self, **overrides: Any) -> str:
        """A warehouse; returns its code."""
        code: str = _created(self.post("/locations", location_body(**overrides)))["code"]
        return code

    def add_bins(self, location: str, codes: list[str], zone: str = "A") -> None:
        _created(self.post(f"/locations/{location}/zones", {"code": zone, "name": "Zone"}))
        _created(self.post(f"/locations/{location}/bins", {"zone": zone, "codes": codes}))

    # --- inventory --------------------------------------------------------------------
    def receive(
        self, location: str, sku: str, quantity: int, *, bin: str | None = None
    ) -> list[Json]:
        body = {
            "location": location,
            "lines": [{"sku": sku, "quantity": quantity, "bin": bin}],
            "reference": random_code("ASN"),
        }
        levels: list[Json] = _created(self.post("/inventory/receipts", body))
        return levels

    def reserve(
        self, sku: str, quantity: int, *, location: str | None = None, owner_ref: str | None = None
    ) -> Json:
        body = {
            "owner_ref": owner_ref or random_code("ORD"),
            "lines": [{"sku": sku, "quantity": quantity, "location": location}],
        }
        made: list[Json] = _created(self.post("/inventory/reservations", body))
        return made[0]

    def level(self, sku: str, location: str) -> Json:
        """The stored level of one SKU at one location (zeros when it has none)."""
        found = _ok(self.get("/inventory/availability", params={"sku": sku}))[0]["locations"]
        for entry in found:
            if entry["location"] == location:
                return dict(entry)
        return {
            "location": location,
            "on_hand": 0,
            "reserved": 0,
            "safety_stock": 0,
            "available": 0,
        }

    def movements(self, **params: Any) -> list[Json]:
        items: list[Json] = _ok(self.get("/inventory/movements", params=params))["items"]
        return items


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _created(response: httpx.Response) -> Any:
    assert response.status_code == 201, response.text
    return response.json()


def template_of(path: str, templates: list[str]) -> str | None:
    """The OpenAPI path template (``/api/v1/skus/{code}``) that a concrete path matches."""
    for template in sorted(templates, key=lambda t: t.count("{")):  # literal segments first
        pattern = "^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    return None
