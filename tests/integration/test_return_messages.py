"""The customer's mails about a return, on both engines: the approval with the label link
or the store to bring it to, store credit with its code, and one mail per refund."""

from __future__ import annotations

import pytest

from openoms.infra import outbox
from openoms.infra.db import Database
from openoms.infra.secrets import secret_key
from openoms.infra.settings import get_settings
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.locations import services as locations
from openoms.notifications import services as notifications
from openoms.notifications.model import MessageKind
from openoms.returns import services as svc
from openoms.selfservice.links import CustomerLinks
from tests.integration.returns_setup import Delivered, delivered_order


@pytest.fixture(autouse=True)
def consumer() -> None:
    outbox.register_consumer("notifications", notifications.queue_for_events)


def _mails(db: Database, number: str, kind: MessageKind) -> list[notifications.Message]:
    dispatch_events(db)
    return [m for m in notifications.messages_of_order(db.reader(), number) if m.kind is kind]


def _inspected(d: Delivered, db: Database) -> str:
    """One unit of line 1 brought to the store, restocked; returns the return's number."""
    req = svc.ReturnRequest(
        [svc.LineRequest(1, 1, "too_large")], method="in_store", drop_off_location=d.store
    )
    ret = svc.open_return(db.uow(), d.number, req, actor="cs", by_customer=False)
    svc.receive(db.uow(), ret.number, d.store, None, actor="store")
    svc.inspect(db.uow(), ret.number, [svc.Inspection(1, restock=1)], actor="store")
    return ret.number


def test_an_approved_parcel_return_is_mailed_with_its_signed_label_link(db: Database) -> None:
    d = delivered_order(db)
    req = svc.ReturnRequest([svc.LineRequest(2, 1, "defective")], method="ship_back")
    ret = svc.open_return(db.uow(), d.number, req, actor="customer", by_customer=True)
    assert _mails(db, d.number, MessageKind.RETURN_APPROVED) == []  # asked, not approved

    ret = svc.approve(db.uow(), ret.number, actor="cs")

    (mail,) = _mails(db, d.number, MessageKind.RETURN_APPROVED)
    assert mail.subject == f"Your return {ret.number} for {d.number} is approved"
    assert "Print your free return label: " in mail.text
    assert f"Its tracking number: {ret.tracking_number}" in mail.text
    link = next(w for w in mail.text.split() if "/returns/label/" in w)
    links = CustomerLinks(secret_key(get_settings()), get_settings().public_url)
    assert links.return_of_label(link.rsplit("/", 1)[1]) == ret.number
    assert f'href="{link}"' in mail.html
    assert len(_mails(db, d.number, MessageKind.RETURN_APPROVED)) == 1  # once per event


def test_a_return_to_bring_to_a_store_is_mailed_with_the_store_and_the_number(
    db: Database,
) -> None:
    d = delivered_order(db, locale="de")
    store = locations.get_location(db.reader(), d.store).spec

    ret = svc.open_return(
        db.uow(),
        d.number,
        svc.ReturnRequest(
            [svc.LineRequest(1, 1, "too_small")], method="in_store", drop_off_location=d.store
        ),
        actor="cs",
        by_customer=False,  # opened by staff: approved at once
    )

    (mail,) = _mails(db, d.number, MessageKind.RETURN_APPROVED)
    assert mail.locale == "de"
    assert mail.subject == f"Ihre Rücksendung {ret.number} für {d.number} ist genehmigt"
    assert f"Bringen Sie die Artikel zu {store.name}, {store.address.line1}" in mail.text
    assert f"Rücksendenummer {ret.number}" in mail.text
    assert "/returns/label/" not in mail.text


def test_store_credit_is_mailed_with_its_code(db: Database) -> None:
    d = delivered_order(db)
    number = _inspected(d, db)

    ret = svc.store_credit(db, d.gateways, number, None, actor="cs")

    (mail,) = _mails(db, d.number, MessageKind.REFUND_PROCESSED)
    assert mail.subject == f"Your store credit for {d.number}"
    assert f"Your store credit code: {ret.store_credit_code}" in mail.text
    assert "€25.00" in mail.text


def test_a_refund_to_the_card_is_mailed_once(db: Database) -> None:
    d = delivered_order(db)
    number = _inspected(d, db)

    svc.refund(db, d.gateways, number, None, actor="cs")

    (mail,) = _mails(db, d.number, MessageKind.REFUND_PROCESSED)  # payment.refunded's
    assert mail.subject == f"Your refund for {d.number}"
    assert "we refunded €25.00" in mail.text
