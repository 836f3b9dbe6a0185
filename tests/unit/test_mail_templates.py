"""Every message kind renders in every language: a subject, a plain-text and an HTML part,
nothing left unfilled, the HTML escaped and the text not."""

from __future__ import annotations

import pytest

from openoms.notifications.model import LOCALES, MessageKind, locale_of, retry_after
from openoms.notifications.render import render
from openoms.notifications.services import preview


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_renders_in_every_language(kind: MessageKind, locale: str) -> None:
    found = preview(kind, locale)
    assert found.locale == locale
    assert found.subject
    assert "\n" not in found.subject
    assert "{{" not in found.text + found.html
    assert found.html.startswith("<!doctype html>")
    assert f'lang="{locale}"' in found.html


def test_the_languages_differ_and_unknown_ones_fall_back_to_english() -> None:
    en = preview(MessageKind.SHIPPED, "en")
    de = preview(MessageKind.SHIPPED, "de")
    assert en.subject == "Your order SO-000123 is on its way"
    assert de.subject == "Ihre Bestellung SO-000123 ist unterwegs"
    assert preview(MessageKind.SHIPPED, "fr").subject == en.subject
    assert locale_of("de-AT") == "de"
    assert locale_of(None) == "en"


def test_html_is_escaped_and_text_is_not() -> None:
    found = preview(MessageKind.ORDER_CONFIRMATION, "en")
    evil = render(
        MessageKind.RETURN_APPROVED,
        "en",
        {
            "merchant": "Tom & Jerry <Shop>",
            "logo_url": "",
            "footer": "",
            "name": "Ana",
            "order": {"number": "SO-1", "total": "", "lines": []},
            "tracking_url": "",
            "ret": {"number": "RMA-1", "method": "in_store", "store": "<script>alert(1)</script>"},
        },
    )
    assert "<script>" not in evil.html
    assert "&lt;script&gt;" in evil.html
    assert "Tom & Jerry <Shop>" in evil.text
    assert "Tom &amp; Jerry" in evil.html
    assert "Trail tent 2P" in found.text


def test_retries_wait_longer_each_time_up_to_two_hours() -> None:
    waits = [retry_after(n).total_seconds() / 60 for n in range(1, 10)]
    assert waits[:4] == [1, 2, 4, 8]
    assert max(waits) == 120
