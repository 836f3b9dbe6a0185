"""Fulfilment documents as PDF: the 4 x 6 inch shipping label, the packing slip and the receipt.

Pure: the caller passes every text already formatted (money as "€ 12.50", dates, weights), so
nothing here knows locales, money or the database. The PDFs are built with ``invariant=1``:
the same data gives the same bytes.

Fonts: the standard PDF Helvetica covers Latin-1 only, so "Łódź" would print as boxes. We embed
DejaVu Sans (Debian's ``fonts-dejavu-core``), else Liberation Sans, from the usual system font
folders. Without either we fall back to Bitstream Vera, which ships inside reportlab and covers
Latin-1 (so "Straße" and "Ærøskøbing") but not most of Latin Extended-A ("ź", "ś", "ą" show as
boxes).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from openoms.shared.errors import ValidationFailed

AUTHOR = "OpenOMS"
LABEL_SIZE = (4 * inch, 6 * inch)

_FONT_FILES = (
    ("/usr/share/fonts/truetype/dejavu", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),  # Debian
    ("/usr/share/fonts/dejavu-sans-fonts", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),  # Fedora
    ("/usr/share/fonts/TTF", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),  # Arch
    (
        "/usr/share/fonts/truetype/liberation",
        "LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
    ),
    (str(Path(reportlab.__file__).parent / "fonts"), "Vera.ttf", "VeraBd.ttf"),
)
# A 203 dpi thermal head: bars a whole number of dots wide print evenly.
_PRINTER_DOT = 72 / 203
_QUIET_MODULES = 10  # Code128 needs 10 modules of white on each side


@dataclass(frozen=True)
class Party:
    """A name and its address lines, country last; company and phone go inside the lines."""

    name: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class LabelData:
    tracking_number: str
    carrier: str
    service: str
    ship_from: Party
    ship_to: Party
    weight: str
    package: str
    order_number: str
    ship_date: str
    reference: str = ""


@dataclass(frozen=True)
class DocLine:
    sku: str
    name: str
    quantity: int
    unit_price: str = ""
    total: str = ""
    note: str = ""


@dataclass(frozen=True)
class SlipData:
    merchant: str
    order_number: str
    order_date: str
    ship_to: Party
    bill_to: Party | None
    lines: tuple[DocLine, ...]
    packages: tuple[str, ...]
    notes: str = ""
    gift_message: str = ""
    logo_png: bytes | None = None


@dataclass(frozen=True)
class ReceiptData:
    """A receipt; the last row of ``totals`` is the grand total and is set in bold."""

    merchant: str
    merchant_address: tuple[str, ...]
    order_number: str
    order_date: str
    bill_to: Party
    ship_to: Party | None
    lines: tuple[DocLine, ...]
    totals: tuple[tuple[str, str], ...]
    payments: tuple[str, ...] = ()
    footer: str = ""
    logo_png: bytes | None = None


@cache
def document_fonts() -> tuple[str, str]:
    """The registered (regular, bold) font names: the first family found in ``_FONT_FILES``."""
    for folder, regular, bold in _FONT_FILES:
        paths = (Path(folder) / regular, Path(folder) / bold)
        if all(p.is_file() for p in paths):
            stem = Path(regular).stem.split("-")[0]
            names = (f"OMS-{stem}", f"OMS-{stem}-Bold")
            for name, path in zip(names, paths, strict=True):
                pdfmetrics.registerFont(TTFont(name, str(path)))
            pdfmetrics.registerFontFamily(
                names[0], normal=names[0], bold=names[1], italic=names[0], boldItalic=names[1]
            )
            return names
    return ("Helvetica", "Helvetica-Bold")  # unreachable while reportlab ships Vera


def _code128(field: str, value: str, *, max_width: float, bar_height: float, dot: float) -> Any:
    """A Code128 as wide as fits ``max_width`` with its quiet zones, bars whole ``dot``s wide."""
    _require_code128(field, value)
    modules = Code128(value, barWidth=1, lquiet=0, rquiet=0).width + 2 * _QUIET_MODULES
    bar_width = max_width / modules
    if bar_width >= dot:
        bar_width = int(bar_width / dot) * dot
    quiet = _QUIET_MODULES * bar_width
    return Code128(
        value, barWidth=bar_width, barHeight=bar_height, lquiet=quiet, rquiet=quiet, quiet=1
    )


def _require_code128(field: str, value: str) -> None:
    if not value or not value.isascii() or not value.isprintable():
        raise ValidationFailed.single(field, f"'{value}' cannot be encoded as a Code128 barcode")


# --- the shipping label ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    x: float
    y: float  # bottom
    width: float
    height: float


def shipping_label_pdf(data: LabelData) -> bytes:
    """Draw a 4 x 6 inch thermal shipping label with the tracking number as a Code128.

    Raises:
        ValidationFailed: the tracking number is empty or not printable ASCII.
    """
    page_width, _ = LABEL_SIZE
    inner = page_width - 20
    barcode = _code128(
        "tracking_number", data.tracking_number, max_width=inner, bar_height=72, dot=_PRINTER_DOT
    )
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=LABEL_SIZE, invariant=1)
    _set_metadata(c, f"Shipping label {data.tracking_number}", f"Order {data.order_number}")
    _draw_band(c, data, _Box(10, 382, inner, 40))
    _draw_party(c, "FROM", data.ship_from, _Box(10, 322, inner, 56), max_size=8)
    _draw_party(c, "TO", data.ship_to, _Box(10, 196, inner, 118), max_size=14)
    _draw_details(c, data, _Box(10, 146, inner, 44))
    for y in (318, 192, 142):
        c.line(10, y, 10 + inner, y)
    barcode.drawOn(c, 10 + (inner - barcode.width) / 2, 62)
    _, bold = document_fonts()
    _draw_fitted(c, data.tracking_number, bold, 12, _Box(10, 44, inner, 12), centred=True)
    if data.reference:
        regular, _ = document_fonts()
        _draw_fitted(c, f"Ref {data.reference}", regular, 7, _Box(10, 14, inner, 8))
    c.showPage()
    c.save()
    return buf.getvalue()


def _set_metadata(c: Any, title: str, subject: str) -> None:
    c.setTitle(title)
    c.setSubject(subject)
    c.setAuthor(AUTHOR)
    c.setCreator(AUTHOR)


def _draw_band(c: Any, data: LabelData, box: _Box) -> None:
    regular, bold = document_fonts()
    c.rect(box.x, box.y, box.width, box.height, stroke=0, fill=1)
    c.setFillColor(colors.white)
    _draw_fitted(c, data.carrier, bold, 18, _Box(box.x + 6, box.y + 18, box.width - 12, 18))
    _draw_fitted(c, data.service, regular, 10, _Box(box.x + 6, box.y + 5, box.width - 12, 10))
    c.setFillColor(colors.black)


def _draw_party(c: Any, caption: str, party: Party, box: _Box, *, max_size: float) -> None:
    regular, bold = document_fonts()
    c.setFont(bold, 6)
    c.drawString(box.x, box.y + box.height - 6, caption)
    rows = _fit_party(party, box.width - 8, box.height - 9, max_size)
    y = box.y + box.height - 9
    for text, is_name, size in rows:
        y -= size * 1.15
        c.setFont(bold if is_name else regular, size)
        c.drawString(box.x + 8, y + size * 0.2, text)


def _fit_party(
    party: Party, width: float, height: float, max_size: float
) -> list[tuple[str, bool, float]]:
    """Rows (text, is_name, size) that fit the box: shrink to 5 pt, then cut the last rows."""
    size = max_size
    while True:
        rows = _wrap_party(party, width, size)
        if sum(s * 1.15 for _, _, s in rows) <= height or size <= 5:
            break
        size -= 0.5
    while rows and sum(s * 1.15 for _, _, s in rows) > height:
        rows.pop()
    if len(rows) < len(_wrap_party(party, width, size)) and rows:
        text, is_name, row_size = rows[-1]
        rows[-1] = (_clip(text + " …", _font(is_name), row_size, width), is_name, row_size)
    return rows


def _font(bold: bool) -> str:
    return document_fonts()[1 if bold else 0]


def _wrap_party(party: Party, width: float, size: float) -> list[tuple[str, bool, float]]:
    name_size = size * 1.2
    rows = [(t, True, name_size) for t in simpleSplit(party.name, _font(True), name_size, width)]
    for line in party.lines:
        rows += [(t, False, size) for t in simpleSplit(line, _font(False), size, width)]
    return [(_clip(t, _font(b), s, width), b, s) for t, b, s in rows]


def _clip(text: str, font: str, size: float, width: float) -> str:
    """Cut a word too long to wrap so it ends inside ``width``."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_details(c: Any, data: LabelData, box: _Box) -> None:
    half = box.height / 2
    wide = box.width * 0.62
    cells = (
        ("WEIGHT", data.weight, _Box(box.x, box.y + half, wide, half)),
        ("PACKAGE", data.package, _Box(box.x + wide, box.y + half, box.width - wide, half)),
        ("SHIP DATE", data.ship_date, _Box(box.x, box.y, wide, half)),
        ("ORDER", data.order_number, _Box(box.x + wide, box.y, box.width - wide, half)),
    )
    regular, bold = document_fonts()
    for caption, value, cell in cells:
        c.setFont(regular, 5.5)
        c.drawString(cell.x, cell.y + cell.height - 6, caption)
        _draw_fitted(c, value, bold, 10, _Box(cell.x, cell.y + 3, cell.width - 4, 10))


