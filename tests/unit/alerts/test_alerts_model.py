"""Which events raise which alert and what it says, where it links, and who is mailed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from openoms.alerts.model import (
    KIND_OF_EVENT,
    AlertEmails,
    AlertKind,
    InvalidAlertEmails,
    acknowledged_by,
    draft_for,
    link_of,
)
from openoms.infra.settings import Settings
from openoms.integrations.webhooks.event_types import EVENT_TYPES
from openoms.notifications.model import MessageKind

LOW = {"sku": "P-TENT-2P", "location": "WH-AMS", "on_hand": 14, "reserved": 12, "safety_stock": 2}


def test_low_stock_names_the_sku_location_and_what_is_free() -> None:
    draft = draft_for("inventory.low_stock", LOW)

    assert draft is not None
    assert draft.kind is AlertKind.LOW_STOCK
    assert draft.title == "Low stock: P-TENT-2P at WH-AMS"
    assert draft.text.startswith("2 free of 14 on hand (12 reserved, safety stock 2).")
    assert draft.subject == "sku:P-TENT-2P@WH-AMS"
    assert draft.location == "WH-AMS"
    assert draft.is_one_open_per_subject
    assert draft.is_mailed
    assert draft.data == LOW


@pytest.mark.parametrize(
    ("name", "payload", "kind", "title", "subject"),
    [
        (
            "alert.late_shipment",
            {"shipment": "SH-000007", "promised_date": "2026-12-01", "eta": None, "order": "SO-1"},
            AlertKind.LATE_SHIPMENT,
            "Shipment SH-000007 is late (order SO-1)",
            "shipment:SH-000007",
        ),
        (
            "alert.delivery_exception",
            {
                "shipment": "SH-000008",
                "tracking_number": "PX000000014NL",
                "description": "Address not found",
                "scan_location": "Utrecht hub",
            },
            AlertKind.DELIVERY_EXCEPTION,
            "Delivery exception on shipment SH-000008",
            "shipment:SH-000008",
        ),
        (
            "order.fraud_review",
            {"number": "SO-000123", "score": 70, "reasons": ["new card", "far away"]},
            AlertKind.FRAUD_REVIEW,
            "Order SO-000123 waits in fraud review",
            "order:SO-000123",
        ),
        (
            "alert.capture_failed",
            {"order": "SO-000124", "payment": 9, "amount": 1500, "reason": "expired"},
            AlertKind.CAPTURE_FAILED,
            "Payment capture failed for order SO-000124",
            "order:SO-000124",
        ),
        (
            "alert.email_failed",
            {
                "message_id": 5,
                "kind": "shipped",
                "to": "a@b.example",
                "order": "SO-9",
                "error": "x",
            },
            AlertKind.EMAIL_FAILED,
            "Mail to a@b.example failed (order SO-9)",
            "order:SO-9",
        ),
        (
            "inventory.count_needed",
            {"location": "WH-AMS", "sku": "P-LAMP", "bin": "A-01-02"},
            AlertKind.COUNT_NEEDED,
            "Count P-LAMP at WH-AMS",
            "sku:P-LAMP@WH-AMS",
        ),
        (
            "return.received",
            {
                "number": "RMA-000001",
                "order": "SO-000123",
                "location": "STORE-BER",
                "lines": [{"sku": "P-LAMP", "quantity": 2}, {"sku": "P-TENT", "quantity": 1}],
            },
            AlertKind.RETURN_INSPECTION,
            "Return RMA-000001 waits for inspection at STORE-BER",
            "return:RMA-000001",
        ),
    ],
)
def test_each_alert_event_makes_its_kind_of_alert(
    name: str, payload: dict[str, object], kind: AlertKind, title: str, subject: str
) -> None:
    draft = draft_for(name, payload)

    assert draft is not None
    assert (draft.kind, draft.title, draft.subject) == (kind, title, subject)
    assert draft.text.endswith(".")


def test_the_texts_carry_the_facts_staff_act_on() -> None:
    returned = draft_for(
        "return.received",
        {"number": "RMA-1", "order": "SO-5", "location": "S", "lines": [{"quantity": 3}]},
    )
    late = draft_for("alert.late_shipment", {"shipment": "SH-1", "promised_date": "2026-12-01"})
    exception = draft_for(
        "alert.delivery_exception",
        {"shipment": "SH-2", "tracking_number": "PX1NL", "description": "Damaged"},
    )

    assert returned is not None
    assert returned.text.startswith("3 unit(s) of order SO-5 arrived.")
    assert late is not None
    assert "Promised for 2026-12-01" in late.text
    assert "no new date from the carrier" in late.text
    assert exception is not None
    assert exception.text.startswith("Damaged (parcel PX1NL).")


def test_events_that_are_no_alert_raise_none() -> None:
    assert draft_for("order.created", {"number": "SO-1"}) is None
    assert draft_for("return.inspected", {"number": "RMA-1"}) is None


def test_a_payload_without_its_facts_is_refused() -> None:
    with pytest.raises(KeyError):
        draft_for("inventory.low_stock", {"sku": "X"})


def test_a_failed_alert_mail_is_shown_once_but_never_mailed() -> None:
    payload = {"message_id": 7, "kind": "staff_alert", "to": "ops@shop.example", "error": "down"}
    draft = draft_for("alert.email_failed", payload)

    assert draft is not None
    assert draft.kind is AlertKind.EMAIL_FAILED
    assert not draft.is_mailed
    assert draft.is_one_open_per_subject
    assert draft.subject == "mail:staff_alert"
    assert MessageKind.STAFF_ALERT.value == "staff_alert"


def test_an_inspected_return_settles_its_inspection_alert() -> None:
    assert acknowledged_by("return.inspected", {"number": "RMA-000001"}) == (
        AlertKind.RETURN_INSPECTION,
        "return:RMA-000001",
    )
    assert acknowledged_by("return.received", {"number": "RMA-000001"}) is None


def test_every_event_an_alert_listens_to_is_a_known_event_type() -> None:
    assert sorted(set(KIND_OF_EVENT) - EVENT_TYPES.keys()) == []
    assert "return.inspected" in EVENT_TYPES


@pytest.mark.parametrize(
    ("subject", "link"),
    [
        ("order:SO-000123", "/console/orders/SO-000123"),
        ("sku:P-TENT-2P@WH-AMS", "/console/inventory/P-TENT-2P?location=WH-AMS"),
        ("sku:A/B@WH 1", "/console/inventory/A%2FB?location=WH%201"),
        ("shipment:SH-000001", "/console/fulfilment/shipments/SH-000001"),
        ("return:RMA-000001", "/console/returns/RMA-000001"),
        ("message:12", None),
        ("mail:staff_alert", None),
        ("nothing", None),
    ],
)
def test_an_alert_links_to_the_page_of_its_subject(subject: str, link: str | None) -> None:
    assert link_of(subject) == link


def test_alert_mails_go_to_the_address_of_their_kind_or_the_default() -> None:
    emails = AlertEmails.parse(
        " low_stock=stock@shop.example, late_shipment = ops@shop.example ,*=all@shop.example,"
    )

    assert emails.address_for(AlertKind.LOW_STOCK) == "stock@shop.example"
    assert emails.address_for(AlertKind.LATE_SHIPMENT) == "ops@shop.example"
    assert emails.address_for(AlertKind.FRAUD_REVIEW) == "all@shop.example"


def test_without_a_default_only_the_named_kinds_are_mailed() -> None:
    emails = AlertEmails.parse("fraud_review=risk@shop.example")

    assert emails.address_for(AlertKind.FRAUD_REVIEW) == "risk@shop.example"
    assert emails.address_for(AlertKind.LOW_STOCK) is None
    assert AlertEmails.parse("").address_for(AlertKind.LOW_STOCK) is None
    assert AlertEmails.parse("  ").address_for(AlertKind.LOW_STOCK) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("low_stok=stock@shop.example", "'low_stok' is not a kind of alert; use one of low_stock"),
        ("stock@shop.example", "'stock@shop.example' is not kind=address"),
        ("low_stock=", "'' (for low_stock) is not an email address"),
        ("low_stock=stock", "'stock' (for low_stock) is not an email address"),
        ("low_stock=a b@shop.example", "is not an email address"),
        ("=ops@shop.example", "is not kind=address"),
        ("*=a@x.example,*=b@x.example", "'*' is given twice"),
        ("low_stock=a@x.example,low_stock=b@x.example", "'low_stock' is given twice"),
    ],
)
def test_a_bad_alert_email_setting_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidAlertEmails, match="OMS_ALERT_EMAILS") as raised:
        AlertEmails.parse(text)
    assert says in str(raised.value)


def test_the_server_does_not_start_with_a_bad_alert_email_setting() -> None:
    with pytest.raises(ValidationError, match="'fraud' is not a kind of alert"):
        Settings(alert_emails="fraud=risk@shop.example")
    assert Settings(alert_emails="*=ops@shop.example").alert_emails == "*=ops@shop.example"


def test_a_bad_setting_stops_every_command_with_one_plain_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from openoms.entrypoints.cli import app
    from openoms.infra.settings import get_settings

    monkeypatch.setenv("OMS_ALERT_EMAILS", "low_stok=stock@shop.example")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["db", "current"])
    finally:
        monkeypatch.delenv("OMS_ALERT_EMAILS")
        get_settings.cache_clear()

    assert result.exit_code == 2
    assert "OMS_ALERT_EMAILS: 'low_stok' is not a kind of alert" in " ".join(result.output.split())
    assert "Traceback" not in result.output
