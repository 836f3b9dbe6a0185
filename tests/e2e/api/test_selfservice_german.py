"""The customer's pages speak the order's language: a German order's tracking page, return
form, refusals and the page after a return in German (``lang="de"``); the order lookup in
the browser's language; an English order stays English."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from babel.dates import format_date

from openoms.returns import services as returns
from openoms.returns.model import ReturnPolicy
from openoms.selfservice.links import CustomerLinks
from openoms.shared import clock
from tests.e2e.api.conftest import RunningServer
from tests.integration.returns_setup import Delivered, delivered_order


def _links(server: RunningServer) -> CustomerLinks:
    found: CustomerLinks = server.app.state.links
    return found


def _url(server: RunningServer, signed: str) -> str:
    return server.url + urlsplit(signed).path


def _form(**values: str) -> dict[str, str]:
    base = {"qty-1": "0", "qty-2": "0", "method": "ship_back", "resolution": "refund"}
    return {**base, **values}


@pytest.fixture
def german(server: RunningServer) -> Delivered:
    """Two bells and a lamp, delivered today to a customer who reads German."""
    return delivered_order(server.db, locale="de")


def test_a_german_order_is_tracked_and_returned_in_german(
    server: RunningServer, german: Delivered
) -> None:
    # given
    links = _links(server)
    deadline = format_date(clock.now().date() + timedelta(days=30), "dd. MMMM yyyy", locale="de")
    # when
    track = httpx.get(_url(server, links.tracking_url(german.number)))
    form = httpx.get(_url(server, links.return_url(german.number)))
    started = httpx.post(
        _url(server, links.return_url(german.number)),
        data=_form(**{"qty-1": "1", "reason-1": "too_small"}),
    )
    done = httpx.get(server.url + started.headers["location"])
    again = httpx.get(_url(server, links.tracking_url(german.number)))
    rate = httpx.get(_url(server, links.rating_url(german.number)))
    # then
    assert track.status_code == 200
    assert '<html lang="de">' in track.text
    assert f"<h1>Bestellung {german.number}</h1>" in track.text
    assert "Zugestellt." in track.text
    assert "Artikel zurücksenden" in track.text
    assert f"Rücksendung möglich bis {deadline}." in track.text
    assert "Bestellung bewerten" in track.text
    assert "Bisheriger Verlauf" in track.text
    assert "Bestellung eingegangen" in track.text
    assert form.status_code == 200
    assert '<html lang="de">' in form.text
    assert ">Zu klein</option>" in form.text
    assert ">Beschädigt angekommen</option>" in form.text
    assert "Erstattung auf Ihre ursprüngliche Zahlungsart" in form.text
    assert "Rücksendung anfragen" in form.text
    assert "Too small" not in form.text
    assert started.status_code == 303, started.text
    assert done.status_code == 200
    assert '<html lang="de">' in done.text
    assert "<h1>Rücksendung angefragt</h1>" in done.text
    assert "erstatten wir den Betrag auf Ihre ursprüngliche Zahlungsart" in done.text
    assert "Zurück zu Ihrer Bestellung" in done.text
    assert "Ihre Rücksendungen" in again.text
    assert "· Angefragt</p>" in again.text
    assert '<html lang="de">' in rate.text
    assert f"Wie war Ihre Bestellung {german.number}?" in rate.text
    assert "Kommentar (optional)" in rate.text


def test_a_german_customer_is_told_in_german_why_a_return_is_refused(
    server: RunningServer, german: Delivered
) -> None:
    path = _url(server, _links(server).return_url(german.number))

    nothing = httpx.post(path, data=_form())
    too_many = httpx.post(path, data=_form(**{"qty-1": "3", "reason-1": "damaged"}))
    no_reason = httpx.post(path, data=_form(**{"qty-2": "1"}))

    assert nothing.status_code == 422
    assert "Wählen Sie mindestens einen Artikel zum Zurücksenden." in nothing.text
    assert too_many.status_code == 409
    assert "3 zurückgewünscht, von 2 gelieferten können noch 2 zurückgesendet werden" in (
        too_many.text
    )
    assert no_reason.status_code == 422
    assert "Wählen Sie einen der Gründe aus der Liste." in no_reason.text
    assert all('<html lang="de">' in a.text for a in (nothing, too_many, no_reason))


def test_after_the_window_a_german_customer_reads_when_it_closed(
    server: RunningServer, german: Delivered
) -> None:
    returns.set_policy(server.db.uow(), german.channel, ReturnPolicy(window_days=0))
    links = _links(server)
    closed = format_date(clock.now().date(), "dd. MMMM yyyy", locale="de")

    with clock.frozen(clock.now() + timedelta(days=2)):
        refused = httpx.post(
            _url(server, links.return_url(german.number)),
            data=_form(**{"qty-1": "1", "reason-1": "damaged"}),
        )
        track = httpx.get(_url(server, links.tracking_url(german.number)))

    assert refused.status_code == 409
    assert f"ist am {closed} abgelaufen." in refused.text
    assert f"Die Rückgabefrist ist am {closed} abgelaufen." in track.text
    assert (
        returns.list_returns(server.db.reader(), returns.ReturnFilter(order=german.number))[0] == []
    )


def test_the_order_lookup_speaks_the_browsers_language(server: RunningServer) -> None:
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}

    form = httpx.get(server.url + "/orders/find", headers=german)
    missed = httpx.post(
        server.url + "/orders/find",
        data={"number": "SO-NOPE", "email": "nobody@example.com"},
        headers=german,
    )
    unknown_link = httpx.get(server.url + "/track/nonsense", headers=german)
    french = httpx.get(server.url + "/orders/find", headers={"Accept-Language": "fr-FR"})

    assert '<html lang="de">' in form.text
    assert "<h1>Ihre Bestellung finden</h1>" in form.text
    assert "Meine Bestellung anzeigen" in form.text
    assert missed.status_code == 404
    assert "Wir konnten keine Bestellung mit dieser Nummer und E-Mail-Adresse finden." in (
        missed.text
    )
    assert unknown_link.status_code == 404
    assert "Wir konnten diese Bestellung nicht finden" in unknown_link.text
    assert '<html lang="en">' in french.text
    assert "<h1>Find your order</h1>" in french.text


def test_an_english_order_stays_english_whatever_the_browser(server: RunningServer) -> None:
    english = delivered_order(server.db, locale="en")
    links = _links(server)
    german_browser = {"Accept-Language": "de"}

    track = httpx.get(_url(server, links.tracking_url(english.number)), headers=german_browser)
    form = httpx.get(_url(server, links.return_url(english.number)), headers=german_browser)

    assert '<html lang="en">' in track.text
    assert f"<h1>Order {english.number}</h1>" in track.text
    assert "Return items" in track.text
    assert '<html lang="en">' in form.text
    assert ">Too small</option>" in form.text
