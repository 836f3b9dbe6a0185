"""What every customer page shares: the templates, the signed links, the 'not found' page."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from openoms.selfservice.links import CustomerLinks

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
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


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        name,
        {"merchant": merchant(request), **context},
        status_code=status_code,
        headers=PRIVATE,
    )


def not_found(request: Request, heading: str = "", text: str = "") -> Response:
    """The one answer to an altered, foreign or unknown link (nothing about why)."""
    return page(request, "not_found.html", {"heading": heading, "text": text}, status_code=404)
