"""Every text the customer pages show has its German translation in the catalog: a new
English text without one fails here, not in front of a German customer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from openoms.returns.model import REASON_LABELS
from openoms.selfservice import language as selfservice_language
from openoms.selfservice.language import CATALOG_DIR, language, of_browser, of_order

PAGES = Path(selfservice_language.__file__).parent
JINJA = {"extensions": "jinja2.ext.i18n"}


def _used() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for template in sorted((PAGES / "templates").glob("*.html")):
        found |= {
            m
            for _, m, _, _ in extract_from_file("jinja2.ext.babel_extract", template, options=JINJA)
        }
    for module in sorted(PAGES.glob("*.py")):
        found |= {m for _, m, _, _ in extract_from_file("python", module)}
    # the returns model's reason labels are English; the return form shows them translated
    return found | set(REASON_LABELS.values())


def _catalog() -> Catalog:
    with (CATALOG_DIR / "de" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale="de")


def test_every_text_the_pages_show_has_a_german_translation() -> None:
    catalog = _catalog()
    used = _used()

    untranslated = sorted(
        str(m) for m in used if m not in catalog or not all(_strings(catalog[m].string))
    )

    assert len(used) > 100, "the extraction finds the pages' texts"
    assert untranslated == []


def test_the_catalog_has_nothing_fuzzy_or_left_over() -> None:
    catalog = _catalog()
    used = _used()

    assert [m.id for m in catalog if m.id and m.fuzzy] == []
    assert sorted(str(m.id) for m in catalog if m.id and m.id not in used) == []


def test_placeholders_survive_translation() -> None:
    for message in _catalog():
        if message.id and message.python_format:
            assert not list(message.check(_catalog())), message.id


def _strings(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return (string,) if isinstance(string, str) else string


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("en-GB,de;q=0.5", "en"),
        ("fr-FR, de;q=0.7, en;q=0.5", "de"),
        ("fr", "en"),
        ("", "en"),
        ("de;q=0", "en"),
    ],
)
def test_pages_without_an_order_take_the_browsers_first_language_we_have(
    header: str, expected: str
) -> None:
    assert of_browser(header).code == expected


def test_an_order_in_austrian_german_reads_german_dates_and_words() -> None:
    german = of_order("de-AT")

    assert german.code == "de"
    assert german.gettext("Too small") == "Zu klein"
    assert german.date(date(2027, 1, 5)) == "05. Januar 2027"
    assert language("en").date(date(2027, 1, 5)) == "05 January 2027"
    assert of_order("fr-FR").gettext("Too small") == "Too small"
