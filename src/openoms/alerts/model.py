"""Staff alerts: which events raise which alert, what it says, what it links to, and who is
told by mail. Pure.

An alert is raised by an outbox event (``inventory.low_stock`` → low stock) and stays open
until someone acknowledges it. A few kinds keep one open alert per subject, so a SKU that
keeps selling below its safety stock does not fill the inbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from openoms.shared.errors import Conflict, NotFound


class AlertKind(StrEnum):
    LOW_STOCK = "low_stock"
    LATE_SHIPMENT = "late_shipment"
    DELIVERY_EXCEPTION = "delivery_exception"
    FRAUD_REVIEW = "fraud_review"
    CAPTURE_FAILED = "capture_failed"
    EMAIL_FAILED = "email_failed"
    COUNT_NEEDED = "count_needed"
    RETURN_INSPECTION = "return_inspection"


KIND_OF_EVENT: dict[str, AlertKind] = {
    "inventory.low_stock": AlertKind.LOW_STOCK,
    "alert.late_shipment": AlertKind.LATE_SHIPMENT,
    "alert.delivery_exception": AlertKind.DELIVERY_EXCEPTION,
    "order.fraud_review": AlertKind.FRAUD_REVIEW,
    "alert.capture_failed": AlertKind.CAPTURE_FAILED,
    "alert.email_failed": AlertKind.EMAIL_FAILED,
    "inventory.count_needed": AlertKind.COUNT_NEEDED,
    "return.received": AlertKind.RETURN_INSPECTION,
}

KIND_LABELS: dict[AlertKind, str] = {
    AlertKind.LOW_STOCK: "Low stock",
    AlertKind.LATE_SHIPMENT: "Late shipment",
    AlertKind.DELIVERY_EXCEPTION: "Delivery exception",
    AlertKind.FRAUD_REVIEW: "Fraud review",
    AlertKind.CAPTURE_FAILED: "Capture failed",
    AlertKind.EMAIL_FAILED: "Email failed",
    AlertKind.COUNT_NEEDED: "Count needed",
    AlertKind.RETURN_INSPECTION: "Return to inspect",
}

# One open alert per subject: a second event about the same thing adds nothing to do.
ONE_OPEN_PER_SUBJECT = frozenset(
    {AlertKind.LOW_STOCK, AlertKind.COUNT_NEEDED, AlertKind.RETURN_INSPECTION}
)

# The message kind of the mails that tell staff of an alert. When one of those cannot be
# sent, its alert is shown in the inbox but not mailed: mailing it would fail the same way
# and raise the next one, for ever.
STAFF_ALERT_MESSAGE = "staff_alert"
SYSTEM = "system"  # the actor of acknowledgements the system makes itself


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ALL = "all"


@dataclass(frozen=True)
class Draft:
    """An alert an event asks for, before it is stored."""

    kind: AlertKind
    title: str
    text: str
    subject: str  # "order:SO-000123", "sku:ABC@WH-1", "shipment:SH-000001", "return:RMA-…"
    data: dict[str, Any]
    location: str | None = None
    is_one_open_per_subject: bool = False
    is_mailed: bool = True


@dataclass(frozen=True)
class Alert:
    id: int
    kind: AlertKind
    title: str
    text: str
    subject: str
    data: dict[str, Any]
    location: str | None
    event_id: str
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def link(self) -> str | None:
        return link_of(self.subject)


class AlertNotFound(NotFound):
    code = "alert_not_found"
    title = "Alert not found"


class AlertAlreadyAcknowledged(Conflict):
    code = "alert_already_acknowledged"
    title = "Alert already acknowledged"


# ---------------------------------------------------------------- from events


def draft_for(name: str, payload: Mapping[str, Any]) -> Draft | None:
    """The alert an outbox event raises; None for events that raise none.

    Shipment events may carry ``order`` and ``location`` added by the caller (the payloads
    name only the shipment).

    Raises: KeyError or ValueError when the payload lacks what the alert needs.
    """
    kind = KIND_OF_EVENT.get(name)
    if kind is None:
        return None
    return _DRAFTERS[kind](dict(payload))


def acknowledged_by(name: str, payload: Mapping[str, Any]) -> tuple[AlertKind, str] | None:
    """The (kind, subject) of the open alert an event settles: an inspected return ends its
    wait for inspection."""
    if name == "return.inspected" and payload.get("number"):
        return AlertKind.RETURN_INSPECTION, f"return:{payload['number']}"
    return None


def _low_stock(p: dict[str, Any]) -> Draft:
    sku, location = str(p["sku"]), str(p["location"])
    on_hand, reserved = int(p["on_hand"]), int(p["reserved"])
    return Draft(
        AlertKind.LOW_STOCK,
        f"Low stock: {sku} at {location}",
        f"{on_hand - reserved} free of {on_hand} on hand ({reserved} reserved, safety stock "
        f"{int(p.get('safety_stock') or 0)}). Reorder or move stock before it runs out.",
        f"sku:{sku}@{location}",
        p,
        location,
        is_one_open_per_subject=True,
    )


def _late_shipment(p: dict[str, Any]) -> Draft:
    number = str(p["shipment"])
    eta = f"the carrier now expects {p['eta']}" if p.get("eta") else "no new date from the carrier"
    return Draft(
        AlertKind.LATE_SHIPMENT,
        f"Shipment {number} is late" + _of_order(p),
        f"Promised for {p['promised_date']}, not delivered yet; {eta}. Check with the carrier "
        "and tell the customer.",
        f"shipment:{number}",
        p,
        _str_or_none(p.get("location")),
    )


def _delivery_exception(p: dict[str, Any]) -> Draft:
    number = str(p["shipment"])
    where = f" at {p['scan_location']}" if p.get("scan_location") else ""
    what = str(p.get("description") or "").strip() or "The carrier reported a problem"
    return Draft(
        AlertKind.DELIVERY_EXCEPTION,
        f"Delivery exception on shipment {number}" + _of_order(p),
        f"{what} (parcel {p['tracking_number']}{where}).",
        f"shipment:{number}",
        p,
        _str_or_none(p.get("location")),
    )


def _fraud_review(p: dict[str, Any]) -> Draft:
    number = str(p["number"])
    reasons = "; ".join(str(r) for r in p.get("reasons") or [])
    return Draft(
        AlertKind.FRAUD_REVIEW,
        f"Order {number} waits in fraud review",
        f"Score {p['score']}" + (f": {reasons}." if reasons else ".") + " Approve or reject it.",
        f"order:{number}",
        p,
    )


def _capture_failed(p: dict[str, Any]) -> Draft:
    number = str(p["order"])
    return Draft(
        AlertKind.CAPTURE_FAILED,
        f"Payment capture failed for order {number}",
        f"Payment {p['payment']} could not be captured: {p.get('reason') or 'no reason given'}. "
        "Ask for a new authorization or collect the money another way.",
        f"order:{number}",
        p,
    )


def _email_failed(p: dict[str, Any]) -> Draft:
    kind, to = str(p["kind"]), str(p["to"])
    error = str(p.get("error") or "no error given")
    if kind == STAFF_ALERT_MESSAGE:
        return Draft(
            AlertKind.EMAIL_FAILED,
            "Alert mails cannot be sent",
            f"The mail about an alert to {to} failed after its last attempt: {error}. Check "
            "the mail settings; alerts stay in this inbox.",
            "mail:staff_alert",
            p,
            is_one_open_per_subject=True,
            is_mailed=False,
        )
    order = p.get("order")
    return Draft(
        AlertKind.EMAIL_FAILED,
        f"Mail to {to} failed" + (f" (order {order})" if order else ""),
        f"The {kind.replace('_', ' ')} message could not be sent after its last attempt: "
        f"{error}. It can be sent again from the order.",
        f"order:{order}" if order else f"message:{p['message_id']}",
        p,
    )


def _count_needed(p: dict[str, Any]) -> Draft:
    sku, location = str(p["sku"]), str(p["location"])
    where = f"bin {p['bin']}" if p.get("bin") else "its bins"
    return Draft(
        AlertKind.COUNT_NEEDED,
        f"Count {sku} at {location}",
        f"A short pick found fewer units in {where} than the books can write off. Count "
        f"{sku} there.",
        f"sku:{sku}@{location}",
        p,
        location,
        is_one_open_per_subject=True,
    )


def _return_inspection(p: dict[str, Any]) -> Draft:
    number, location = str(p["number"]), str(p["location"])
    lines = p.get("lines") or []
    units = sum(int(line.get("quantity") or 0) for line in lines if isinstance(line, dict))
    what = f"{units} unit(s)" if units else f"{len(lines)} line(s)"
    order = f" of order {p['order']}" if p.get("order") else ""
    return Draft(
        AlertKind.RETURN_INSPECTION,
        f"Return {number} waits for inspection at {location}",
        f"{what}{order} arrived. Inspect them and decide: restock, refurbish or write off.",
        f"return:{number}",
        p,
        location,
        is_one_open_per_subject=True,
    )


def _of_order(p: dict[str, Any]) -> str:
    return f" (order {p['order']})" if p.get("order") else ""


def _str_or_none(value: object) -> str | None:
    return str(value) if value else None


_DRAFTERS = {
    AlertKind.LOW_STOCK: _low_stock,
    AlertKind.LATE_SHIPMENT: _late_shipment,
    AlertKind.DELIVERY_EXCEPTION: _delivery_exception,
    AlertKind.FRAUD_REVIEW: _fraud_review,
    AlertKind.CAPTURE_FAILED: _capture_failed,
    AlertKind.EMAIL_FAILED: _email_failed,
    AlertKind.COUNT_NEEDED: _count_needed,
    AlertKind.RETURN_INSPECTION: _return_inspection,
}


# ---------------------------------------------------------------- links


def link_of(subject: str) -> str | None:
    """The console page of what an alert is about; None when there is none."""
    what, _, ref = subject.partition(":")
    if not ref:
        return None
    if what == "order":
        return f"/console/orders/{quote(ref, safe='')}"
    if what == "sku":
        sku, _, location = ref.rpartition("@")
        return f"/console/inventory/{quote(sku or ref, safe='')}" + (
            f"?location={quote(location, safe='')}" if sku and location else ""
        )
    if what == "shipment":
        return f"/console/fulfilment/shipments/{quote(ref, safe='')}"
    if what == "return":
        return f"/console/returns/{quote(ref, safe='')}"
    return None


# ---------------------------------------------------------------- who is told by mail


class InvalidAlertEmails(ValueError):
    """``OMS_ALERT_EMAILS`` cannot be read; the message says which entry and why."""


@dataclass(frozen=True)
class AlertEmails:
    """Where the mail about each kind of alert goes: ``kind=address`` entries separated by
    commas, ``*`` for every other kind. Empty: no mails."""

    by_kind: Mapping[AlertKind, str] = field(default_factory=dict)
    default: str | None = None

    def address_for(self, kind: AlertKind) -> str | None:
        return self.by_kind.get(kind, self.default)

    @classmethod
    def parse(cls, text: str) -> AlertEmails:
        """``"low_stock=stock@shop.example,*=ops@shop.example"``.

        Raises: InvalidAlertEmails naming the entry that is wrong.
        """
        by_kind: dict[AlertKind, str] = {}
        default: str | None = None
        for entry in (e.strip() for e in text.split(",")):
            if not entry:
                continue
            key, sep, address = (part.strip() for part in entry.partition("="))
            if not sep or not key:
                raise InvalidAlertEmails(
                    f"OMS_ALERT_EMAILS: '{entry}' is not kind=address "
                    "(e.g. low_stock=stock@shop.example or *=ops@shop.example)"
                )
            if not _looks_like_address(address):
                raise InvalidAlertEmails(
                    f"OMS_ALERT_EMAILS: '{address}' (for {key}) is not an email address"
                )
            if key == "*":
                if default is not None:
                    raise InvalidAlertEmails("OMS_ALERT_EMAILS: '*' is given twice")
                default = address
                continue
            kind = next((k for k in AlertKind if k.value == key), None)
            if kind is None:
                known = ", ".join(k.value for k in AlertKind)
                raise InvalidAlertEmails(
                    f"OMS_ALERT_EMAILS: '{key}' is not a kind of alert; use one of {known} or *"
                )
            if kind in by_kind:
                raise InvalidAlertEmails(f"OMS_ALERT_EMAILS: '{key}' is given twice")
            by_kind[kind] = address
        return cls(by_kind, default)


def _looks_like_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() or c in ",;<>" for c in address)
