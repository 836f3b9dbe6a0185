"""Transfers between locations over HTTP: request, ship, receive, cancel."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.api.client import ApiClient, field_errors


def transfer_body(source: str, target: str, *lines: tuple[str, int], note: str = "") -> Any:
    return {
        "from_location": source,
        "to_location": target,
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "note": note,
    }


def request_transfer(api: ApiClient, source: str, target: str, *lines: tuple[str, int]) -> Any:
    response = api.post("/transfers", transfer_body(source, target, *lines))
    assert response.status_code == 201, response.text
    return response.json()


def on_hand(api: ApiClient, sku: str, location: str) -> tuple[int, int]:
    level = api.level(sku, location)
    return level["on_hand"], level["reserved"]


@pytest.mark.covers(
    "POST /transfers",
    "GET /transfers/{number}",
    "POST /transfers/{number}/ship",
    "POST /transfers/{number}/receive",
)
def test_a_transfer_moves_stock_from_request_to_receipt(api: ApiClient) -> None:
    # given
    source, target = api.create_location(), api.create_location()
    shirt, socks = api.create_sku(), api.create_sku()
    api.receive(source, shirt, 10)
    api.receive(source, socks, 4)

    # when: requested
    requested = api.post(
        "/transfers",
        transfer_body(source, target, (socks, 4), (shirt, 5), (shirt, 1), note="restock"),
    )

    # then: the units are held at the source
    assert requested.status_code == 201
    transfer = requested.json()
    number = transfer["number"]
    assert number.startswith("TR-")
    assert transfer | {"created_at": None} == {
        "number": number,
        "from_location": source,
        "to_location": target,
        "status": "requested",
        "note": "restock",
        "created_by": api.actor,
        "created_at": None,
        "shipped_at": None,
        "received_at": None,
        "lines": sorted(
            [
                {"sku": shirt, "quantity": 6, "quantity_received": 0},
                {"sku": socks, "quantity": 4, "quantity_received": 0},
            ],
            key=lambda line: line["sku"],
        ),
    }
    assert on_hand(api, shirt, source) == (10, 6)
    assert api.get(f"/transfers/{number}").json() == transfer

    # when: shipped
    shipped = api.post(f"/transfers/{number}/ship")

    # then: the units left the source
    assert shipped.status_code == 200
    assert shipped.json()["status"] == "in_transit"
    assert shipped.json()["shipped_at"] is not None
    assert on_hand(api, shirt, source) == (4, 0)
    assert on_hand(api, socks, source) == (0, 0)
    assert on_hand(api, shirt, target) == (0, 0)

    # when: received, one shirt short
    received = api.post(f"/transfers/{number}/receive", {"received": {shirt: 5}})

    # then
    assert received.status_code == 200
    body = received.json()
    assert body["status"] == "received"
    assert body["received_at"] is not None
    assert {line["sku"]: line["quantity_received"] for line in body["lines"]} == {
        shirt: 5,
        socks: 0,
    }
    assert on_hand(api, shirt, target) == (5, 0)
    assert on_hand(api, socks, target) == (0, 0)
    ledger = api.movements(reference=f"transfer:{number}")
    moves = [
        (m["kind"], m["sku"], m["location"], m["on_hand_delta"], m["reserved_delta"])
        for m in ledger
    ]
    assert sorted(moves) == sorted(
        [
            ("reservation", shirt, source, 0, 6),
            ("reservation", socks, source, 0, 4),
            ("transfer_out", shirt, source, -6, -6),
            ("transfer_out", socks, source, -4, -4),
            ("transfer_in", shirt, target, 5, 0),
        ]
    )


@pytest.mark.covers("POST /transfers/{number}/receive")
def test_receiving_without_a_count_books_everything_that_was_sent(api: ApiClient, sku: str) -> None:
    source, target = api.create_location(), api.create_location()
    api.receive(source, sku, 3)
    number = request_transfer(api, source, target, (sku, 3))["number"]
    api.post(f"/transfers/{number}/ship")

    response = api.post(f"/transfers/{number}/receive", {})

    assert response.status_code == 200
    assert response.json()["lines"] == [{"sku": sku, "quantity": 3, "quantity_received": 3}]
    assert on_hand(api, sku, target) == (3, 0)


@pytest.mark.covers("POST /transfers/{number}/cancel", "GET /inventory/reservations")
def test_cancelling_a_requested_transfer_gives_the_units_back(api: ApiClient, sku: str) -> None:
    # given
    source, target = api.create_location(), api.create_location()
    api.receive(source, sku, 8)
    number = request_transfer(api, source, target, (sku, 5))["number"]

    # when
    response = api.post(f"/transfers/{number}/cancel")

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert on_hand(api, sku, source) == (8, 0)
    held = api.get(
        "/inventory/reservations", params={"owner_type": "transfer", "owner_ref": number}
    ).json()
    assert [(r["status"], r["quantity"]) for r in held] == [("released", 0)]


@pytest.mark.covers("GET /transfers")
def test_transfers_list_newest_first_and_filter_by_status(api: ApiClient, sku: str) -> None:
    # given
    source, target = api.create_location(), api.create_location()
    api.receive(source, sku, 10)
    older = request_transfer(api, source, target, (sku, 1))["number"]
    newer = request_transfer(api, source, target, (sku, 1))["number"]
    api.post(f"/transfers/{older}/cancel")

    # when
    listed = [t["number"] for t in api.get("/transfers").json()]
    cancelled = [t["number"] for t in api.get("/transfers", params={"status": "cancelled"}).json()]
    requested = [t["number"] for t in api.get("/transfers", params={"status": "requested"}).json()]

    # then
    assert listed.index(newer) < listed.index(older)
    assert older in cancelled
    assert newer not in cancelled
    assert newer in requested
    assert older not in requested


@pytest.mark.covers("GET /transfers")
def test_an_unknown_transfer_status_filter_is_refused(api: ApiClient) -> None:
    response = api.get("/transfers", params={"status": "lost"})

    assert response.status_code == 422
    assert list(field_errors(response)) == ["status"]


@pytest.mark.covers(
    "POST /transfers/{number}/ship",
    "POST /transfers/{number}/receive",
    "POST /transfers/{number}/cancel",
)
@pytest.mark.parametrize(
    ("done", "action", "current", "target"),
    [
        ([], "receive", "requested", "received"),
        (["ship"], "ship", "in_transit", "in_transit"),
        (["ship"], "cancel", "in_transit", "cancelled"),
        (["ship", "receive"], "receive", "received", "received"),
        (["ship", "receive"], "cancel", "received", "cancelled"),
        (["cancel"], "ship", "cancelled", "in_transit"),
        (["cancel"], "cancel", "cancelled", "cancelled"),
    ],
)
def test_an_illegal_transfer_transition_is_a_conflict_and_changes_nothing(
    api: ApiClient, sku: str, done: list[str], action: str, current: str, target: str
) -> None:
    # given
    source, destination = api.create_location(), api.create_location()
    api.receive(source, sku, 5)
    number = request_transfer(api, source, destination, (sku, 2))["number"]
    for step in done:
        assert api.post(f"/transfers/{number}/{step}", {}).status_code == 200
    before = (on_hand(api, sku, source), on_hand(api, sku, destination))

    # when
    response = api.post(f"/transfers/{number}/{action}", {})

    # then
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "illegal_transition"
    assert (problem["current"], problem["target"]) == (current, target)
    assert problem["detail"] == f"Transfer {number} is {current} and cannot become {target}."
    assert api.get(f"/transfers/{number}").json()["status"] == current
    assert (on_hand(api, sku, source), on_hand(api, sku, destination)) == before


@pytest.mark.covers(
    "GET /transfers/{number}",
    "POST /transfers/{number}/ship",
    "POST /transfers/{number}/receive",
    "POST /transfers/{number}/cancel",
)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("POST", "/ship"), ("POST", "/receive"), ("POST", "/cancel")],
)
def test_an_unknown_transfer_is_404(api: ApiClient, method: str, suffix: str) -> None:
    body = {} if method == "POST" else None

    response = api.http.request(method, f"/transfers/TR-999999999{suffix}", json=body)

    assert response.status_code == 404
    assert response.json()["code"] == "transfer_not_found"


@pytest.mark.covers("POST /transfers")
def test_a_transfer_without_enough_stock_lists_the_short_lines_and_holds_nothing(
    api: ApiClient,
) -> None:
    # given
    source, target = api.create_location(), api.create_location()
    enough, short = api.create_sku(), api.create_sku()
    api.receive(source, enough, 5)
    api.receive(source, short, 1)

    # when
    response = api.post("/transfers", transfer_body(source, target, (enough, 5), (short, 2)))

    # then
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert response.json()["shortages"] == [
        {"sku": short, "location": source, "requested": 2, "available": 1}
    ]
    assert on_hand(api, enough, source) == (5, 0)


@pytest.mark.covers("POST /transfers")
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"to_location": None}, "to_location"),
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "X", "quantity": 0}]}, "lines[0].quantity"),
        (
            {"lines": [{"sku": "X", "quantity": 1}, {"sku": "Y", "quantity": -4}]},
            "lines[1].quantity",
        ),
    ],
)
def test_a_transfer_with_a_bad_field_is_refused(
    api: ApiClient, warehouse: str, changes: dict[str, Any], field: str
) -> None:
    body = {
        "from_location": warehouse,
        "to_location": "ELSEWHERE",
        "lines": [{"sku": "X", "quantity": 1}],
    } | changes

    response = api.post("/transfers", body)

    assert response.status_code == 422
    assert list(field_errors(response)) == [field]


@pytest.mark.covers("POST /transfers")
def test_a_transfer_to_the_same_location_is_refused(
    api: ApiClient, warehouse: str, sku: str
) -> None:
    response = api.post("/transfers", transfer_body(warehouse, warehouse, (sku, 1)))

    assert response.status_code == 422
    assert field_errors(response) == {"to_location": "must differ from from_location"}


@pytest.mark.covers("POST /transfers")
@pytest.mark.parametrize(
    ("source", "target", "sku_code", "code"),
    [
        ("NO-SUCH-LOCATION", None, None, "location_not_found"),
        (None, "NO-SUCH-LOCATION", None, "location_not_found"),
        (None, None, "NO-SUCH-SKU", "sku_not_found"),
    ],
)
def test_a_transfer_of_an_unknown_thing_is_404(
    api: ApiClient,
    warehouse: str,
    sku: str,
    source: str | None,
    target: str | None,
    sku_code: str | None,
    code: str,
) -> None:
    other = api.create_location()
    api.receive(warehouse, sku, 1)

    response = api.post(
        "/transfers", transfer_body(source or warehouse, target or other, (sku_code or sku, 1))
    )

    assert response.status_code == 404
    assert response.json()["code"] == code
    assert on_hand(api, sku, warehouse) == (1, 0)


@pytest.mark.covers("POST /transfers/{number}/receive")
@pytest.mark.parametrize(
    ("sent_sku", "quantity", "message"),
    [
        (True, 4, "must be a whole number from 0 to 3"),
        (True, -1, "Input should be greater than or equal to 0"),
        (False, 1, "is not on this transfer"),
        (True, "all", "Input should be a valid integer"),
    ],
    ids=["too-many", "negative", "not-on-transfer", "not-a-number"],
)
def test_receiving_bad_counts_is_refused_and_the_transfer_stays_in_transit(
    api: ApiClient, sku: str, sent_sku: bool, quantity: object, message: str
) -> None:
    # given
    source, target = api.create_location(), api.create_location()
    api.receive(source, sku, 3)
    number = request_transfer(api, source, target, (sku, 3))["number"]
    api.post(f"/transfers/{number}/ship")
    counted = sku if sent_sku else "STRANGER"

    # when
    response = api.post(f"/transfers/{number}/receive", {"received": {counted: quantity}})

    # then
    assert response.status_code == 422
    assert list(field_errors(response)) == [f"received.{counted}"]
    assert field_errors(response)[f"received.{counted}"].startswith(message)
    assert api.get(f"/transfers/{number}").json()["status"] == "in_transit"
    assert on_hand(api, sku, target) == (0, 0)


@pytest.mark.covers(
    "POST /transfers/{number}/receive", "POST /inventory/reservations/{reservation_id}/release"
)
def test_a_transfer_never_creates_stock(api: ApiClient, sku: str) -> None:
    # given
    source, target = api.create_location(), api.create_location()
    api.receive(source, sku, 10)
    number = request_transfer(api, source, target, (sku, 5))["number"]
    [held] = api.get(
        "/inventory/reservations", params={"owner_type": "transfer", "owner_ref": number}
    ).json()
    api.post(f"/inventory/reservations/{held['id']}/release", {"quantity": 3})

    # when
    api.post(f"/transfers/{number}/ship")
    api.post(f"/transfers/{number}/receive", {})

    # then
    total = api.get("/inventory/availability", params={"sku": sku}).json()[0]["on_hand"]
    assert total <= 10
