"""The customer's self-service pages over HTTP, without an account: finding an order by its
number and email (limited per address), the tracking page with its returns, starting a
return (and every refusal), the return label, and the mail that brings the label."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message as MimeMessage
from urllib.parse import urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from openoms.infra import outbox
from openoms.infra.settings import Settings
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.notifications import services as notifications
from openoms.notifications.senders import SmtpSender
from openoms.orders.queries import get_order
from openoms.returns import services as returns
from openoms.returns.model import Payer, ReturnPolicy, ReturnReason, ReturnStatus
from openoms.selfservice.links import CustomerLinks
from openoms.shared import clock
from openoms.web.app import create_app
from tests.e2e.api.conftest import RunningServer
from tests.e2e.serving import serving
from tests.integration.returns_setup import Delivered, delivered_order
from tests.integration.test_notifications import Inbox, _free_port, _part

NOT_FOUND = "We could not find an order with that number and email"


def _links(server: RunningServer) -> CustomerLinks:
    found: CustomerLinks = server.app.state.links
    return found


def _url(server: RunningServer, signed: str) -> str:
    """A signed link (made for the public address) on the test server."""
    return server.url + urlsplit(signed).path


def _form(**values: str) -> dict[str, str]:
    base = {"qty-1": "0", "qty-2": "0", "method": "ship_back", "resolution": "refund"}
    return {**base, **values}


def _returns_of(server: RunningServer, number: str) -> list[returns.Return]:
    found, _ = returns.list_returns(server.db.reader(), returns.ReturnFilter(order=number))
    return found


@pytest.fixture
def delivered(server: RunningServer) -> Delivered:
    """Two bells and a lamp, delivered today; a warehouse and a store take returns."""
    return delivered_order(server.db)


# ---------------------------------------------------------------- finding an order


def test_the_number_and_email_open_the_orders_tracking_page(
    server: RunningServer, delivered: Delivered
) -> None:
    email = get_order(server.db.reader(), delivered.number).email
    form = httpx.get(server.url + "/orders/find")
    assert form.status_code == 200
    assert 'name="number"' in form.text
    assert 'name="email"' in form.text

    found = httpx.post(
        server.url + "/orders/find",
        data={"number": f" {delivered.number.lower()} ", "email": f" {email.upper()} "},
    )

    assert found.status_code == 303
    token = found.headers["location"].removeprefix("/track/")
    assert _links(server).order_of(token) == delivered.number
    page = httpx.get(server.url + found.headers["location"])
    assert page.status_code == 200
    assert f"Order {delivered.number}" in page.text


def test_a_wrong_pair_gets_one_answer_and_keeps_the_input(
    server: RunningServer, delivered: Delivered
) -> None:
    email = get_order(server.db.reader(), delivered.number).email

    wrong_email = httpx.post(
        server.url + "/orders/find", data={"number": delivered.number, "email": "x@example.com"}
    )
    unknown = httpx.post(
        server.url + "/orders/find", data={"number": "SO-999999999", "email": email}
    )

    assert (wrong_email.status_code, unknown.status_code) == (404, 404)
    for answer in (wrong_email, unknown):
        assert NOT_FOUND in answer.text
        assert "location" not in answer.headers
    assert f'value="{delivered.number}"' in wrong_email.text
    assert 'value="x@example.com"' in wrong_email.text
    assert 'value="SO-999999999"' in unknown.text


def test_one_address_is_limited_to_a_few_lookups(server: RunningServer) -> None:
    # given a server that allows three lookups per address, and an address of our own
    settings = Settings(
        database_url=str(server.db.engine.url), embedded_worker=False, order_lookups_per_ip=3
    )
    address, other = _loopback(), _loopback()
    with serving(create_app(settings, server.db)) as url:
        # when
        answers = [_lookup(url, address) for _ in range(4)]
        # then
        assert [a.status_code for a in answers] == [404, 404, 404, 429]
        assert "Too many attempts" in answers[-1].text
        assert answers[-1].headers["retry-after"] == str(15 * 60)
        assert _lookup(url, other).status_code == 404  # another address is not held up


def _loopback() -> str:
    """A client address of its own: every 127.x.y.z reaches the server on 127.0.0.1."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"


def _lookup(url: str, address: str) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=url, transport=transport) as client:
        return client.post("/orders/find", data={"number": "SO-999999999", "email": "a@b.c"})


# ---------------------------------------------------------------- starting a return


