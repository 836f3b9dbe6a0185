"""Messages from templates: one file per kind and language (``email/<locale>/<kind>.j2``)
with a subject, a plain-text and an HTML block; the HTML sits in the merchant's layout.
The text blocks are rendered without HTML escaping, the HTML block with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from openoms.notifications.model import MessageKind, locale_of

_DIR = Path(__file__).parent / "templates" / "email"
_TEXT = Environment(
    loader=FileSystemLoader(_DIR),
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
_HTML = Environment(
    loader=FileSystemLoader(_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
)


@dataclass(frozen=True)
class Rendered:
    locale: str
    subject: str
    text: str
    html: str


def render(kind: MessageKind, locale: str | None, context: dict[str, Any]) -> Rendered:
    """The message of ``kind`` in the customer's language (English when there is none).

    Raises: jinja2.UndefinedError when the context lacks what the template uses."""
    lang = locale_of(locale)
    name = f"{lang}/{kind.value}.j2"
    text_tpl = _TEXT.get_template(name)
    # the line-table macros, made once per environment (escaped for HTML, not for text)
    text_ctx = text_tpl.new_context(
        {**context, "L": _TEXT.get_template(f"{lang}/_lines.j2").module}
    )
    subject = " ".join("".join(text_tpl.blocks["subject"](text_ctx)).split())
    text = "".join(text_tpl.blocks["text"](text_ctx)).strip() + "\n"
    html_tpl = _HTML.get_template(name)
    html_ctx = html_tpl.new_context(
        {**context, "L": _HTML.get_template(f"{lang}/_lines.j2").module}
    )
    body = Markup("".join(html_tpl.blocks["html"](html_ctx)))
    html = _HTML.get_template("layout.html").render(
        {**context, "locale": lang, "subject": subject, "body": body}
    )
    return Rendered(lang, subject, text, html)
