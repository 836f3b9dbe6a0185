import io
import secrets
from dataclasses import replace

import pypdf
import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from openoms.fulfillment.documents import (
    DocLine,
    LabelData,
    Party,
    ReceiptData,
    SlipData,
    packing_slip_pdf,
    receipt_pdf,
    shipping_label_pdf,
)
from openoms.shared.errors import ValidationFailed

SHOP = Party("Velo Parts Amsterdam", ("Overtoom 301", "1054 HW Amsterdam", "Netherlands"))
BERLIN = Party("Anna Schmidt", ("Oranienstraße 185", "10999 Berlin", "Germany"))
UNICODE = Party("Łucja Żółkiewska", ("ul. Piotrkowska 104", "90-926 Łódź", "Poland"))


def random_order_number() -> str:
    return f"SO-{secrets.randbelow(10**6):06d}"


def random_sku() -> str:
    return f"SKU-{secrets.token_hex(3).upper()}"


def a_label(**changes: object) -> LabelData:
    label = LabelData(
        tracking_number="RR123456785NL",
        carrier="PostNL",
        service="International Parcel Tracked",
        ship_from=SHOP,
        ship_to=BERLIN,
        weight="2.40 kg (billable 3.00 kg)",
        package="1 of 2",
        order_number=random_order_number(),
        ship_date="14 May 2025",
        reference="FO-1001",
    )
    return replace(label, **changes)  # type: ignore[arg-type]


def a_slip(**changes: object) -> SlipData:
    slip = SlipData(
        merchant="Velo Parts Amsterdam",
        order_number=random_order_number(),
        order_date="14 May 2025",
        ship_to=BERLIN,
        bill_to=None,
        lines=(DocLine(random_sku(), "Chain", 2), DocLine(random_sku(), "Brake pads", 13)),
        packages=("RR123456785NL — PostNL, 2.4 kg",),
    )
    return replace(slip, **changes)  # type: ignore[arg-type]