def _draw_fitted(
    c: Any, text: str, font: str, size: float, box: _Box, *, centred: bool = False
) -> None:
    """One line of text, shrunk (to 5 pt at least, then cut) to the box's width."""
    while size > 5 and pdfmetrics.stringWidth(text, font, size) > box.width:
        size -= 0.5
    text = _clip(text, font, size, box.width)
    c.setFont(font, size)
    if centred:
        c.drawCentredString(box.x + box.width / 2, box.y, text)
    else:
        c.drawString(box.x, box.y, text)


# --- the packing slip and the receipt (A4) -----------------------------------------------------

_MARGIN = 18 * mm
_CONTENT_WIDTH = A4[0] - 2 * _MARGIN
_FRAME_PADDING = 6
_GREY = colors.HexColor("#555555")
_RULE = colors.HexColor("#999999")


@cache
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = document_fonts()
    base = ParagraphStyle("oms-base", fontName=regular, fontSize=9, leading=11.5)
    small = ParagraphStyle("oms-small", parent=base, fontSize=7.5, leading=9.5, textColor=_GREY)
    return {
        "base": base,
        "small": small,
        "caption": ParagraphStyle("oms-caption", parent=small, fontName=bold),
        "title": ParagraphStyle("oms-title", parent=base, fontName=bold, fontSize=15, leading=19),
        "right": ParagraphStyle("oms-right", parent=base, alignment=TA_RIGHT),
        "right-bold": ParagraphStyle("oms-rb", parent=base, fontName=bold, alignment=TA_RIGHT),
        "heading": ParagraphStyle(
            "oms-heading", parent=base, fontName=bold, fontSize=10.5, spaceBefore=10, spaceAfter=3
        ),
    }


