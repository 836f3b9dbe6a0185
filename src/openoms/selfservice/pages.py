"""What every customer page shares: the templates, the signed links, the 'not found' page."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from openoms.selfservice.language import Language, of_browser
from openoms.selfservice.links import CustomerLinks

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.add_extension("jinja2.ext.i18n")
# The page names the order in its URL: keep it out of caches and other sites' logs.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def links(request: Request) -> CustomerLinks:
    found: CustomerLinks = request.app.state.links
    return found


def path_of(url: str) -> str:
    """A signed link as a path on this server: pages link to each other relatively, so they
    work whatever host the customer reached them by."""
    return urlsplit(url).path


def merchant(request: Request) -> str:
    return str(request.app.state.settings.merchant_name)


def browser_language(request: Request) -> Language:
    return of_browser(request.headers.get("accept-language", ""))


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    lang: Language,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A page in the language given: ``{% trans %}`` and ``_()`` read its catalog (given with
    each page, not installed on the shared environment: two requests may speak two languages
    at once)."""
    return templates.TemplateResponse(
        request,
        name,
        {
            "merchant": merchant(request),
            "lang": lang,
            "gettext": lang.gettext,
            "ngettext": lang.ngettext,
            **context,
        },
        status_code=status_code,
        headers=headers,
    )


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    *,
    lang: Language | None = None,
) -> Response:
    """A private page in ``lang``, by default the browser's language."""
    speaks = lang or browser_language(request)
    return render(request, name, context, speaks, status_code=status_code, headers=PRIVATE)


def not_found(request: Request, heading: str = "", text: str = "") -> Response:
    """The one answer to an altered, foreign or unknown link (nothing about why), in the
    browser's language; ``heading`` and ``text`` come translated."""
    return page(request, "not_found.html", {"heading": heading, "text": text}, status_code=404)
