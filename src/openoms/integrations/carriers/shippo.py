"""Shippo as a carrier API: rates, labels and tracking over Shippo's REST API (httpx).

Every request carries ``Authorization: ShippoToken <key>`` and pins the API version with
``Shippo-API-Version: 2018-02-08`` (the current and only version), so an account upgrade
never changes the shape of the answers read here. Sources: the API reference at
https://docs.goshippo.com/api-reference (shipments, transactions, tracks, webhooks) and the
models of Shippo's own SDK generated from the same OpenAPI file
(github.com/goshippo/shippo-python-sdk, ``src/shippo/models``).

Rates: ``POST /shipments`` with ``address_from``, ``address_to``, ``parcels`` and
``async: false`` answers the shipment with all its ``rates``. Parcels go in centimetres
(``distance_unit: "cm"``; a millimetre count is exact with one decimal) and grams
(``mass_unit: "g"``), as strings. A rate's ``amount`` is a decimal string in ``currency``,
the currency of the sender's country that the account pays in (``amount_local`` is the
recipient's). A rate names its carrier for people (``provider``: "USPS") and by carrier
account; the carrier code tracking takes (``usps``) is that account's ``carrier``
(``GET /carrier_accounts/{id}``), read once per account and kept. Shippo gives a transit
time in days (``estimated_days``) and a time of day (``arrives_by``), never a date.

Labels: ``POST /transactions`` with ``rate``, ``async: false`` and ``label_file_type: "PDF"``
answers the transaction: ``status`` ``SUCCESS`` with ``tracking_number`` and ``label_url``
(a signed link that expires), or ``ERROR`` with ``messages`` (``source``, ``code``,
``text``); ``code: "carrier_timeout"`` is the carrier not answering, not a refusal. For a
purchase from a rate the answer's ``rate`` is only the rate's id, so price and service come
from ``GET /rates/{id}``. Rates can be bought for 7 days.

Idempotency: ``POST /transactions`` takes no idempotency key (the SDK's operation declares
no such header; only Shippo's newer ``POST /automations/labels`` requires an
``Idempotency-Key``). So the caller's key goes into the transaction's ``metadata`` (a free
string of up to 100 characters; longer keys are hashed), and before buying, the adapter
lists the transactions of the same rate (``GET /transactions?rate=<id>``: the documented
filters are ``rate``, ``object_status`` and ``tracking_status``, with ``results`` up to 100)
and answers the label found under the key instead of buying again. A retry after a lost
answer therefore returns the first label; attempts that ended in ``ERROR`` bought nothing
and are tried again.

Tracking: ``GET /tracks/{carrier}/{tracking_number}`` answers ``tracking_status`` (the
latest event) and ``tracking_history`` (all events, oldest first); each event has
``status`` (PRE_TRANSIT, TRANSIT, DELIVERED, RETURNED, FAILURE, UNKNOWN), ``substatus``
(``code``, ``text``, ``action_required``), ``status_details``, ``status_date`` (UTC) and
``location`` (``city``, ``state``, ``zip``, ``country``). The ``track_updated`` webhook
posts ``{"event": "track_updated", "test": …, "data": <the same track object>}``.
PRE_TRANSIT (label created, the carrier has nothing yet) and UNKNOWN tell nothing the
label did not, and give no update; TRANSIT is ``accepted`` for the substatus
``package_accepted``, ``out_for_delivery`` for ``out_for_delivery``, ``exception`` for the
substatuses that need someone to act (address issue, failed attempt, notice left, damage…)
and ``in_transit`` otherwise; RETURNED and FAILURE are exceptions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import httpx

from openoms.fulfillment.carrier_api import (
    CarrierMisconfigured,
    CarrierRate,
    CarrierRefused,
    CarrierUnavailable,
    Parcel,
    ParcelAddress,
    PurchasedLabel,
    TrackingStatus,
    TrackingUpdate,
)
from openoms.shared.errors import OmsError, ValidationFailed
from openoms.shared.money import decimals, validate_currency

DEFAULT_BASE_URL: Final = "https://api.goshippo.com"
SHIPPO_API_VERSION: Final = "2018-02-08"
DEFAULT_TIMEOUT: Final = 30.0
PROVIDER: Final = "shippo"
LABEL_FILE_TYPE: Final = "PDF"
_MAX_METADATA: Final = 100  # Shippo's limit for every ``metadata`` string
_PAGE: Final = 100  # the largest page GET /transactions gives

# Transaction states: a valid label exists (a refused refund leaves it valid), the purchase
# is still running, the label was voided.
_BOUGHT: Final = frozenset({"SUCCESS", "REFUNDREJECTED"})
_RUNNING: Final = frozenset({"QUEUED", "WAITING"})
_VOIDED: Final = frozenset({"REFUNDED", "REFUNDPENDING"})
_CARRIER_DOWN: Final = frozenset({"carrier_timeout"})

_STATUSES: Final = {
    "TRANSIT": TrackingStatus.IN_TRANSIT,
    "DELIVERED": TrackingStatus.DELIVERED,
    "RETURNED": TrackingStatus.EXCEPTION,
    "FAILURE": TrackingStatus.EXCEPTION,
}
# TRANSIT substatuses that say more than "in transit"; the exceptions are the ones Shippo
# flags ``action_required`` (except ``pickup_available``, which is the parcel waiting).
_TRANSIT_SUBSTATUSES: Final = {
    "package_accepted": TrackingStatus.ACCEPTED,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "address_issue": TrackingStatus.EXCEPTION,
    "contact_carrier": TrackingStatus.EXCEPTION,
    "delivery_attempted": TrackingStatus.EXCEPTION,
    "location_inaccessible": TrackingStatus.EXCEPTION,
    "notice_left": TrackingStatus.EXCEPTION,
    "package_damaged": TrackingStatus.EXCEPTION,
    "reschedule_delivery": TrackingStatus.EXCEPTION,
}


class ShippoCarrierApi:
    """Labels of any carrier the Shippo account has, through Shippo (``CarrierApi``).

    ``api_key`` is a live or test token (``shippo_live_…``/``shippo_test_…``). ``client``
    replaces the HTTP client (tests pass one over an ``httpx.MockTransport``); the adapter
    closes only a client it made.
    """

    name = PROVIDER

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        client: httpx.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        api_version: str = SHIPPO_API_VERSION,
    ) -> None:
        if not api_key:
            raise CarrierMisconfigured("The Shippo API key is not set.", provider=PROVIDER)
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._api_version = api_version
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)
        self._carriers: dict[str, str] = {}  # carrier account id -> carrier code

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> ShippoCarrierApi:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the carrier API ---------------------------------------------------------------------

    def rates(
        self,
        ship_from: ParcelAddress,
        ship_to: ParcelAddress,
        parcels: Sequence[Parcel],
        *,
        reference: str,
    ) -> list[CarrierRate]:
        """What every active carrier account of the Shippo account asks for the shipment.

        Raises: ValidationFailed (no parcels), CarrierRefused (the shipment is refused, or
        no carrier quotes and Shippo says why), CarrierUnavailable, CarrierMisconfigured.
        """
        if not parcels:
            raise ValidationFailed.single("parcels", "A shipment needs at least one parcel.")
        shipment = self._call(
            "POST",
            "/shipments",
            json={
                "address_from": _address(ship_from),
                "address_to": _address(ship_to),
                "parcels": [_parcel(parcel) for parcel in parcels],
                "async": False,
                "metadata": reference[:_MAX_METADATA],
            },
        )
        found = [_obj(rate) for rate in _list(shipment.get("rates"))]
        if not found and (why := _describe(shipment.get("messages"))):
            raise CarrierRefused(
                f"No carrier quoted for {reference}: {why}", provider=PROVIDER, reference=reference
            )
        return [self._rate(rate) for rate in found]

    def buy_label(self, rate_id: str, *, idempotency_key: str) -> PurchasedLabel:
        """Buy the label of ``rate_id``, once per key: a repeated call answers the label
        bought under the key the first time.

        Raises: ValidationFailed (no rate id or key), CarrierRefused (an unknown or expired
        rate, a label the carrier refused, the key's label voided), CarrierUnavailable (also
        while a purchase under the key is still running), CarrierMisconfigured.
        """
        key = _key(idempotency_key)
        if not rate_id:
            raise ValidationFailed.single("rate_id", "A label is bought for a rate id.")
        rate = self._call("GET", f"/rates/{_segment(rate_id)}")
        transaction = self._bought_under(rate_id, key)
        if transaction is None:
            body = {
                "rate": rate_id,
                "async": False,
                "label_file_type": LABEL_FILE_TYPE,
                "metadata": key,
            }
            transaction = self._call("POST", "/transactions", json=body)
        return self._label(transaction, rate)

    def track(self, carrier: str, tracking_number: str) -> list[TrackingUpdate]:
        """The carrier's scans of ``tracking_number``, oldest first (``carrier`` is Shippo's
        carrier code, as ``CarrierRate.carrier`` and ``PurchasedLabel.carrier`` give it).

        Raises: ValidationFailed (no carrier or number), CarrierRefused (Shippo does not
        know the carrier), CarrierUnavailable, CarrierMisconfigured.
        """
        if not carrier or not tracking_number:
            raise ValidationFailed.single("tracking_number", "Tracking needs a carrier and number.")
        track = self._call("GET", f"/tracks/{_segment(carrier)}/{_segment(tracking_number)}")
        return _updates(track)

    # --- beyond the protocol -----------------------------------------------------------------

    @staticmethod
    def parse_tracking_webhook(body: Mapping[str, Any]) -> tuple[str, list[TrackingUpdate]]:
        """The tracking number and scans of Shippo's ``track_updated`` webhook body. Checking
        that the body came from Shippo is the receiving route's work.

        Raises: ValidationFailed (another event, or no tracking number).
        """
        event = body.get("event")
        if event != "track_updated":
            raise ValidationFailed.single("event", f"Not a Shippo track_updated event: {event!r}.")
        track = _obj(body.get("data"))
        number = _text(track.get("tracking_number"))
        if not number:
            raise ValidationFailed.single(
                "data.tracking_number", "The event has no tracking number."
            )
        return number, _updates(track)

    def download_label(self, url: str) -> bytes:
        """The label document behind a ``label_url``: a signed link on Shippo's storage,
        fetched without the Shippo token.

        Raises: CarrierRefused (the link is refused, e.g. expired), CarrierUnavailable.
        """
        with _network("GET", "the label link"):
            response = self._client.get(url, timeout=self._timeout)
        status = response.status_code
        if status == 429 or status >= 500:
            raise CarrierUnavailable(
                f"Shippo's label storage answered {status}; try again.", provider=PROVIDER
            )
        if not response.is_success:
            raise CarrierRefused(
                f"The label link was refused ({status}); it may have expired.", provider=PROVIDER
            )
        return response.content

    # --- reading answers ---------------------------------------------------------------------

    def _rate(self, rate: Mapping[str, Any]) -> CarrierRate:
        level = _obj(rate.get("servicelevel"))
        currency = _text(rate.get("currency")).upper()
        days = rate.get("estimated_days")
        return CarrierRate(
            rate_id=_text(rate.get("object_id")),
            carrier=self._carrier(rate),
            service=_text(level.get("token")),
            service_name=_text(level.get("name")),
            amount=_minor(rate.get("amount"), currency),
            currency=currency,
            transit_days=days if isinstance(days, int) and not isinstance(days, bool) else None,
            delivery_date=None,
        )

    def _carrier(self, rate: Mapping[str, Any]) -> str:
        account = _text(rate.get("carrier_account"))
        fallback = _text(rate.get("provider")).lower()
        if not account:
            return fallback
        if account not in self._carriers:
            found = self._call("GET", f"/carrier_accounts/{_segment(account)}")
            self._carriers[account] = _text(found.get("carrier")) or fallback
        return self._carriers[account]

    def _bought_under(self, rate_id: str, key: str) -> dict[str, Any] | None:
        """The transaction of ``rate_id`` made under ``key`` that counts, best first: a
        label, a purchase still running, a voided label; failed attempts bought nothing."""
        page = self._call("GET", "/transactions", params={"rate": rate_id, "results": _PAGE})
        mine = [_obj(t) for t in _list(page.get("results")) if _obj(t).get("metadata") == key]
        for states in (_BOUGHT, _RUNNING, _VOIDED):
            for transaction in mine:
                if transaction.get("status") in states:
                    return transaction
        return None

    def _label(self, transaction: Mapping[str, Any], rate: Mapping[str, Any]) -> PurchasedLabel:
        status = _text(transaction.get("status"))
        reference = _text(transaction.get("object_id"))
        data = {"provider": PROVIDER, "reference": reference, "status": status}
        if status in _BOUGHT:
            currency = _text(rate.get("currency")).upper()
            return PurchasedLabel(
                tracking_number=_text(transaction.get("tracking_number")),
                label_pdf=None,
                label_url=_text(transaction.get("label_url")) or None,
                carrier=self._carrier(rate),
                service=_text(_obj(rate.get("servicelevel")).get("token")),
                amount=_minor(rate.get("amount"), currency),
                currency=currency,
                reference=reference,
            )
        if status in _RUNNING:
            raise CarrierUnavailable(
                f"Shippo is still buying the label ({reference}); retry with the same key.", **data
            )
        if status in _VOIDED:
            raise CarrierRefused(
                f"The label bought under this key was voided ({reference}).", **data
            )
        why = _describe(transaction.get("messages")) or "no reason given"
        codes = {_obj(m).get("code") for m in _list(transaction.get("messages"))}
        if status == "ERROR" and codes & _CARRIER_DOWN:
            raise CarrierUnavailable(f"The carrier did not answer Shippo: {why}", **data)
        if status == "ERROR":
            raise CarrierRefused(f"Shippo could not buy the label: {why}", **data)
        raise CarrierUnavailable(f"Shippo answered a label in state {status!r}.", **data)

    # --- HTTP --------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> dict[str, Any]:
        headers = {
            "Authorization": f"ShippoToken {self._api_key}",
            "Shippo-API-Version": self._api_version,
            "Accept": "application/json",
        }
        with _network(method, path):
            response = self._client.request(
                method,
                self._base_url + path,
                json=json,
                params=params,
                headers=headers,
                timeout=self._timeout,
            )
        body = _json(response)
        if response.is_success:
            return body
        raise _failure(response.status_code, body, f"{method} {path}")


def _failure(status: int, body: Mapping[str, Any], call: str) -> OmsError:
    detail = _describe(body) or f"HTTP {status}"
    data = {"provider": PROVIDER, "status": status}
    if status in (401, 403):
        return CarrierMisconfigured(f"Shippo refused the API key ({status}): {detail}", **data)
    if status == 429 or status >= 500:
        return CarrierUnavailable(
            f"Shippo answered {status} to {call}; the call may be retried with the same key.",
            **data,
        )
    if status == 404:
        return CarrierRefused(f"Shippo has no such object ({call}): {detail}", **data)
    return CarrierRefused(f"Shippo refused {call}: {detail}", **data)


# --- requests -----------------------------------------------------------------------------------


def _address(address: ParcelAddress) -> dict[str, str]:
    fields = {
        "name": address.name,
        "company": address.company,
        "street1": address.line1,
        "street2": address.line2,
        "city": address.city,
        "state": address.region,
        "zip": address.postal_code,
        "country": address.country,
        "phone": address.phone,
        "email": address.email,
    }
    return {name: value for name, value in fields.items() if value}


def _parcel(parcel: Parcel) -> dict[str, str]:
    return {
        "length": _cm(parcel.length_mm),
        "width": _cm(parcel.width_mm),
        "height": _cm(parcel.height_mm),
        "distance_unit": "cm",
        "weight": str(parcel.weight_g),
        "mass_unit": "g",
    }


def _cm(millimetres: int) -> str:
    return format(Decimal(millimetres).scaleb(-1), "f")


def _key(idempotency_key: str) -> str:
    if not idempotency_key:
        raise ValidationFailed.single("idempotency_key", "Buying a label needs an idempotency key.")
    if len(idempotency_key) <= _MAX_METADATA:
        return idempotency_key
    return "oms-" + hashlib.sha256(idempotency_key.encode()).hexdigest()


def _segment(value: str) -> str:
    return quote(value, safe="")


# --- tracking -----------------------------------------------------------------------------------


def _updates(track: Mapping[str, Any]) -> list[TrackingUpdate]:
    events = [_obj(event) for event in _list(track.get("tracking_history"))]
    latest = _obj(track.get("tracking_status"))
    if latest and not any(_same_event(latest, event) for event in events):
        events.append(latest)
    updates = sorted(
        (update for event in events if (update := _update(event)) is not None),
        key=lambda update: update.at,
    )
    eta = _time(track.get("eta"))
    if updates and eta is not None:
        updates[-1] = replace(updates[-1], eta=eta)
    return updates


def _update(event: Mapping[str, Any]) -> TrackingUpdate | None:
    substatus = _obj(event.get("substatus"))
    status = _status(_text(event.get("status")), _text(substatus.get("code")))
    at = _time(event.get("status_date")) or _time(event.get("object_created"))
    if status is None or at is None:
        return None
    return TrackingUpdate(
        status=status,
        at=at,
        location=_location(_obj(event.get("location"))),
        description=_text(event.get("status_details")) or _text(substatus.get("text")),
        eta=None,
    )


def _status(status: str, substatus: str) -> TrackingStatus | None:
    if status == "TRANSIT":
        return _TRANSIT_SUBSTATUSES.get(substatus, TrackingStatus.IN_TRANSIT)
    return _STATUSES.get(status)


def _same_event(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if a.get("object_id") and a.get("object_id") == b.get("object_id"):
        return True
    fields = ("status", "status_date", "status_details")
    return all(a.get(name) == b.get(name) for name in fields)


def _location(location: Mapping[str, Any]) -> str:
    area = " ".join(
        part for part in (_text(location.get("state")), _text(location.get("zip"))) if part
    )
    parts = (_text(location.get("city")), area, _text(location.get("country")))
    return ", ".join(part for part in parts if part)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:  # Shippo's times are UTC, written with or without the Z
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# --- small helpers ------------------------------------------------------------------------------


def _minor(amount: Any, currency: str) -> int:
    """A decimal string in ``currency`` as minor units (ISO 4217 decimals)."""
    try:
        validate_currency(currency)
        value = Decimal(str(amount)).scaleb(decimals(currency))
    except (InvalidOperation, ValidationFailed):
        value = Decimal("NaN")
    if not value.is_finite() or value != value.to_integral_value():
        raise CarrierUnavailable(
            f"Shippo answered an amount that is not one in {currency!r}: {amount!r}.",
            provider=PROVIDER,
        )
    return int(value)


def _describe(value: Any, field: str = "") -> str:
    """Shippo's messages as one line: ``{"detail": …}``, field errors
    (``{"parcels": ["This field is required."]}``) and ``messages`` lists alike."""
    if isinstance(value, str):
        return f"{field}: {value}" if field else value
    if isinstance(value, list):
        return "; ".join(text for item in value if (text := _describe(item, field)))
    if not isinstance(value, Mapping):
        return ""
    if "text" in value:  # a message: {"source", "code", "text"}
        source = _text(value.get("source"))
        return f"{source}: {_text(value.get('text'))}" if source else _text(value.get("text"))
    parts = (_describe(item, _field(field, name)) for name, item in value.items())
    return "; ".join(part for part in parts if part)


def _field(parent: str, name: str) -> str:
    if name in ("detail", "messages", "non_field_errors"):
        return parent
    return f"{parent}.{name}" if parent else name


@contextmanager
def _network(method: str, what: str) -> Iterator[None]:
    try:
        yield
    except httpx.TransportError as e:
        raise CarrierUnavailable(
            f"Shippo could not be reached ({type(e).__name__}) for {method} {what}; "
            "the call may be retried with the same key.",
            provider=PROVIDER,
        ) from e


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if response.is_success:
        raise CarrierUnavailable(
            f"Shippo answered {response.status_code} with a body that is not a JSON object.",
            provider=PROVIDER,
            status=response.status_code,
        )
    text = response.text.strip()
    return {"detail": text[:200]} if text else {}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