def _p(text: str, style: str = "base") -> Paragraph:
    return Paragraph(escape(text), _styles()[style])


def _party(caption: str, party: Party) -> list[Paragraph]:
    body = "<br/>".join([f"<b>{escape(party.name)}</b>", *(escape(x) for x in party.lines)])
    return [_p(caption.upper(), "caption"), Paragraph(body, _styles()["base"])]


def _logo(png: bytes, max_width: float, max_height: float) -> Image:
    width, height = ImageReader(io.BytesIO(png)).getSize()
    scale = min(max_width / width, max_height / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale, hAlign="LEFT")


def _header(logo_png: bytes | None, left: list[Any], right: list[Any]) -> Table:
    if logo_png is not None:
        left = [_logo(logo_png, 150, 45), Spacer(1, 4), *left]
    half = _CONTENT_WIDTH / 2
    table = Table([[left, right]], colWidths=[half, half])
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]
    table.setStyle(TableStyle(style + _no_padding()))
    return table


def _no_padding() -> list[tuple[Any, ...]]:
    return [(f"{side}PADDING", (0, 0), (-1, -1), 0) for side in ("LEFT", "RIGHT", "TOP")]


def _two_parties(first: tuple[str, Party], second: tuple[str, Party] | None) -> Table:
    cells = [_party(*first), _party(*second) if second else []]
    half = _CONTENT_WIDTH / 2
    table = Table([cells], colWidths=[half, half], spaceBefore=14, spaceAfter=14)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *_no_padding()]))
    return table


