"""The Shippo carrier API against recorded Shippo answers: requests, mapping, refusals, retries.

``RecordedShippo`` plays Shippo from the JSON fixtures in tests/fixtures/carriers/shippo: it
expects the requests of a scenario in order and keeps every request it gets. Like Shippo, it
keeps the transactions it was asked to create (with their ``metadata``) and lists them by
rate for ``GET /transactions?rate=…``, so a retried purchase meets what the first one did.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from openoms.fulfillment.carrier_api import (
    CarrierApi,
    CarrierMisconfigured,
    CarrierRate,
    CarrierRefused,
    CarrierUnavailable,
    Parcel,
    ParcelAddress,
    TrackingStatus,
)
from openoms.integrations.carriers.shippo import SHIPPO_API_VERSION, ShippoCarrierApi
from openoms.shared.errors import ValidationFailed

FIXTURES = Path(__file__).parents[2] / "fixtures" / "carriers" / "shippo"
API_KEY = "shippo_test_5f1a8c2e9d3b4a7f6e0c1b2a3d4e5f60718293a4"
RATE = "ec9f0d3adc9441449c85d315f0997fd5"
USPS_ACCOUNT = "d2ed2a63bef746218a32e15450ece9d9"
UPS_ACCOUNT = "7c4d2e1b9f3a4c6e8b0d2f4a6c8e0b1d"
TRANSACTION = "70ae8117ee1749e393f249d5b77c45e0"
TRACKING = "9205590164917312751089"
KEY = "label-FO-1001-1"
LISTED = "listed"  # a GET /transactions step: answered from what Shippo holds

WAREHOUSE = ParcelAddress(
    name="OpenOMS Warehouse",
    company="OpenOMS Demo Inc.",
    line1="965 Mission St",
    line2="",
    city="San Francisco",
    postal_code="94103",
    region="CA",
    country="US",
    phone="+1 415 555 0100",
    email="warehouse@openoms.example",
)
CUSTOMER = ParcelAddress(
    name="Ada Lovelace",
    company="",
    line1="2945 Sloat Blvd",
    line2="Apt 4",
    city="San Francisco",
    postal_code="94132",
    region="CA",
    country="US",
    email="ada@example.com",
)
BOX = Parcel(length_mm=305, width_mm=200, height_mm=120, weight_g=1250)


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


@dataclass
class Step:
    """One request Shippo expects, and what it answers."""

    method: str
    path: str
    answer: str | dict[str, Any]
    status: int = 200
    unreachable: bool = False  # the connection fails before Shippo sees the request
    answer_lost: bool = False  # Shippo acts, then the connection drops before the answer


@dataclass
class RecordedShippo:
    steps: list[Step]
    requests: list[httpx.Request] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.steps, f"unexpected request {request.method} {request.url.path}"
        step = self.steps.pop(0)
        assert (request.method, request.url.path) == (step.method, step.path)
        if step.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        answer = self._answer(request, step)
        if step.answer_lost:
            raise httpx.ReadError("connection reset by peer", request=request)
        if isinstance(answer, str):
            return httpx.Response(step.status, text=answer, headers={"content-type": "text/html"})
        return httpx.Response(step.status, json=answer)

    def _answer(self, request: httpx.Request, step: Step) -> str | dict[str, Any]:
        if step.answer == LISTED:
            rate = request.url.params["rate"]
            listed = [t for t in self.transactions if t["rate"] == rate]
            return {"next": None, "previous": None, "results": listed}
        if step.answer == "error_server":
            return str(fixture("error_server")["body"])
        answer = fixture(step.answer) if isinstance(step.answer, str) else step.answer
        if request.url.path == "/transactions" and request.method == "POST":
            sent = json.loads(request.content)
            answer = {**answer, "rate": sent["rate"], "metadata": sent["metadata"]}
            self.transactions.append(answer)
        return answer

    def api(self) -> ShippoCarrierApi:
        client = httpx.Client(transport=httpx.MockTransport(self))
        return ShippoCarrierApi(API_KEY, client=client)

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if (r.method, r.url.path) == (method, path)]


def shippo(*steps: Step) -> RecordedShippo:
    return RecordedShippo(list(steps))


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def purchase_steps(answer: str | dict[str, Any] = "transaction_success") -> list[Step]:
    return [
        Step("GET", f"/rates/{RATE}", "rate_usps_priority"),
        Step("GET", "/transactions", LISTED),
        Step("POST", "/transactions", answer, status=201),
    ]


# --- rates ----------------------------------------------------------------------------------


def test_rates_post_the_shipment_in_centimetres_and_grams() -> None:
    recorded = shippo(
        Step("POST", "/shipments", "shipment_rates", status=201),
        Step("GET", f"/carrier_accounts/{USPS_ACCOUNT}", "carrier_account_usps"),
        Step("GET", f"/carrier_accounts/{UPS_ACCOUNT}", "carrier_account_ups"),
    )

    recorded.api().rates(WAREHOUSE, CUSTOMER, [BOX], reference="FO-1001")

    request = recorded.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://api.goshippo.com/shipments"
    assert request.headers["Authorization"] == f"ShippoToken {API_KEY}"
    assert request.headers["Shippo-API-Version"] == SHIPPO_API_VERSION
    assert request.headers["Content-Type"] == "application/json"
    assert body(request) == {
        "address_from": {
            "name": "OpenOMS Warehouse",
            "company": "OpenOMS Demo Inc.",
            "street1": "965 Mission St",
            "city": "San Francisco",
            "state": "CA",
            "zip": "94103",
            "country": "US",
            "phone": "+1 415 555 0100",
            "email": "warehouse@openoms.example",
        },
        "address_to": {
            "name": "Ada Lovelace",
            "street1": "2945 Sloat Blvd",
            "street2": "Apt 4",
            "city": "San Francisco",
            "state": "CA",
            "zip": "94132",
            "country": "US",
            "email": "ada@example.com",
        },
        "parcels": [
            {
                "length": "30.5",
                "width": "20.0",
                "height": "12.0",
                "distance_unit": "cm",
                "weight": "1250",
                "mass_unit": "g",
            }
        ],
        "async": False,
        "metadata": "FO-1001",
    }


def test_rates_are_read_with_the_carrier_code_of_their_account() -> None:
    recorded = shippo(
        Step("POST", "/shipments", "shipment_rates", status=201),
        Step("GET", f"/carrier_accounts/{USPS_ACCOUNT}", "carrier_account_usps"),
        Step("GET", f"/carrier_accounts/{UPS_ACCOUNT}", "carrier_account_ups"),
    )

    rates = recorded.api().rates(WAREHOUSE, CUSTOMER, [BOX], reference="FO-1001")

    assert rates == [
        CarrierRate(RATE, "usps", "usps_priority", "Priority Mail", 937, "USD", 2, None),
        CarrierRate(
            "a5c9d1bec93149f5bedc3a9374b50970",
            "usps",
            "usps_ground_advantage",
            "Ground Advantage",
            545,
            "USD",
            3,
            None,
        ),
        CarrierRate(
            "3f6b9e2d1c4a4e8f9b7d5c3a1e2f4b6d",
            "ups",
            "ups_ground",
            "Ground",
            1280,
            "USD",
            None,
            None,
        ),
    ]
    # Each carrier account is read once, and kept for the next shipment.
    assert [r.url.path for r in recorded.requests if r.method == "GET"] == [
        f"/carrier_accounts/{USPS_ACCOUNT}",
        f"/carrier_accounts/{UPS_ACCOUNT}",
    ]


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("5.5", "EUR", 550), ("1250", "JPY", 1250), ("1.250", "KWD", 1250), ("12.80", "usd", 1280)],
)
def test_rate_amounts_count_the_minor_units_of_their_currency(
    amount: str, currency: str, minor: int
) -> None:
    shipment = fixture("shipment_rates")
    shipment["rates"] = [{**shipment["rates"][0], "amount": amount, "currency": currency}]
    recorded = shippo(
        Step("POST", "/shipments", shipment, status=201),
        Step("GET", f"/carrier_accounts/{USPS_ACCOUNT}", "carrier_account_usps"),
    )

    (rate,) = recorded.api().rates(WAREHOUSE, CUSTOMER, [BOX], reference="FO-1001")

    assert (rate.amount, rate.currency) == (minor, currency.upper())


@pytest.mark.parametrize(("amount", "currency"), [("9.375", "USD"), ("12.5", "JPY"), ("", "USD")])
def test_an_amount_the_currency_cannot_hold_is_not_guessed(amount: str, currency: str) -> None:
    shipment = fixture("shipment_rates")
    shipment["rates"] = [{**shipment["rates"][0], "amount": amount, "currency": currency}]
    recorded = shippo(
        Step("POST", "/shipments", shipment, status=201),
        Step("GET", f"/carrier_accounts/{USPS_ACCOUNT}", "carrier_account_usps"),
    )

    with pytest.raises(CarrierUnavailable):
        recorded.api().rates(WAREHOUSE, CUSTOMER, [BOX], reference="FO-1001")


def test_no_rate_with_shippos_reasons_is_a_refusal_in_shippos_words() -> None:
    shipment = fixture("shipment_rates")
    shipment["rates"] = []
    recorded = shippo(Step("POST", "/shipments", shipment, status=201))

    with pytest.raises(CarrierRefused) as refused:
        recorded.api().rates(WAREHOUSE, CUSTOMER, [BOX], reference="FO-1001")

    assert "DHL Express master account doesn't support" in refused.value.detail
    assert refused.value.kind == "conflict"


def test_a_shipment_without_parcels_is_refused_before_shippo_is_asked() -> None:
    recorded = shippo()

    with pytest.raises(ValidationFailed):
        recorded.api().rates(WAREHOUSE, CUSTOMER, [], reference="FO-1001")

    assert recorded.requests == []


def test_a_parcel_needs_positive_whole_dimensions() -> None:
    with pytest.raises(ValidationFailed) as invalid:
        Parcel(length_mm=0, width_mm=200, height_mm=120, weight_g=1250)

    assert [e.field for e in invalid.value.errors] == ["length_mm"]


# --- labels ---------------------------------------------------------------------------------


def test_buying_a_label_sends_the_rate_and_the_key_and_reads_the_label() -> None:
    recorded = shippo(
        *purchase_steps(),
        Step("GET", f"/carrier_accounts/{USPS_ACCOUNT}", "carrier_account_usps"),
    )

    label = recorded.api().buy_label(RATE, idempotency_key=KEY)

    (listing,) = recorded.sent("GET", "/transactions")
    assert dict(listing.url.params) == {"rate": RATE, "results": "100"}
    (purchase,) = recorded.sent("POST", "/transactions")
    assert purchase.headers["Authorization"] == f"ShippoToken {API_KEY}"
    assert body(purchase) == {
        "rate": RATE,
        "async": False,
        "label_file_type": "PDF",
        "metadata": KEY,
    }
    assert label.tracking_number == TRACKING
    assert label.reference == TRANSACTION
    assert (label.carrier, label.service) == ("usps", "usps_priority")
    assert (label.amount, label.currency) == (937, "USD")
    assert label.label_url is not None
    assert label.label_url.startswith("https://shippo-delivery-east.s3.amazonaws.com/")
    assert label.label_pdf is None


def test_a_refused_purchase_raises_carrier_refused_with_shippos_message() -> None:
    recorded = shippo(*purchase_steps("transaction_error"))

    with pytest.raises(CarrierRefused) as refused:
        recorded.api().buy_label(RATE, idempotency_key=KEY)

    assert refused.value.detail == (
        "Shippo could not buy the label: USPS: The address as submitted could not be found. "
        "Please check for excessive abbreviations in the street address line or in the City "
        "name."
    )
    assert refused.value.data["status"] == "ERROR"


def test_a_carrier_that_did_not_answer_shippo_is_unavailable_not_a_refusal() -> None:
    timeout = fixture("transaction_error")
    timeout["messages"] = [
        {
            "source": "UPS",
            "code": "carrier_timeout",
            "text": "UPS API did not respond. Please try again in a few minutes.",
        }
    ]
    recorded = shippo(*purchase_steps(timeout))

    with pytest.raises(CarrierUnavailable, match="UPS API did not respond"):
        recorded.api().buy_label(RATE, idempotency_key=KEY)


def test_a_retry_after_a_lost_answer_returns_the_first_label_and_buys_once() -> None:
    # given: Shippo bought the label, but its answer never arrived
    lost = purchase_steps()
    lost[-1].answer_lost = True
    recorded = shippo(
        *lost,
        Step("GET", f"/rates/{RATE}", "rate_usps_priority"),
        Step("GET", "/transactions", LISTED),
        Step("GET", f"/carrier_accounts/{USPS_ACCOUNT}", "carrier_account_usps"),
    )
    api = recorded.api()
    with pytest.raises(CarrierUnavailable, match="retried with the same key"):
        api.buy_label(RATE, idempotency_key=KEY)

    # when
    label = api.buy_label(RATE, idempotency_key=KEY)

    # then
    assert len(recorded.sent("POST", "/transactions")) == 1
    assert label.reference == TRANSACTION
    assert label.tracking_number == TRACKING
    assert not recorded.steps


def test_a_retry_after_a_failed_attempt_buys_again() -> None:
    recorded = shippo(
        *purchase_steps("transaction_error"),
        *purchase_steps("transaction_success"),
        Step("GET", f"/carrier_accounts/{USPS_ACCOUNT}", "carrier_account_usps"),
    )
    api = recorded.api()
    with pytest.raises(CarrierRefused):
        api.buy_label(RATE, idempotency_key=KEY)

    label = api.buy_label(RATE, idempotency_key=KEY)

    assert len(recorded.sent("POST", "/transactions")) == 2
    assert label.reference == TRANSACTION


def test_a_label_bought_under_another_key_does_not_answer_this_key() -> None:
    recorded = shippo(
        *purchase_steps(),
        Step("GET", f"/carrier_accounts/{USPS_ACCOUNT}", "carrier_account_usps"),
        *purchase_steps(),
    )
    api = recorded.api()
    api.buy_label(RATE, idempotency_key="label-FO-1001-1")

    api.buy_label(RATE, idempotency_key="label-FO-1001-2")

    assert [body(r)["metadata"] for r in recorded.sent("POST", "/transactions")] == [
        "label-FO-1001-1",
        "label-FO-1001-2",
    ]


def test_a_key_longer_than_shippos_metadata_is_sent_hashed_and_stable() -> None:
    long_key = "label-" + "x" * 200
    recorded = shippo(
        *purchase_steps(),
        Step("GET", f"/carrier_accounts/{USPS_ACCOUNT}", "carrier_account_usps"),
        Step("GET", f"/rates/{RATE}", "rate_usps_priority"),
        Step("GET", "/transactions", LISTED),
    )
    api = recorded.api()

    first = api.buy_label(RATE, idempotency_key=long_key)
    again = api.buy_label(RATE, idempotency_key=long_key)

    (purchase,) = recorded.sent("POST", "/transactions")
    assert len(body(purchase)["metadata"]) <= 100
    assert first == again


def test_a_purchase_still_running_under_the_key_is_unavailable_not_bought_again() -> None:
    recorded = shippo(
        Step("GET", f"/rates/{RATE}", "rate_usps_priority"),
        Step("GET", "/transactions", LISTED),
    )
    running = {**fixture("transaction_success"), "status": "QUEUED", "metadata": KEY}
    recorded.transactions.append(running)

    with pytest.raises(CarrierUnavailable, match="still buying"):
        recorded.api().buy_label(RATE, idempotency_key=KEY)

    assert recorded.sent("POST", "/transactions") == []


def test_an_unknown_rate_is_refused_and_nothing_is_bought() -> None:
    recorded = shippo(Step("GET", f"/rates/{RATE}", "error_not_found", status=404))

    with pytest.raises(CarrierRefused, match=r"Not found\."):
        recorded.api().buy_label(RATE, idempotency_key=KEY)

    assert recorded.sent("POST", "/transactions") == []


def test_buying_needs_an_idempotency_key() -> None:
    with pytest.raises(ValidationFailed):
        shippo().api().buy_label(RATE, idempotency_key="")


def test_the_label_document_is_fetched_from_its_link_without_the_shippo_token() -> None:
    url = fixture("transaction_success")["label_url"]
    seen: list[httpx.Request] = []

    def storage(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"%PDF-1.4\n%label\n")

    api = ShippoCarrierApi(API_KEY, client=httpx.Client(transport=httpx.MockTransport(storage)))

    assert api.download_label(url) == b"%PDF-1.4\n%label\n"
    (request,) = seen
    assert str(request.url) == url
    assert "Authorization" not in request.headers


def test_an_expired_label_link_is_refused() -> None:
    def storage(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")

    api = ShippoCarrierApi(API_KEY, client=httpx.Client(transport=httpx.MockTransport(storage)))

    with pytest.raises(CarrierRefused, match="may have expired"):
        api.download_label("https://shippo-delivery-east.s3.amazonaws.com/x.pdf")


# --- failures -------------------------------------------------------------------------------


def test_a_network_error_is_unavailable_and_names_shippo() -> None:
    recorded = shippo(Step("POST", "/shipments", "shipment_rates", unreachable=True))

    with pytest.raises(CarrierUnavailable) as unavailable:
        recorded.api().rates(WAREHOUSE, CUSTOMER, [BOX], reference="FO-1001")

    assert "Shippo could not be reached (ConnectError)" in unavailable.value.detail
    assert unavailable.value.data["provider"] == "shippo"
    assert unavailable.value.kind == "unavailable"


def test_a_timeout_is_unavailable() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    api = ShippoCarrierApi(API_KEY, client=httpx.Client(transport=httpx.MockTransport(slow)))

    with pytest.raises(CarrierUnavailable, match="ReadTimeout"):
        api.track("usps", TRACKING)


def test_a_server_error_is_unavailable() -> None:
    server = fixture("error_server")
    recorded = shippo(
        Step("POST", "/shipments", "error_server", status=server["status"]),
    )

    with pytest.raises(CarrierUnavailable, match="Shippo answered 503") as unavailable:
        recorded.api().rates(WAREHOUSE, CUSTOMER, [BOX], reference="FO-1001")

    assert unavailable.value.data["status"] == 503


def test_a_bad_key_is_misconfigured() -> None:
    recorded = shippo(Step("POST", "/shipments", "error_auth", status=401))

    with pytest.raises(CarrierMisconfigured) as misconfigured:
        recorded.api().rates(WAREHOUSE, CUSTOMER, [BOX], reference="FO-1001")

    assert misconfigured.value.detail == "Shippo refused the API key (401): Token does not exist"
    assert misconfigured.value.kind == "unavailable"


def test_a_missing_key_is_misconfigured_before_any_call() -> None:
    with pytest.raises(CarrierMisconfigured, match="not set"):
        ShippoCarrierApi("")


def test_a_field_error_is_a_refusal_naming_the_field() -> None:
    refusal = {"address_to": {"zip": ["This field is required."]}}
    recorded = shippo(Step("POST", "/shipments", refusal, status=400))

    with pytest.raises(CarrierRefused, match=r"address_to\.zip: This field is required\."):
        recorded.api().rates(WAREHOUSE, CUSTOMER, [BOX], reference="FO-1001")


# --- tracking -------------------------------------------------------------------------------


def test_tracking_maps_shippos_statuses_and_substatuses() -> None:
    recorded = shippo(Step("GET", f"/tracks/usps/{TRACKING}", "track"))

    updates = recorded.api().track("usps", TRACKING)

    (request,) = recorded.requests
    assert request.headers["Authorization"] == f"ShippoToken {API_KEY}"
    assert [(u.status, u.at, u.description) for u in updates] == [
        (
            TrackingStatus.ACCEPTED,
            datetime(2026, 5, 4, 17, 41, tzinfo=UTC),
            "USPS in possession of item",
        ),
        (
            TrackingStatus.IN_TRANSIT,
            datetime(2026, 5, 5, 3, 12, tzinfo=UTC),
            "Departed USPS Regional Facility",
        ),
        (
            TrackingStatus.OUT_FOR_DELIVERY,
            datetime(2026, 5, 5, 13, 5, tzinfo=UTC),
            "Out for Delivery, Expected Delivery by 9:00pm",
        ),
        (
            TrackingStatus.EXCEPTION,
            datetime(2026, 5, 5, 19, 48, tzinfo=UTC),
            "Delivery Attempted - No Access to Delivery Location",
        ),
    ]
    assert updates[0].location == "San Francisco, CA 94103, US"
    assert [u.eta for u in updates] == [None, None, None, datetime(2026, 5, 6, 23, tzinfo=UTC)]
    assert all(u.at.tzinfo is UTC for u in updates)


@pytest.mark.parametrize(
    ("status", "substatus", "expected"),
    [
        ("RETURNED", "return_to_sender", TrackingStatus.EXCEPTION),
        ("FAILURE", "package_lost", TrackingStatus.EXCEPTION),
        ("TRANSIT", "address_issue", TrackingStatus.EXCEPTION),
        ("TRANSIT", "package_departed", TrackingStatus.IN_TRANSIT),
        ("TRANSIT", "pickup_available", TrackingStatus.IN_TRANSIT),
        ("DELIVERED", "delivered", TrackingStatus.DELIVERED),
        ("PRE_TRANSIT", "information_received", None),
        ("UNKNOWN", "other", None),
    ],
)
def test_each_shippo_status_maps_to_one_step_or_none(
    status: str, substatus: str, expected: TrackingStatus | None
) -> None:
    track = fixture("track")
    event = {
        **track["tracking_status"],
        "status": status,
        "substatus": {"code": substatus, "text": "", "action_required": False},
    }
    track["tracking_history"] = [event]
    track["tracking_status"] = event
    recorded = shippo(Step("GET", f"/tracks/usps/{TRACKING}", track))

    updates = recorded.api().track("usps", TRACKING)

    assert [u.status for u in updates] == ([] if expected is None else [expected])


def test_the_latest_status_counts_even_when_the_history_lags() -> None:
    track = fixture("track")
    track["tracking_history"] = track["tracking_history"][:2]
    recorded = shippo(Step("GET", f"/tracks/usps/{TRACKING}", track))

    updates = recorded.api().track("usps", TRACKING)

    assert [u.status for u in updates] == [TrackingStatus.ACCEPTED, TrackingStatus.EXCEPTION]


def test_a_track_updated_webhook_gives_the_number_and_its_updates() -> None:
    api = shippo().api()

    number, updates = api.parse_tracking_webhook(fixture("track_updated_webhook"))

    assert number == TRACKING
    assert [u.status for u in updates] == [
        TrackingStatus.ACCEPTED,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.EXCEPTION,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    delivered = updates[-1]
    assert delivered.at == datetime(2026, 5, 6, 17, 21, tzinfo=UTC)
    assert delivered.location == "San Francisco, CA 94132, US"
    assert delivered.description == "Delivered, In/At Mailbox"


def test_a_webhook_of_another_event_is_not_read_as_tracking() -> None:
    body = copy.deepcopy(fixture("track_updated_webhook"))
    body["event"] = "transaction_updated"

    with pytest.raises(ValidationFailed):
        ShippoCarrierApi.parse_tracking_webhook(body)


def test_the_adapter_is_a_carrier_api() -> None:
    api: CarrierApi = shippo().api()

    assert callable(api.rates)
    assert callable(api.buy_label)
    assert callable(api.track)