def test_a_customer_starts_a_return_from_the_tracking_page(
    server: RunningServer, delivered: Delivered
) -> None:
    # given
    links = _links(server)
    track = httpx.get(_url(server, links.tracking_url(delivered.number)))
    return_path = urlsplit(links.return_url(delivered.number)).path
    assert f'href="{return_path}"' in track.text
    assert "Return items" in track.text
    deadline = (clock.now() + timedelta(days=30)).strftime("%d %B %Y")
    assert f"Returns possible until {deadline}" in track.text
    assert f'href="{urlsplit(links.rating_url(delivered.number)).path}"' in track.text
    form = httpx.get(server.url + return_path)
    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"
    assert re.search(r'<select id="qty-1" name="qty-1">(\s*<option[^>]*>\d</option>){3}', form.text)
    assert ">Too small</option>" in form.text
    assert f'<option value="{delivered.store}"' in form.text
    # when
    done = httpx.post(
        server.url + return_path,
        data=_form(
            **{"qty-1": "1", "reason-1": "too_small", "comment-1": "one size up, please"},
            method="in_store",
            store=delivered.store,
            resolution="store_credit",
            note="Thank you",
        ),
    )
    # then it answers with a page of its own, which can be reloaded without asking again
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/returns/requested/")
    shown = httpx.get(server.url + done.headers["location"])
    again = httpx.get(server.url + done.headers["location"])
    (ret,) = _returns_of(server, delivered.number)
    for answer in (shown, again):
        assert answer.status_code == 200
        assert ret.number in answer.text
        assert "Back to your order" in answer.text
    assert httpx.get(server.url + "/returns/requested/" + "x" * 20).status_code == 404
    assert ret.status is ReturnStatus.REQUESTED
    assert ret.opened_by == "customer"
    assert (ret.method.value, ret.drop_off_location) == ("in_store", delivered.store)
    assert ret.preferred_resolution.value == "store_credit"
    assert ret.customer_note == "Thank you"
    assert [(ln.order_line_no, ln.quantity, ln.reason, ln.comment) for ln in ret.lines] == [
        (1, 1, ReturnReason.TOO_SMALL, "one size up, please")
    ]
    track = httpx.get(_url(server, links.tracking_url(delivered.number)))
    assert "Your returns" in track.text
    assert f"<strong>{ret.number}</strong> · Requested" in track.text
    assert "Return items" in track.text  # a bell and the lamp can still come back


def test_more_than_can_come_back_or_nothing_chosen_is_refused_and_nothing_is_made(
    server: RunningServer, delivered: Delivered
) -> None:
    path = _url(server, _links(server).return_url(delivered.number))

    nothing = httpx.post(path, data=_form(note="kept"))
    too_many = httpx.post(path, data=_form(**{"qty-1": "3", "reason-1": "damaged"}))
    no_reason = httpx.post(path, data=_form(**{"qty-2": "1"}))
    no_store = httpx.post(
        path, data=_form(**{"qty-2": "1", "reason-2": "damaged"}, method="in_store")
    )
    not_a_number = httpx.post(path, data=_form(**{"qty-1": "two"}))

    assert nothing.status_code == 422
    assert "Choose at least one item to return." in nothing.text
    assert ">kept</textarea>" in nothing.text
    assert too_many.status_code == 409
    assert "3 asked back, 2 of 2 delivered can still be returned" in too_many.text
    assert '<option value="damaged" selected>' in too_many.text
    assert no_reason.status_code == 422
    assert "choose one of the reasons in the list" in no_reason.text
    assert no_store.status_code == 422
    assert "Choose one of the stores in the list" in no_store.text
    assert not_a_number.status_code == 422
    assert _returns_of(server, delivered.number) == []


def test_the_form_offers_only_what_the_channels_policy_allows(
    server: RunningServer, delivered: Delivered
) -> None:
    rules = ReturnPolicy(
        reasons=(ReturnReason.DAMAGED, ReturnReason.DEFECTIVE),
        shipping_paid_by=Payer.CUSTOMER,
        exchanges=False,
    )
    returns.set_policy(server.db.uow(), delivered.channel, rules)
    path = _url(server, _links(server).return_url(delivered.number))

    form = httpx.get(path)
    tampered = httpx.post(path, data=_form(**{"qty-2": "1", "reason-2": "too_small"}))
    exchange = httpx.post(
        path, data=_form(**{"qty-2": "1", "reason-2": "damaged"}, resolution="exchange")
    )

    assert ">Arrived damaged</option>" in form.text
    assert ">Too small</option>" not in form.text
    assert 'value="exchange"' not in form.text
    assert "its cost comes off your refund" in form.text
    assert tampered.status_code == 422
    assert "choose one of the reasons in the list" in tampered.text
    assert exchange.status_code == 422
    assert "this shop does not exchange" in exchange.text
    assert _returns_of(server, delivered.number) == []


