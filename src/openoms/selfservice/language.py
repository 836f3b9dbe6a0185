"""The language a customer page speaks: the order's (``de-AT`` reads German), or on pages
without an order the browser's first of the languages we have, else English.

The German catalog is ``locale/de/LC_MESSAGES/messages.po``, the one source of truth; it is
compiled in memory when this module loads, so there is no build step and no ``.mo`` to keep
in step. English needs no catalog: the message ids are the English text."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from openoms.notifications.model import locale_of

ENGLISH = "en"
LANGUAGES = ("en", "de")
CATALOG_DIR = Path(__file__).parent / "locale"

# babel date patterns per language, by what the page shows
_DATE_FORMS = {
    "en": {
        "long": "dd MMMM yyyy",
        "short": "dd MMM yyyy",
        "day": "EEEE dd MMMM",
        "day_time": "EEE dd MMM, HH:mm",
        "moment": "EEE dd MMM yyyy, HH:mm",
    },
    "de": {
        "long": "dd. MMMM yyyy",
        "short": "dd. MMM yyyy",
        "day": "EEEE, dd. MMMM",
        "day_time": "EEE, dd. MMM, HH:mm",
        "moment": "EEE, dd. MMM yyyy, HH:mm",
    },
}


def N_(message: str) -> str:  # the name the extraction tools look for
    """Marks a text for the catalog where it is defined; it is translated where shown."""
    return message


def compiled(language: str) -> gettext.NullTranslations:
    """The language's catalog, read from its .po file and compiled to a .mo in memory."""
    po = CATALOG_DIR / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(fp=mo)


_CATALOGS: dict[str, gettext.NullTranslations] = {
    ENGLISH: gettext.NullTranslations(),
    **{lang: compiled(lang) for lang in LANGUAGES if lang != ENGLISH},
}


@dataclass(frozen=True)
class Language:
    """One language's words and dates, handed to the templates as ``lang``."""

    code: str
    catalog: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    def date(self, when: date | datetime, form: str = "long") -> str:
        """A date (or the day and time of a moment, in UTC) as this language writes it."""
        pattern = _DATE_FORMS[self.code][form]
        if isinstance(when, datetime):
            at = when if when.tzinfo else when.replace(tzinfo=UTC)
            return str(format_datetime(at, pattern, tzinfo=UTC, locale=self.code))
        return str(format_date(when, pattern, locale=self.code))


def language(code: str) -> Language:
    found = code if code in _CATALOGS else ENGLISH
    return Language(found, _CATALOGS[found])


def of_order(order_locale: str | None) -> Language:
    """The order's language (``de-AT`` → German), as its mails use."""
    return language(locale_of(order_locale))


def of_browser(accept_language: str) -> Language:
    """The first language of the browser's ``Accept-Language`` we have, else English."""
    ranked = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = tag.strip().split("-")[0].split("_")[0].lower()
        if code in LANGUAGES and q > 0:
            ranked.append((-q, i, code))
    return language(min(ranked)[2] if ranked else ENGLISH)
