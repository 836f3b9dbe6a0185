"""What fulfilment asks of a real carrier API: rates, labels and tracking, and its errors.

Pure: no framework, no HTTP. An adapter over a provider's API (``integrations/carriers``)
implements ``CarrierApi``; services depend on the protocol only and call it between
transactions, never inside one. Amounts are integer minor units of their currency, lengths
millimetres, weights grams, times timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from openoms.shared.errors import FieldError, OmsError, ValidationFailed


@dataclass(frozen=True)
class ParcelAddress:
    """Where a parcel comes from or goes to, as a label prints it. ``country`` is ISO 3166-1
    alpha-2; ``region`` is the state or province where the country has them."""

    name: str
    company: str
    line1: str
    line2: str
    city: str
    postal_code: str
    region: str
    country: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Parcel:
    """One box: outer dimensions in millimetres, gross weight in grams."""

    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int

    def __post_init__(self) -> None:
        errors = [
            FieldError(name, "must be a whole number above zero")
            for name in ("length_mm", "width_mm", "height_mm", "weight_g")
            if not _positive_int(getattr(self, name))
        ]
        if errors:
            raise ValidationFailed(errors, "A parcel needs positive dimensions and weight.")


@dataclass(frozen=True)
class CarrierRate:
    """One price a carrier quotes for a shipment. ``rate_id`` is what ``buy_label`` takes;
    ``carrier`` is the code ``track`` takes; ``service`` the provider's service code.
    ``transit_days`` and ``delivery_date`` are the carrier's estimate, when it gives one."""

    rate_id: str
    carrier: str
    service: str
    service_name: str
    amount: int  # minor units of ``currency``
    currency: str
    transit_days: int | None
    delivery_date: date | None


@dataclass(frozen=True)
class PurchasedLabel:
    """A bought label. ``reference`` is the provider's id of the purchase; ``label_pdf`` is
    set when the adapter fetched the document, else ``label_url`` says where it lies."""

    tracking_number: str
    label_pdf: bytes | None
    label_url: str | None
    carrier: str
    service: str
    amount: int  # minor units of ``currency``
    currency: str
    reference: str


class TrackingStatus(StrEnum):
    """The steps a carrier reports, named as the shipment's statuses
    (``fulfillment.model.ShipmentStatus``) after the label is created."""

    ACCEPTED = "accepted"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


@dataclass(frozen=True)
class TrackingUpdate:
    """One carrier scan. ``at`` is when the carrier scanned (aware UTC); ``eta`` the
    delivery the carrier expects, as known when the update was read."""

    status: TrackingStatus
    at: datetime
    location: str
    description: str
    eta: datetime | None


class CarrierApi(Protocol):
    """A carrier's (or a multi-carrier provider's) API as fulfilment uses it.

    ``buy_label`` spends money: the same ``idempotency_key`` must never buy a second label,
    so a call whose answer was lost is repeated with the same key.

    Errors: CarrierUnavailable (network, timeout, 5xx: retry, with the same key),
    CarrierMisconfigured (credentials refused: an operator must fix the settings),
    CarrierRefused (the provider said no: invalid address, expired rate…).
    """

    def rates(
        self,
        ship_from: ParcelAddress,
        ship_to: ParcelAddress,
        parcels: Sequence[Parcel],
        *,
        reference: str,
    ) -> list[CarrierRate]: ...

    def buy_label(self, rate_id: str, *, idempotency_key: str) -> PurchasedLabel: ...

    def track(self, carrier: str, tracking_number: str) -> list[TrackingUpdate]: ...


class CarrierUnavailable(OmsError):
    """The carrier's API could not be reached, timed out or answered with a server error.
    Nothing is known to have happened: the same call may be retried with the same key."""

    code = "carrier_unavailable"
    kind = "unavailable"
    title = "Carrier unavailable"


class CarrierMisconfigured(OmsError):
    """The carrier's API refused this installation's credentials (a missing, wrong or
    revoked key): an operator must fix the settings; retrying does not help."""

    code = "carrier_misconfigured"
    kind = "unavailable"
    title = "Carrier misconfigured"


class CarrierRefused(OmsError):
    """The carrier's API refused the request (an invalid address, an expired rate, an
    unknown tracking number); ``detail`` carries the provider's own message."""

    code = "carrier_refused"
    kind = "conflict"
    title = "Carrier refused the request"


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