def a_receipt(**changes: object) -> ReceiptData:
    receipt = ReceiptData(
        merchant="Velo Parts Amsterdam",
        merchant_address=SHOP.lines,
        order_number=random_order_number(),
        order_date="14 May 2025",
        bill_to=BERLIN,
        ship_to=None,
        lines=(DocLine(random_sku(), "Chain", 2, "€ 20.00", "€ 40.00"),),
        totals=(("Subtotal", "€ 40.00"), ("Shipping", "€ 8.40"), ("Total", "€ 48.40")),
        payments=("Visa •••• 4242 captured € 48.40",),
    )
    return replace(receipt, **changes)  # type: ignore[arg-type]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def code128s(pdf: bytes, scale: float) -> list[str]:
    """The texts of the Code128 barcodes found on the rendered first page; none of another kind."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=scale).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert all(barcode.format == zxingcpp.BarcodeFormat.Code128 for barcode in found)
    return [barcode.text for barcode in found]


def char_boxes(pdf: bytes) -> list[tuple[float, float, float, float]]:
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage()
    return [text.get_charbox(i) for i in range(text.count_chars())]


# --- the shipping label


def test_the_label_is_one_4_by_6_inch_page_with_the_tracking_number_and_the_recipient() -> None:
    pdf = shipping_label_pdf(a_label())

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (288, 432)
    text = pdf_text(pdf)
    for expected in ("RR123456785NL", "Anna Schmidt", "Berlin", "10999", "PostNL", "1 of 2"):
        assert expected in text


def test_the_label_carries_title_and_author_metadata() -> None:
    metadata = pypdf.PdfReader(io.BytesIO(shipping_label_pdf(a_label()))).metadata

    assert metadata is not None
    assert metadata.author == "OpenOMS"
    assert metadata.title == "Shipping label RR123456785NL"


@pytest.mark.parametrize(
    "tracking_number", ["RR123456785NL", "JD014600006281234567", "1Z999AA10123456784"]
)
def test_the_label_barcode_scans_as_the_tracking_number(tracking_number: str) -> None:
    pdf = shipping_label_pdf(a_label(tracking_number=tracking_number))

    assert code128s(pdf, scale=4) == [tracking_number]


@pytest.mark.parametrize(
    "line", ["90-926 Łódź", "Oranienstraße 185", "5970 Ærøskøbing", "Ελλάδα", "Čeština Şişli"]
)
def test_non_latin_1_addresses_extract_back_intact(line: str) -> None:
    party = replace(UNICODE, lines=(line, "Somewhere"))

    for pdf in (
        shipping_label_pdf(a_label(ship_to=party)),
        packing_slip_pdf(a_slip(ship_to=party)),
        receipt_pdf(a_receipt(bill_to=party)),
    ):
        text = pdf_text(pdf)
        assert line in text
        assert "Łucja Żółkiewska" in text


def test_a_long_address_shrinks_to_stay_inside_the_label() -> None:
    # given
    lines = (
        "Attn. Receiving Department, Building C, Loading Dock 7, Gate 3 (ring the bell twice)",
        "Hochschule für Technik und Wirtschaft Berlin, Fachbereich Ingenieurwissenschaften",
        "Wilhelminenhofstraße 75A, Gebäude C, 3. Obergeschoss, Raum 312",
        "c/o Prof. Dr.-Ing. Maximilian Alexander von Hohenzollern-Sigmaringen",
        "12459 Berlin-Oberschöneweide",
        "+49 30 5019 0000 · deliveries before 14:00 only",
        "Germany",
    )
    party = Party("Technische Beschaffungsgesellschaft Berlin-Brandenburg mbH", lines)

    # when
    pdf = shipping_label_pdf(a_label(ship_to=party))

    # then
    for left, bottom, right, top in char_boxes(pdf):
        assert 0 <= left <= right <= 288
        assert 0 <= bottom <= top <= 432
    text = " ".join(pdf_text(pdf).split())
    assert "12459 Berlin-Oberschöneweide" in text
    assert "Gebäude C" in text


def test_an_address_far_too_long_is_cut_but_stays_inside_the_label() -> None:
    party = Party("X" * 300, tuple(f"Line {i} " + "Y" * 120 for i in range(40)))

    pdf = shipping_label_pdf(a_label(ship_to=party, ship_from=party, weight="9" * 200))

    for left, bottom, right, top in char_boxes(pdf):
        assert 0 <= left <= right <= 288
        assert 0 <= bottom <= top <= 432
    assert code128s(pdf, scale=4) == ["RR123456785NL"]


def test_the_same_label_data_gives_the_same_bytes() -> None:
    label = a_label()

    assert shipping_label_pdf(label) == shipping_label_pdf(label)


@pytest.mark.parametrize("tracking_number", ["", "RR 123 ÄÖ", "RR\t1"])
def test_a_tracking_number_code128_cannot_encode_is_refused(tracking_number: str) -> None:
    with pytest.raises(ValidationFailed):
        shipping_label_pdf(a_label(tracking_number=tracking_number))


# --- the packing slip


def test_the_slip_lists_every_sku_with_its_quantity_on_the_same_row() -> None:
    # given
    lines = tuple(
        DocLine(random_sku(), f"Part {i}", i + 1, "€ 99.99", "€ 999.99") for i in range(6)
    )

    # when
    pdf = packing_slip_pdf(a_slip(lines=lines))

    # then
    page = pypdfium2.PdfDocument(pdf)[0]
    text = page.get_textpage()
    width = page.get_width()
    for line in lines:
        searcher = text.search(line.sku)
        first = searcher.get_next()
        assert first is not None, line.sku
        _, bottom, _, top = text.get_charbox(first[0])
        qty_cell = text.get_text_bounded(
            left=width / 2, bottom=bottom - 1, right=width, top=top + 1
        )
        assert qty_cell.strip() == str(line.quantity)


def test_the_slip_shows_no_prices() -> None:
    line = DocLine(random_sku(), "Chain", 2, "€ 99.99", "€ 199.98")

    text = pdf_text(packing_slip_pdf(a_slip(lines=(line,))))

    assert "99.99" not in text
    assert "€" not in text


def test_the_slip_order_number_barcode_scans() -> None:
    slip = a_slip()

    assert code128s(packing_slip_pdf(slip), scale=3) == [slip.order_number]


def test_the_slip_shows_packages_gift_message_notes_and_both_addresses() -> None:
    slip = a_slip(
        bill_to=replace(BERLIN, name="Paul Schmidt"),
        gift_message="Happy birthday!",
        notes="Leave with the neighbour.",
        packages=("RR123456785NL — PostNL, 2.4 kg", "RR123456799NL — PostNL, 1.1 kg"),
    )

    text = pdf_text(packing_slip_pdf(slip))

    for expected in (
        "Happy birthday!",
        "Leave with the neighbour.",
        "Paul Schmidt",
        "Anna Schmidt",
    ):
        assert expected in text
    assert "RR123456799NL — PostNL, 1.1 kg" in text
    assert "15 items" in text


def test_a_logo_is_placed_on_slip_and_receipt() -> None:
    png = io.BytesIO()
    Image.new("RGB", (400, 100), (200, 30, 30)).save(png, format="PNG")

    for pdf in (
        packing_slip_pdf(a_slip(logo_png=png.getvalue())),
        receipt_pdf(a_receipt(logo_png=png.getvalue())),
    ):
        assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


def test_markup_characters_in_text_are_printed_as_typed() -> None:
    line = DocLine(random_sku(), "Bolts <M5> & nuts", 1)

    text = pdf_text(packing_slip_pdf(a_slip(lines=(line,), notes="Fragile: <glass> & more")))

    assert "Bolts <M5> & nuts" in text
    assert "Fragile: <glass> & more" in text


# --- the receipt


def test_a_receipt_of_120_lines_runs_onto_pages_that_repeat_the_header() -> None:
    # given
    lines = tuple(
        DocLine(random_sku(), f"Spoke {i} mm", 1 + i % 5, "€ 0.80", f"€ {0.8 * (1 + i % 5):.2f}")
        for i in range(120)
    )
    receipt = a_receipt(lines=lines, footer="Velo Parts Amsterdam B.V. · KvK 81234567")

    # when
    pdf = receipt_pdf(receipt)

    # then
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 3
    text = pdf_text(pdf)
    assert all(line.sku in text for line in lines)
    for label, value in receipt.totals:
        assert label in text
        assert value in text
    for number, page in enumerate(pages, start=1):
        page_text = page.extract_text()
        assert receipt.order_number in page_text
        assert "Unit price" in page_text
        assert f"Page {number} of {len(pages)}" in page_text
        assert "KvK 81234567" in page_text


def test_every_receipt_line_appears_exactly_once() -> None:
    lines = tuple(DocLine(f"LINE-{i:03d}", "Spoke", 1, "€ 0.80", "€ 0.80") for i in range(120))

    text = pdf_text(receipt_pdf(a_receipt(lines=lines)))

    assert all(text.count(line.sku) == 1 for line in lines)


def test_the_receipt_shows_prices_payments_and_metadata() -> None:
    receipt = a_receipt(ship_to=replace(BERLIN, name="Paul Schmidt"))

    pdf = receipt_pdf(receipt)

    text = pdf_text(pdf)
    for expected in ("€ 20.00", "€ 40.00", "Visa •••• 4242 captured € 48.40", "Paul Schmidt"):
        assert expected in text
    metadata = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.author == "OpenOMS"
    assert metadata.title == f"Receipt {receipt.order_number}"


def test_a4_documents_are_deterministic() -> None:
    slip, receipt = a_slip(), a_receipt()

    assert packing_slip_pdf(slip) == packing_slip_pdf(slip)
    assert receipt_pdf(receipt) == receipt_pdf(receipt)
