"""Fulfilment over HTTP: a warehouse's day from the API — settings, a wave released, a list
picked by scanning, boxes proposed and packed, rates shopped, a parcel shipped with its
label, tracked to the door; a pickup handed over in store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from openoms.fulfillment.orm import fulfilment_orders
from tests.builders import random_code
from tests.e2e.api.client import ApiClient
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_orders import make_channel, order_body

Json = dict[str, Any]


def _setup_carrier(api: ApiClient) -> str:
    carrier = random_code("C")
    created = api.post(
        "/carriers",
        {
            "code": carrier,
            "name": "Parcel Co",
            "tracking_url": "https://track.example/{tracking}",
            "tracking_prefix": "PC",
        },
    )
    assert created.status_code == 201, created.text
    service = random_code("S")
    body = {
        "carrier": carrier,
        "code": service,
        "name": "Standard",
        "currency": "EUR",
        "zones": [{"zone": "NL", "country": "NL"}],
        "breaks": [{"zone": "NL", "up_to_g": 30000, "base": 495}],
        "transit_days": {"NL": 1},
        "cutoff": "17:00",
    }
    assert api.post("/carrier-services", body).status_code == 201
    return service


def _stocked(api: ApiClient) -> tuple[str, str]:
    location = api.create_location()
    api.add_bins(location, ["A-01-01", "A-02-01"])
    product = api.create_product(
        [
            {
                "code": random_code("SKU"),
                "name": "Bell",
                "weight_g": 200,
                "dimensions": {"length_mm": 80, "width_mm": 80, "height_mm": 60},
                "prices": [{"currency": "EUR", "amount": "15.00"}],
            }
        ]
    )
    sku = str(product["skus"][0]["code"])
    api.receive(location, sku, 10, bin="A-02-01")
    return location, sku


def _order(api: ApiClient, location: str, sku: str, **fields: Any) -> str:
    channel = make_channel(api, locations=[location])
    response = api.post("/orders", order_body(channel, {"sku": sku, "quantity": 2}, **fields))
    assert response.status_code == 201, response.text
    return str(response.json()["number"])


def _box(api: ApiClient) -> str:
    code = random_code("BX")
    body = {
        "code": code,
        "name": "Small box",
        "length_mm": 250,
        "width_mm": 200,
        "height_mm": 150,
        "tare_g": 150,
        "max_weight_g": 10000,
        "cost": 60,
        "currency": "EUR",
    }
    assert api.post("/boxes", body).status_code == 201
    return code


@pytest.mark.covers(
    "GET /fulfilment-orders",
    "GET /fulfilment-orders/{number}",
    "POST /waves",
    "GET /waves",
    "GET /waves/{number}",
    "GET /pick-lists",
    "GET /pick-lists/{number}",
    "POST /pick-lists/{number}/scans",
    "GET /fulfilment-orders/{number}/packing",
    "POST /fulfilment-orders/{number}/pack",
    "GET /fulfilment-orders/{number}/rates",
    "POST /fulfilment-orders/{number}/ship",
    "GET /fulfilment-orders/{number}/packing-slip.pdf",
    "GET /shipments",
    "GET /shipments/{number}",
    "GET /shipments/{number}/packages/{seq}/label.pdf",
    "GET /orders/{number}/receipt.pdf",
    "POST /tracking-events",
    "GET /orders/{number}/tracking-link",
)
def test_a_parcel_goes_from_wave_to_door_over_the_api(api: ApiClient) -> None:
    service = _setup_carrier(api)
    _box(api)
    location, sku = _stocked(api)
    number = _order(api, location, sku)

    listed = api.get("/fulfilment-orders", params={"order": number})
    assert listed.status_code == 200
    (fo,) = listed.json()
    assert (fo["status"], fo["location"]) == ("pending", location)
    assert api.get("/fulfilment-orders", params={"status": "lost"}).status_code == 422
    assert api.get(f"/fulfilment-orders/{fo['number']}").json()["lines"][0]["quantity"] == 2
    assert api.get("/fulfilment-orders/FO-999999999").status_code == 404

    assert api.post("/waves", {"location": location, "strategy": "sideways"}).status_code == 422
    assert api.post("/waves", {"location": "NO-SUCH-PLACE"}).status_code == 404
    released = api.post(
        "/waves", {"location": location, "fulfilment_orders": [fo["number"]], "strategy": "batch"}
    )
    assert released.status_code == 201, released.text
    wave = released.json()
    assert (
        api.post("/waves", {"location": location, "fulfilment_orders": [fo["number"]]}).status_code
        == 409
    )
    assert wave["number"] in [w["number"] for w in api.get("/waves").json()]
    assert api.get("/waves", params={"location": "x" * 100}).status_code == 422
    assert api.get(f"/waves/{wave['number']}").json()["strategy"] == "batch"
    assert api.get("/waves/WV-999999999").status_code == 404
    (plist,) = wave["pick_lists"]
    assert plist["number"] in [p["number"] for p in api.get("/pick-lists").json()]
    assert api.get("/pick-lists", params={"status": "maybe"}).status_code == 422
    assert api.get(f"/pick-lists/{plist['number']}").json()["picks"][0]["bin"] == "A-02-01"
    assert api.get("/pick-lists/PL-999999999").status_code == 404

    scans = f"/pick-lists/{plist['number']}/scans"
    pick = plist["picks"][0]
    wrong = api.post(scans, {"code": "NOT-THIS", "pick_id": pick["id"]})
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "wrong_scan"
    assert f"asks for {sku}" in wrong.json()["detail"]
    assert api.post(scans, {"code": sku, "quantity": 0}).status_code == 422
    assert api.post("/pick-lists/PL-999999999/scans", {"code": sku}).status_code == 404
    done = api.post(scans, {"code": sku, "quantity": 2, "pick_id": pick["id"]})
    assert done.status_code == 200, done.text
    assert "complete" in done.json()["message"]
    assert api.post(scans, {"code": sku}).status_code == 409  # over-pick

    fo_path = f"/fulfilment-orders/{fo['number']}"
    proposal = api.get(f"{fo_path}/packing")
    assert proposal.status_code == 200, proposal.text
    assert sum(proposal.json()["packages"][0]["items"].values()) == 2
    assert api.get("/fulfilment-orders/FO-999999999/packing").status_code == 404
    assert api.get(f"{fo_path}/rates").status_code == 409  # not packed yet
    assert api.post(f"{fo_path}/pack", {"packages": [{"weight_g": -1}]}).status_code == 422
    assert api.post("/fulfilment-orders/FO-999999999/pack", {}).status_code == 404
    packed = api.post(f"{fo_path}/pack", {})
    assert packed.status_code == 200, packed.text
    assert packed.json()["status"] == "packed"
    rating = api.get(f"{fo_path}/rates")
    assert rating.status_code == 200
    assert service in [o["service"] for o in rating.json()["options"]]
    assert api.get("/fulfilment-orders/FO-999999999/rates").status_code == 404

    assert api.post(f"{fo_path}/ship", {"service": 42}).status_code == 422
    assert api.post("/fulfilment-orders/FO-999999999/ship", {}).status_code == 404
    shipped = api.post(f"{fo_path}/ship", {"service": service})
    assert shipped.status_code == 201, shipped.text
    shipment = shipped.json()
    (package,) = shipment["packages"]
    assert package["tracking_number"].startswith("PC")
    assert package["tracking_url"].endswith(package["tracking_number"])
    assert api.get(f"/orders/{number}").json()["status"] == "shipped"

    label = api.get(package["label_url"].removeprefix("/api/v1"))
    assert label.status_code == 200
    assert label.headers["content-type"] == "application/pdf"
    assert label.content.startswith(b"%PDF")
    bad_seq = f"/shipments/{shipment['number']}/packages/x/label.pdf"
    assert api.get(bad_seq).status_code == 422
    assert api.get(f"/shipments/{shipment['number']}/packages/9/label.pdf").status_code == 404
    slip = api.get(f"{fo_path}/packing-slip.pdf")
    assert slip.status_code == 200
    assert slip.content.startswith(b"%PDF")
    assert api.get("/fulfilment-orders/FO-999999999/packing-slip.pdf").status_code == 404
    receipt = api.get(f"/orders/{number}/receipt.pdf")
    assert receipt.status_code == 200
    assert receipt.content.startswith(b"%PDF")
    assert api.get("/orders/SO-999999999/receipt.pdf").status_code == 404

    assert shipment["number"] in [s["number"] for s in api.get("/shipments").json()]
    assert api.get("/shipments", params={"status": "flying"}).status_code == 422
    assert api.get(f"/shipments/{shipment['number']}").json()["status"] == "label_created"
    assert api.get("/shipments/SH-999999999").status_code == 404

    at = datetime.now(UTC).isoformat()
    scan = {"tracking_number": package["tracking_number"], "status": "delivered", "at": at}
    assert api.post("/tracking-events", {"events": [{**scan, "status": "lost"}]}).status_code == 422
    unknown = api.post("/tracking-events", {"events": [{**scan, "tracking_number": "XX1NL"}]})
    assert unknown.status_code == 404
    tracked = api.post("/tracking-events", {"events": [scan], "source": "carrier-webhook"})
    assert tracked.status_code == 200, tracked.text
    assert tracked.json()[0]["status"] == "delivered"
    assert api.get(f"/orders/{number}").json()["status"] == "delivered"

    # the customer's tracking page: a signed link, no sign-in
    link = api.get(f"/orders/{number}/tracking-link")
    assert link.status_code == 200
    url = link.json()["url"]
    assert api.get("/orders/SO-999999999/tracking-link").status_code == 404
    token = url.rsplit("/", 1)[1]
    page = httpx.get(f"{api.base_url.removesuffix('/api/v1')}/track/{token}")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert package["tracking_number"] in page.text
    assert "Delivered." in page.text
    assert number in page.text
    tampered = httpx.get(f"{api.base_url.removesuffix('/api/v1')}/track/{token[:-2]}xx")
    assert tampered.status_code == 404
    assert "could not find this order" in tampered.text
    assert number not in tampered.text


@pytest.mark.covers(
    "POST /pick-lists/{number}/shorts",
    "POST /fulfilment-orders/{number}/ready-for-pickup",
    "POST /fulfilment-orders/{number}/collect",
)
def test_a_pickup_is_picked_short_then_handed_over_with_its_code(
    api: ApiClient, server: RunningServer
) -> None:
    store = api.create_location(kind="store", can_pickup=True)
    product = api.create_product(
        [
            {
                "code": random_code("SKU"),
                "name": "Lamp",
                "prices": [{"currency": "EUR", "amount": "9.00"}],
            }
        ]
    )
    sku = str(product["skus"][0]["code"])
    api.receive(store, sku, 3)
    number = _order(api, store, sku, pickup_location=store, shipping_address=None)
    (fo,) = api.get("/fulfilment-orders", params={"order": number}).json()
    wave = api.post("/waves", {"location": store, "fulfilment_orders": [fo["number"]]}).json()
    plist = wave["pick_lists"][0]
    pick = plist["picks"][0]
    shorts = f"/pick-lists/{plist['number']}/shorts"
    assert api.post(shorts, {"pick_id": pick["id"], "missing": 0}).status_code == 422
    assert (
        api.post("/pick-lists/PL-999999999/shorts", {"pick_id": 1, "missing": 1}).status_code == 404
    )
    short = api.post(shorts, {"pick_id": pick["id"], "missing": 1, "note": "shelf empty"})
    assert short.status_code == 200, short.text
    assert short.json()["pick"]["short"] == 1
    api.post(f"/pick-lists/{plist['number']}/scans", {"code": sku, "pick_id": pick["id"]})

    path = f"/fulfilment-orders/{fo['number']}"
    assert api.post(f"{path}/collect", {"code": "123456"}).status_code == 409  # not ready
    assert api.post("/fulfilment-orders/FO-999999999/ready-for-pickup", {}).status_code == 404
    ready = api.post(f"{path}/ready-for-pickup", {})
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready_for_pickup"
    assert api.post(f"{path}/collect", {"code": ""}).status_code == 422
    wrong = api.post(f"{path}/collect", {"code": "not-it"})
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_pickup_code"
    assert api.post("/fulfilment-orders/FO-999999999/collect", {"code": "1"}).status_code == 404
    # the customer shows the code from their message (the ready_for_pickup event's payload)
    with server.db.reader() as uow:
        code = uow.conn.execute(
            sa.select(fulfilment_orders.c.pickup_code).where(
                fulfilment_orders.c.number == fo["number"]
            )
        ).scalar_one()
    collected = api.post(f"{path}/collect", {"code": code})
    assert collected.status_code == 200, collected.text
    assert collected.json()["status"] == "collected"
    # the unit found short was reserved again in the store: it is new work, to follow
    assert api.get(f"/orders/{number}").json()["status"] == "partially_shipped"
    again = api.get("/fulfilment-orders", params={"order": number, "status": "pending"}).json()
    assert [f["lines"][0]["quantity"] for f in again] == [1]


@pytest.mark.covers(
    "GET /boxes",
    "POST /boxes",
    "PUT /boxes/{code}",
    "GET /carriers",
    "POST /carriers",
    "PUT /carriers/{code}",
    "GET /carrier-services",
    "POST /carrier-services",
    "PUT /carrier-services/{code}",
    "GET /locations/{code}/fulfilment-settings",
    "PUT /locations/{code}/fulfilment-settings",
    "GET /channels/{code}/promise",
    "PUT /channels/{code}/promise",
)
def test_the_warehouse_settings_are_data(api: ApiClient) -> None:
    box = _box(api)
    assert box in [b["code"] for b in api.get("/boxes").json()]
    body = {
        "code": box,
        "name": "Small box",
        "length_mm": 250,
        "width_mm": 200,
        "height_mm": 150,
        "tare_g": 150,
        "max_weight_g": 100,  # lighter than its tare
        "cost": 60,
        "currency": "EUR",
    }
    refused = api.post("/boxes", {**body, "code": random_code("BX")})
    assert refused.status_code == 422
    assert "max_weight_g" in refused.text
    assert api.post("/boxes", {**body, "max_weight_g": 9000}).status_code == 409  # exists
    changed = api.put(f"/boxes/{box}", {**body, "max_weight_g": 9000, "cost": 75})
    assert changed.status_code == 200
    assert changed.json()["cost"] == 75
    assert api.put("/boxes/NO-SUCH-BOX", {**body, "max_weight_g": 9000}).status_code == 404

    service = _setup_carrier(api)
    (svc,) = [s for s in api.get("/carrier-services").json() if s["code"] == service]
    carrier = svc["carrier"]
    assert carrier in [c["code"] for c in api.get("/carriers").json()]
    bad_carrier = api.post(
        "/carriers",
        {
            "code": random_code("C"),
            "name": "X",
            "tracking_url": "no placeholder",
            "tracking_prefix": "XY",
        },
    )
    assert bad_carrier.status_code == 422
    c_body = {
        "code": carrier,
        "name": "Parcel Co",
        "tracking_url": "https://t.example/{tracking}",
        "tracking_prefix": "PQ",
    }
    assert api.put(f"/carriers/{carrier}", c_body).json()["tracking_prefix"] == "PQ"
    assert api.put("/carriers/NO-SUCH", c_body).status_code == 404
    unknown_carrier = api.post(
        "/carrier-services", {**svc, "code": random_code("S"), "carrier": "NOPE"}
    )
    assert unknown_carrier.status_code == 404
    broken = api.put(f"/carrier-services/{service}", {**svc, "breaks": [{"zone": "NL"}]})
    assert broken.status_code == 422
    assert (
        api.put(f"/carrier-services/{service}", {**svc, "cutoff": "16:00"}).json()["cutoff"]
        == "16:00"
    )
    assert api.put("/carrier-services/NO-SUCH", svc).status_code == 404

    location = api.create_location()
    path = f"/locations/{location}/fulfilment-settings"
    assert api.get(path).json()["pick_strategy"] == "single"
    saved = api.put(path, {"pick_strategy": "wave", "batch_size": 12, "pickup_days": 5})
    assert saved.status_code == 200
    assert api.get(path).json() == {"pick_strategy": "wave", "batch_size": 12, "pickup_days": 5}
    assert api.put(path, {"pick_strategy": "random"}).status_code == 422
    assert api.get("/locations/NO-SUCH/fulfilment-settings").status_code == 404
    assert api.put("/locations/NO-SUCH/fulfilment-settings", {}).status_code == 404

    channel = make_channel(api)
    promise = f"/channels/{channel}/promise"
    assert api.get(promise).json()["cutoff"] == "14:00"
    assert api.put(promise, {"cutoff": "25:00"}).status_code == 422
    ok = api.put(promise, {"cutoff": "15:30", "delivery_days": 2, "rate_policy": "fastest"})
    assert ok.status_code == 200
    assert api.get(promise).json()["rate_policy"] == "fastest"
    assert api.get("/channels/NO-SUCH/promise").status_code == 404
    assert api.put("/channels/NO-SUCH/promise", {}).status_code == 404
