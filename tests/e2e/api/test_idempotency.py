"""``Idempotency-Key`` over HTTP: a retried request returns the first answer and changes nothing."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest

from tests.builders import random_code
from tests.e2e.api.client import API, ApiClient, variant

REPLAYED = "idempotent-replayed"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def receipt(location: str, sku: str, quantity: int) -> dict[str, object]:
    return {"location": location, "lines": [{"sku": sku, "quantity": quantity}], "reference": "R"}


@pytest.mark.covers("POST /inventory/receipts")
def test_a_retried_receipt_is_booked_once_and_answered_the_same(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given
    headers = key()
    body = receipt(warehouse, sku, 7)

    # when
    first = api.post("/inventory/receipts", body, headers=headers)
    retry = api.post("/inventory/receipts", body, headers=headers)

    # then
    assert first.status_code == 201
    assert REPLAYED not in first.headers
    assert retry.status_code == 201
    assert retry.headers[REPLAYED] == "true"
    assert retry.headers["content-type"] == "application/json"
    assert retry.json() == first.json()
    assert api.level(sku, warehouse)["on_hand"] == 7
    assert len(api.movements(sku=sku, kind="receipt")) == 1


@pytest.mark.covers("POST /products")
def test_a_retried_product_create_returns_the_product_instead_of_a_conflict(
    api: ApiClient,
) -> None:
    headers = key()
    body = {"code": random_code("P"), "name": "P", "skus": [variant()]}

    first = api.post("/products", body, headers=headers)
    retry = api.post("/products", body, headers=headers)

    assert first.status_code == 201
    assert retry.status_code == 201
    assert retry.headers[REPLAYED] == "true"
    assert retry.json() == first.json()


@pytest.mark.covers("POST /inventory/reservations")
def test_a_retried_reservation_reserves_once(api: ApiClient, warehouse: str, sku: str) -> None:
    api.receive(warehouse, sku, 10)
    headers = key()
    body = {"owner_ref": random_code("ORD"), "lines": [{"sku": sku, "quantity": 3}]}

    first = api.post("/inventory/reservations", body, headers=headers)
    retry = api.post("/inventory/reservations", body, headers=headers)

    assert retry.json() == first.json()
    assert api.level(sku, warehouse)["reserved"] == 3


@pytest.mark.covers("PUT /inventory/safety-stock")
def test_a_retried_put_is_replayed_too(api: ApiClient, warehouse: str, sku: str) -> None:
    headers = key()
    body = {"location": warehouse, "sku": sku, "quantity": 3}

    first = api.put("/inventory/safety-stock", body, headers=headers)
    retry = api.put("/inventory/safety-stock", body, headers=headers)

    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.headers[REPLAYED] == "true"
    assert retry.json() == first.json()


@pytest.mark.covers("POST /inventory/receipts")
def test_a_key_reused_with_a_different_body_is_refused_and_changes_nothing(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given
    headers = key()
    api.post("/inventory/receipts", receipt(warehouse, sku, 2), headers=headers)

    # when
    response = api.post("/inventory/receipts", receipt(warehouse, sku, 200), headers=headers)

    # then
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_mismatch"
    assert REPLAYED not in response.headers
    assert api.level(sku, warehouse)["on_hand"] == 2


@pytest.mark.covers("POST /inventory/receipts", "PUT /inventory/safety-stock")
def test_a_key_reused_on_another_endpoint_is_refused(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    headers = key()
    api.post("/inventory/receipts", receipt(warehouse, sku, 2), headers=headers)

    response = api.put(
        "/inventory/safety-stock",
        {"location": warehouse, "sku": sku, "quantity": 1},
        headers=headers,
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_mismatch"
    assert api.level(sku, warehouse)["safety_stock"] == 0


@pytest.mark.covers("POST /inventory/reservations")
def test_a_request_that_failed_does_not_spend_its_key(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given: a reservation that fails for want of stock
    headers = key()
    body = {"owner_ref": random_code("ORD"), "lines": [{"sku": sku, "quantity": 4}]}
    refused = api.post("/inventory/reservations", body, headers=headers)

    # when: the stock arrives and the client retries with the same key
    api.receive(warehouse, sku, 4)
    retry = api.post("/inventory/reservations", body, headers=headers)

    # then
    assert refused.status_code == 409
    assert retry.status_code == 201
    assert REPLAYED not in retry.headers
    assert api.level(sku, warehouse)["reserved"] == 4


@pytest.mark.covers("POST /inventory/receipts")
def test_a_request_refused_as_invalid_does_not_spend_its_key(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    headers = key()
    refused = api.post("/inventory/receipts", receipt(warehouse, sku, -1), headers=headers)

    corrected = api.post("/inventory/receipts", receipt(warehouse, sku, 1), headers=headers)

    assert refused.status_code == 422
    assert corrected.status_code == 201
    assert api.level(sku, warehouse)["on_hand"] == 1


@pytest.mark.covers("POST /inventory/receipts")
@pytest.mark.parametrize("value", ["x" * 256, ""], ids=["too-long", "empty"])
def test_a_malformed_key_is_refused(api: ApiClient, warehouse: str, sku: str, value: str) -> None:
    response = api.post(
        "/inventory/receipts", receipt(warehouse, sku, 1), headers={"Idempotency-Key": value}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_idempotency_key"
    assert api.level(sku, warehouse)["on_hand"] == 0


@pytest.mark.covers("GET /skus/{code}")
def test_reads_ignore_the_key(api: ApiClient, sku: str) -> None:
    headers = key()

    first = api.get(f"/skus/{sku}", headers=headers)
    second = api.get(f"/skus/{sku}", headers=headers)

    assert first.json() == second.json()
    assert REPLAYED not in second.headers


@pytest.mark.covers("POST /inventory/receipts")
def test_concurrent_retries_with_one_key_have_exactly_one_effect(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    # given: ten clients send the same receipt with the same key at the same moment
    clients = 10
    headers = key()
    body = receipt(warehouse, sku, 3)
    start = threading.Barrier(clients)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=api.base_url + API, headers=api.headers, timeout=30) as client:
            start.wait()
            answers.append(client.post("/inventory/receipts", json=body, headers=headers))

    # when
    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert [a.status_code for a in answers] == [201] * clients
    assert len({a.text for a in answers}) == 1
    assert sum(REPLAYED not in a.headers for a in answers) == 1
    assert api.level(sku, warehouse)["on_hand"] == 3
    assert len(api.movements(sku=sku, kind="receipt")) == 1
