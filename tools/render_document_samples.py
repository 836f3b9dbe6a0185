"""Render the fulfilment documents for a sample order and write PNG previews of their first pages.

Writes docs/images/samples/label.png, packing-slip.png and receipt.png (and, with ``--pdf``,
the PDFs beside them). Needs the dev extra (pypdfium2, pillow):

    .venv/bin/python tools/render_document_samples.py
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pypdfium2
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

OUT = Path(__file__).resolve().parent.parent / "docs/images/samples"
# Pixels per PDF point: the label is small, so it gets more.
SCALES = {"label": 2.5, "packing-slip": 1.5, "receipt": 1.5}

MERCHANT = "Velo Parts Amsterdam"
SHOP = Party(MERCHANT, ("Overtoom 301", "1054 HW Amsterdam", "Netherlands", "+31 20 555 0134"))
CUSTOMER = Party(
    "Jörg Weißmüller",
    ("Fahrradwerkstatt Kreuzberg", "Oranienstraße 185", "10999 Berlin", "Germany"),
)
BILL_TO = Party("Jörg Weißmüller", ("Görlitzer Straße 12", "10997 Berlin", "Germany"))
LINES = (
    DocLine("VPA-CHN-11S", "Shimano CN-M8100 chain, 12-speed", 2, "€ 42.95", "€ 85.90"),
    DocLine("VPA-TYR-700-28", "Continental Grand Prix 5000 tyre 700x28C", 1, "€ 54.95", "€ 54.95"),
    DocLine(
        "VPA-BRK-PAD-R", "Brake pads, resin (pair)", 4, "€ 8.50", "€ 34.00", "Backorder: 2 follow"
    ),
)
ORDER, DATE = "SO-2025-004217", "14 May 2025"
TRACKING = "JD014600006281234567"


def label() -> bytes:
    return shipping_label_pdf(
        LabelData(
            tracking_number=TRACKING,
            carrier="DHL Parcel",
            service="Europaket · signature on delivery",
            ship_from=SHOP,
            ship_to=CUSTOMER,
            weight="2.40 kg (billable 3.00 kg)",
            package="1 of 1",
            order_number=ORDER,
            ship_date=DATE,
            reference="FO-2025-009311",
        )
    )


def slip() -> bytes:
    return packing_slip_pdf(
        SlipData(
            merchant=MERCHANT,
            order_number=ORDER,
            order_date=DATE,
            ship_to=CUSTOMER,
            bill_to=BILL_TO,
            lines=LINES,
            packages=(f"{TRACKING} — DHL Parcel, 2.4 kg",),
            notes="Please leave the parcel with the workshop if nobody answers.",
            gift_message="Alles Gute zum Geburtstag, Jörg! Viel Spaß beim Schrauben.",
        )
    )


def receipt() -> bytes:
    return receipt_pdf(
        ReceiptData(
            merchant=MERCHANT,
            merchant_address=(*SHOP.lines, "VAT NL859123456B01 · KvK 81234567"),
            order_number=ORDER,
            order_date=DATE,
            bill_to=BILL_TO,
            ship_to=CUSTOMER,
            lines=LINES,
            totals=(
                ("Subtotal", "€ 174.85"),
                ("Shipping", "€ 9.95"),
                ("VAT 21% (included)", "€ 32.07"),
                ("Total", "€ 184.80"),
            ),
            payments=("Visa •••• 4242 captured € 184.80 on 14 May 2025",),
            footer=(
                "Velo Parts Amsterdam B.V. · Overtoom 301, 1054 HW Amsterdam · "
                "KvK 81234567 · IBAN NL91 ABNA 0417 1643 00. Returns within 30 days."
            ),
        )
    )


def first_page_png(pdf: bytes, scale: float) -> bytes:
    document = pypdfium2.PdfDocument(pdf)
    image: Image.Image = document[0].render(scale=scale).to_pil().convert("L")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", action="store_true", help="also write the PDFs")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, render in (("label", label), ("packing-slip", slip), ("receipt", receipt)):
        pdf = render()
        png = first_page_png(pdf, SCALES[name])
        (OUT / f"{name}.png").write_bytes(png)
        if args.pdf:
            (OUT / f"{name}.pdf").write_bytes(pdf)
        sys.stdout.write(f"{OUT / name}.png: {len(png) // 1024} KB\n")


if __name__ == "__main__":
    main()