def test_after_the_window_the_pages_explain_and_a_return_is_refused(
    server: RunningServer, delivered: Delivered
) -> None:
    returns.set_policy(server.db.uow(), delivered.channel, ReturnPolicy(window_days=0))
    links = _links(server)
    closed = clock.now().date().strftime("%d %B %Y")

    with clock.frozen(clock.now() + timedelta(days=2)):
        form = httpx.get(_url(server, links.return_url(delivered.number)))
        refused = httpx.post(
            _url(server, links.return_url(delivered.number)),
            data=_form(**{"qty-1": "1", "reason-1": "damaged"}),
        )
        track = httpx.get(_url(server, links.tracking_url(delivered.number)))

    assert form.status_code == 200
    assert 'name="qty-1"' not in form.text
    assert "return window" in form.text
    assert refused.status_code == 409
    assert "closed on" in refused.text
    assert "Return items" not in track.text
    assert f"The return window closed on {closed}." in track.text
    assert _returns_of(server, delivered.number) == []


def test_an_altered_or_foreign_link_finds_nothing(
    server: RunningServer, delivered: Delivered
) -> None:
    links = _links(server)
    good = _url(server, links.return_url(delivered.number))
    tracking_token = links.tracking_url(delivered.number).rsplit("/", 1)[1]

    answers = [
        httpx.get(good[:-3] + "abc"),
        httpx.post(good[:-3] + "abc", data=_form(**{"qty-1": "1", "reason-1": "damaged"})),
        httpx.get(server.url + "/returns/new/" + tracking_token),
        httpx.get(server.url + "/returns/label/" + tracking_token),
        httpx.get(server.url + "/returns/label/nonsense"),
    ]

    assert [a.status_code for a in answers] == [404] * 5
    assert all("We could not find this order" in a.text for a in answers)
    assert _returns_of(server, delivered.number) == []


def test_the_label_is_there_once_the_return_is_approved(
    server: RunningServer, delivered: Delivered
) -> None:
    # given a return to send back by parcel
    links = _links(server)
    started = httpx.post(
        _url(server, links.return_url(delivered.number)),
        data=_form(**{"qty-2": "1", "reason-2": "defective"}),
    )
    assert started.status_code == 303, started.text
    (ret,) = _returns_of(server, delivered.number)
    label = _url(server, links.return_label_url(ret.number))
    # then no label before approval
    early = httpx.get(label)
    assert early.status_code == 404
    assert "A return label is ready once your return is approved" in early.text
    # when
    ret = returns.approve(server.db.uow(), ret.number, actor="cs")
    # then
    track = httpx.get(_url(server, links.tracking_url(delivered.number)))
    assert f'href="{urlsplit(label).path}"' in track.text
    assert str(ret.tracking_number) in track.text
    pdf = httpx.get(label)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    assert pdf.headers["cache-control"] == "no-store"
    assert ret.number in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


# ---------------------------------------------------------------- the mail with the label


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, SmtpSender]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, SmtpSender("127.0.0.1", port, security="none")
    finally:
        controller.stop()


@pytest.mark.parametrize(
    ("locale", "subject"),
    [("en", "Your return {rma} for {order} is approved"), ("de", "Ihre Rücksendung {rma} für")],
)
def test_the_approval_mail_brings_a_signed_label_link_in_the_customers_language(
    server: RunningServer, smtp: tuple[Inbox, SmtpSender], locale: str, subject: str
) -> None:
    # given a German or English customer's return, approved
    inbox, sender = smtp
    outbox.register_consumer("notifications", notifications.queue_for_events)
    d = delivered_order(server.db, locale=locale)
    started = httpx.post(
        _url(server, _links(server).return_url(d.number)),
        data=_form(**{"qty-1": "2", "reason-1": "wrong_item"}),
    )
    assert started.status_code == 303, started.text
    (ret,) = _returns_of(server, d.number)
    ret = returns.approve(server.db.uow(), ret.number, actor="cs")
    # when the worker makes and sends the messages
    dispatch_events(server.db)
    while notifications.deliver_due(server.db, sender, mail_from="shop@example.com", limit=200):
        pass
    # then
    to = get_order(server.db.reader(), d.number).email
    ((title, mail),) = [(_subject(m), m) for m in inbox.to(to) if ret.number in _subject(m)]
    assert title.startswith(subject.format(rma=ret.number, order=d.number))
    text = _part(mail, "text/plain")
    assert str(ret.tracking_number) in text
    link = next(w for w in text.split() if "/returns/label/" in w)
    assert _links(server).return_of_label(link.rsplit("/", 1)[1]) == ret.number
    assert f'href="{link}"' in _part(mail, "text/html")
    pdf = httpx.get(_url(server, link))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def _subject(mail: MimeMessage) -> str:
    return " ".join(str(make_header(decode_header(str(mail["Subject"])))).split())