def _lines_style(numeric_from: int) -> TableStyle:
    _, bold = document_fonts()
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, 0), bold),
            ("FONTSIZE", (0, 0), (-1, 0), 8),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.3, _RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
            ("LEFTPADDING", (0, 0), (0, -1), 0),
            ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
        ]
    )


def _item(line: DocLine) -> list[Paragraph]:
    return [_p(line.name)] + ([_p(line.note, "small")] if line.note else [])


def _section(title: str, texts: tuple[str, ...]) -> list[Any]:
    return [_p(title, "heading"), *(_p(t) for t in texts)] if texts else []


def _render_a4(
    story: Callable[[], list[Any]],
    decorate: Callable[[Any, int, int], None],
    *,
    title: str,
    subject: str,
    bottom_margin: float = _MARGIN,
) -> bytes:
    """Build twice: the first pass counts the pages so each page can say "page N of M"."""

    def build(page_count: int) -> tuple[bytes, int]:
        buf = io.BytesIO()
        doc = SimpleDocTemplate(
            buf,
            pagesize=A4,
            title=title,
            subject=subject,
            author=AUTHOR,
            creator=AUTHOR,
            invariant=1,
            # The page's frame pads by 6 pt; the margins give that back so content starts
            # at _MARGIN, in line with what on_page draws.
            leftMargin=_MARGIN - _FRAME_PADDING,
            rightMargin=_MARGIN - _FRAME_PADDING,
            topMargin=_MARGIN + 6 * mm - _FRAME_PADDING,
            bottomMargin=bottom_margin - _FRAME_PADDING,
        )

        def on_page(canvas: Any, doc: Any) -> None:
            canvas.saveState()
            decorate(canvas, doc.page, page_count)
            canvas.restoreState()

        doc.build(story(), onFirstPage=on_page, onLaterPages=on_page)
        return buf.getvalue(), int(doc.page)

    _, pages = build(0)
    return build(pages)[0]


def _page_number(canvas: Any, text: str, page: int, pages: int) -> None:
    regular, _ = document_fonts()
    canvas.setFont(regular, 7.5)
    canvas.setFillColor(_GREY)
    canvas.drawString(_MARGIN, 10 * mm, text)
    canvas.drawRightString(A4[0] - _MARGIN, 10 * mm, f"Page {page} of {pages}")


def packing_slip_pdf(data: SlipData) -> bytes:
    """Draw an A4 packing slip without prices: lines to tick off, packages, the gift message.

    Raises:
        ValidationFailed: the order number cannot be encoded as a Code128.
    """
    _require_code128("order_number", data.order_number)

    def decorate(canvas: Any, page: int, pages: int) -> None:
        _page_number(canvas, f"{data.merchant} · packing slip {data.order_number}", page, pages)

    return _render_a4(
        lambda: _slip_story(data),
        decorate,
        title=f"Packing slip {data.order_number}",
        subject=f"Order {data.order_number}",
    )


def _slip_story(data: SlipData) -> list[Any]:
    barcode = _code128("order_number", data.order_number, max_width=190, bar_height=30, dot=0.24)
    right = [
        _p("Packing slip", "right-bold"),
        _p(f"Order {data.order_number}", "right"),
        _p(data.order_date, "right"),
        Spacer(1, 4),
        barcode,
    ]
    story: list[Any] = [
        _header(data.logo_png, [_p(data.merchant, "title")], right),
        _two_parties(
            ("Ship to", data.ship_to), ("Bill to", data.bill_to) if data.bill_to else None
        ),
        _slip_lines(data.lines),
        Spacer(1, 4),
        _p(f"{sum(x.quantity for x in data.lines)} items", "right-bold"),
        *_section("Packages", data.packages),
    ]
    if data.gift_message:
        story += [_p("Gift message", "heading"), _boxed(data.gift_message)]
    return story + _section("Notes", (data.notes,) if data.notes else ())


def _slip_lines(lines: tuple[DocLine, ...]) -> Table:
    box = Table([[""]], colWidths=9, rowHeights=9)
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black)]))
    rows: list[list[Any]] = [["", "SKU", "Item", "Qty"]]
    rows += [[box, _p(x.sku), _item(x), _p(str(x.quantity), "right-bold")] for x in lines]
    widths = [22, 110, _CONTENT_WIDTH - 22 - 110 - 45, 45]
    return Table(rows, colWidths=widths, repeatRows=1, style=_lines_style(numeric_from=3))


def _boxed(text: str) -> Table:
    table = Table([[_p(text)]], colWidths=[_CONTENT_WIDTH])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black)]))
    return table


def receipt_pdf(data: ReceiptData) -> bytes:
    """Draw an A4 receipt; long orders run onto further pages under a repeated header."""
    footer = _p(data.footer, "small")
    footer_height = footer.wrap(_CONTENT_WIDTH, A4[1])[1] if data.footer else 0

    def decorate(canvas: Any, page: int, pages: int) -> None:
        if data.footer:
            footer.drawOn(canvas, _MARGIN, 10 * mm + 12)
        _page_number(canvas, f"{data.merchant} · receipt {data.order_number}", page, pages)
        if page > 1:
            _running_header(canvas, data)

    return _render_a4(
        lambda: _receipt_story(data),
        decorate,
        title=f"Receipt {data.order_number}",
        subject=f"Order {data.order_number}",
        bottom_margin=_MARGIN + footer_height + 6,
    )


def _running_header(canvas: Any, data: ReceiptData) -> None:
    regular, bold = document_fonts()
    top = A4[1] - _MARGIN
    canvas.setFont(bold, 10)
    canvas.drawString(_MARGIN, top, data.merchant)
    canvas.setFont(regular, 9)
    text = f"Receipt {data.order_number} · {data.order_date} (continued)"
    canvas.drawRightString(A4[0] - _MARGIN, top, text)
    canvas.setStrokeColor(_RULE)
    canvas.line(_MARGIN, top - 5, A4[0] - _MARGIN, top - 5)


def _receipt_story(data: ReceiptData) -> list[Any]:
    left = [_p(data.merchant, "title"), *(_p(x, "small") for x in data.merchant_address)]
    right = [
        _p("Receipt", "right-bold"),
        _p(f"Order {data.order_number}", "right"),
        _p(data.order_date, "right"),
    ]
    ship_to = ("Ship to", data.ship_to) if data.ship_to else None
    return [
        _header(data.logo_png, left, right),
        _two_parties(("Bill to", data.bill_to), ship_to),
        _receipt_lines(data.lines),
        *_totals(data.totals),
        *_section("Payments", data.payments),
    ]


def _receipt_lines(lines: tuple[DocLine, ...]) -> Table:
    rows: list[list[Any]] = [["SKU", "Item", "Qty", "Unit price", "Total"]]
    for x in lines:
        numbers = (str(x.quantity), x.unit_price, x.total)
        rows.append([_p(x.sku), _item(x), *(_p(n, "right") for n in numbers)])
    widths = [95, _CONTENT_WIDTH - 95 - 35 - 75 - 75, 35, 75, 75]
    return Table(rows, colWidths=widths, repeatRows=1, style=_lines_style(numeric_from=2))


def _totals(totals: tuple[tuple[str, str], ...]) -> list[Table]:
    if not totals:
        return []
    last = len(totals) - 1
    styles = ["right"] * last + ["right-bold"]
    rows = [
        [_p(label, st), _p(value, st)] for (label, value), st in zip(totals, styles, strict=True)
    ]
    table = Table(rows, colWidths=[120, 80], hAlign="RIGHT", spaceBefore=8)
    rule = ("LINEABOVE", (0, last), (-1, last), 0.8, colors.black)
    table.setStyle(TableStyle([rule, ("RIGHTPADDING", (-1, 0), (-1, -1), 0)]))
    return [table]
