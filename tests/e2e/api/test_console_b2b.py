"""B2B in the console, as a signed-in browser posts its forms: a company with a contact, a
quote sent and accepted into an order, the order invoiced and paid in part, the aging, and
a bank statement that pays an invoice. Refused actions say why and change nothing."""

from __future__ import annotations

import html
import re
from typing import Any

from openoms.identity.model import Role
from tests.builders import TEST_PASSWORD, make_user, random_code
from tests.e2e.api.client import ApiClient
from tests.e2e.api.conftest import RunningServer
from tests.e2e.api.test_b2b import company
from tests.e2e.api.test_orders import make_channel, order_body, stocked_sku

Json = dict[str, Any]
ADDRESS = {
    "bill_name": "Bea Buyer",
    "bill_company": "Acme Retail BV",
    "bill_line1": "Main 1",
    "bill_postal_code": "3511",
    "bill_city": "Utrecht",
    "bill_country": "NL",
}


def console(server: RunningServer, api: ApiClient, role: Role) -> tuple[ApiClient, str]:
    """A browser-like client signed in by cookie as a new user of ``role``; its CSRF token."""
    browser = api.other()
    csrf = browser.sign_in(make_user(server.db, role).email, TEST_PASSWORD)
    return browser, csrf


def post(client: ApiClient, path: str, csrf: str, **fields: Any) -> Any:
    return client.http.post(client.base_url + path, data={"csrf_token": csrf, **fields})


def get(client: ApiClient, path: str) -> str:
    response = client.http.get(client.base_url + path)
    assert response.status_code == 200, response.text[:500]
    return response.text


def flash(client: ApiClient, path: str) -> str:
    """The first flash message of the page (reading it uses it up)."""
    page = get(client, path)
    found = re.search(r'class="flash (\w+)"[^>]*>([^<]*)<', page)
    assert found, page[:500]
    return f"{found.group(1)}: {html.unescape(found.group(2))}"


def text_of(page: str) -> str:
    """The page's text, tags removed and spaces collapsed, for phrases that span cells."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def invoiced_order(api: ApiClient, warehouse: str, units: int = 3) -> tuple[str, str, str]:
    """A company buying on terms, an order of ``units`` × €10.00 invoiced in full:
    (company code, order number, invoice number)."""
    code, email = company(api)
    sku = stocked_sku(api, warehouse)
    body = order_body(
        make_channel(api, kind="b2b"),
        {"sku": sku, "quantity": units},
        payment={"method": "invoice"},
    )
    body["customer"]["email"] = email
    order = api.post("/orders", body)
    assert order.status_code == 201, order.text
    number = order.json()["number"]
    invoice = api.post(f"/orders/{number}/invoices", {})
    assert invoice.status_code == 201, invoice.text
    return code, number, invoice.json()["number"]


def test_a_company_quote_becomes_an_order_invoiced_and_paid_in_part(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    other, _order, _invoice = invoiced_order(api, warehouse)  # another company owes €30.00
    finance, finance_csrf = console(server, api, Role.FINANCE)
    sales, sales_csrf = console(server, api, Role.SALES)
    code = random_code("CO")
    # when finance adds a company on net 30 with a limit of €5,000.00
    added = post(
        finance,
        "/console/companies",
        finance_csrf,
        code=code.lower(),
        name="Fietsen Groothandel BV",
        payment_terms="net_30",
        credit_limit="5000.00",
        currency="EUR",
    )
    # then
    assert added.status_code == 303
    assert added.headers["location"] == f"/console/companies/{code}"
    listed = text_of(get(sales, "/console/companies"))
    assert f"Fietsen Groothandel BV {code} Net 30 days €5,000.00 €0.00 €5,000.00" in listed
    # when sales adds the buyer as a contact
    email = f"{random_code('buyer').lower()}@fietsen.example"
    post(sales, f"/console/companies/{code}/contacts", sales_csrf, email=email, name="Bea")
    assert flash(sales, f"/console/companies/{code}") == (
        f"success: {email} buys for Fietsen Groothandel BV."
    )
    # and drafts a quote: 10 at €8.00 and 2 at the catalog price of €10.00
    sku = stocked_sku(api, warehouse, units=50)
    channel = make_channel(api, kind="b2b")
    form = get(sales, f"/console/quotes/new?company={code}")
    assert f'<option value="{email}" selected>' in form
    lines = {"sku": [sku, sku, ""], "quantity": ["10", "2", ""], "unit_price": ["8.00", "", ""]}
    quote = {"company": code, "contact_email": email, "channel": channel, "currency": "EUR"}
    totals = post(sales, "/console/quotes/totals", sales_csrf, **quote, **ADDRESS, **lines)
    assert totals.json()["total"] == "€100.00"
    assert [ln["row"] for ln in totals.json()["lines"]] == [0, 1]
    created = post(sales, "/console/quotes/new", sales_csrf, **quote, **ADDRESS, **lines)
    assert created.status_code == 303, created.text[:2000]
    number = created.headers["location"].rsplit("/", 1)[-1]
    assert flash(sales, f"/console/quotes/{number}") == (
        f"success: Quote {number} saved as a draft for €100.00."
    )
    # when it is sent, changed (a new version) and sent again
    post(sales, f"/console/quotes/{number}/send", sales_csrf)
    assert flash(sales, f"/console/quotes/{number}") == (
        f"success: Quote {number} version 1 marked as sent to {email}."
    )
    changed = {**lines, "quantity": ["20", "2", ""]}
    post(sales, f"/console/quotes/{number}/edit", sales_csrf, **quote, **ADDRESS, **changed)
    assert flash(sales, f"/console/quotes/{number}").startswith(
        f"success: Quote {number} is now version 2, a draft of €180.00; version 1 as sent"
    )
    post(sales, f"/console/quotes/{number}/send", sales_csrf)
    page = get(sales, f"/console/quotes/{number}")
    assert "Version 1: €100.00" in text_of(page)
    # when the customer accepts
    post(sales, f"/console/quotes/{number}/accept", sales_csrf)
    # then an order is placed at the quote's prices, on terms
    accepted = api.get(f"/quotes/{number}").json()
    order = accepted["order"]
    assert (accepted["status"], accepted["version"]) == ("accepted", 2)
    assert flash(sales, f"/console/quotes/{number}") == (
        f"success: Quote {number} accepted: order {order} placed for €180.00."
    )
    assert api.get(f"/orders/{order}").json()["totals"]["total"]["amount"] == "180.00"
    assert f'href="/console/orders/{order}"' in get(sales, f"/console/quotes/{number}")
    # when finance issues the invoice and records a part payment
    issued = post(finance, "/console/invoices", finance_csrf, order=order.lower())
    assert issued.status_code == 303, issued.text[:2000]
    invoice = issued.headers["location"].rsplit("/", 1)[-1]
    assert flash(finance, f"/console/invoices/{invoice}").startswith(
        f"success: Invoice {invoice} issued for €180.00, due "
    )
    post(
        finance,
        f"/console/invoices/{invoice}/payments",
        finance_csrf,
        amount="80.00",
        received_on="2026-03-02",
        reference="wire 123",
        method="bank_transfer",
    )
    # then
    assert flash(finance, f"/console/invoices/{invoice}") == (
        f"success: Recorded €80.00: €100.00 of invoice {invoice} is open."
    )
    paid = api.get(f"/invoices/{invoice}").json()
    assert (paid["status"], paid["balance"]["amount"]) == ("partially_paid", "100.00")
    assert paid["payments"][0]["received_on"] == "2026-03-02"
    # the aging shows what is still owed; in 2099 it is more than 90 days past due
    row = f"Fietsen Groothandel BV ({code}) EUR €100.00 €0.00 €0.00 €0.00 €0.00 €100.00"
    assert row in text_of(get(finance, "/console/aging"))
    late = f"Fietsen Groothandel BV ({code}) EUR €0.00 €0.00 €0.00 €0.00 €100.00 €100.00"
    assert late in text_of(get(finance, "/console/aging?on=2099-01-01"))
    assert f"Acme Retail BV ({other}) EUR €30.00 €0.00" in text_of(get(finance, "/console/aging"))
    # the company page shows the quote, the invoice and what is owed
    page = text_of(get(finance, f"/console/companies/{code}"))
    assert f"{invoice} {order} Partially paid" in page
    assert f"{number} v2 Accepted" in page
    listed = text_of(get(finance, f"/console/invoices?company={code}&status=partially_paid"))
    assert f"{invoice} Fietsen Groothandel BV {order}" in listed
    finance.close()
    sales.close()


def test_a_bad_quote_names_each_field_and_saves_nothing(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    code, email = company(api)
    channel = make_channel(api, kind="b2b")
    sku = stocked_sku(api, warehouse)
    sales, csrf = console(server, api, Role.SALES)
    before = len(api.get("/quotes", params={"company": code}).json())
    quote = {"company": code, "contact_email": email, "channel": channel, "currency": "EUR"}
    # the live totals say what stops them, in the form's words
    why = post(
        sales,
        "/console/quotes/totals",
        csrf,
        **quote,
        sku=["NO-SUCH-SKU", sku],
        quantity=["1", "1"],
        unit_price=["", "1.234"],
    )
    assert why.json() == {
        "ok": False,
        "error": "Line 2 unit price: EUR amounts have 2 decimal places at most, got '1.234'; "
        "Billing country (2 letters): give the country, for the tax",
    }

    response = post(
        sales,
        "/console/quotes/new",
        csrf,
        company=code,
        contact_email=email,
        channel=channel,
        currency="EUR",
        valid_until="2001-01-01",
        sku=[sku, "NO-SUCH-SKU"],
        quantity=["1", "2"],
        unit_price=["1.234", ""],
        bill_name="Bea",
        bill_country="NL",
    )

    assert response.status_code == 422
    page = html.unescape(response.text)
    assert 'id="lines-1-sku-error">no SKU or barcode “NO-SUCH-SKU”' in page
    assert 'id="lines-0-unit_price-error">EUR amounts have 2 decimal places at most' in page
    assert 'value="NO-SUCH-SKU"' in page  # what was typed is kept
    assert len(api.get("/quotes", params={"company": code}).json()) == before
    # the lines fixed, the service names the address and the date
    fixed = post(
        sales,
        "/console/quotes/new",
        csrf,
        company=code,
        contact_email=email,
        channel=channel,
        currency="EUR",
        valid_until="2001-01-01",
        sku=sku,
        quantity="1",
        bill_country="NL",
    )
    assert fixed.status_code == 422
    page = html.unescape(fixed.text)
    assert 'id="bill_line1-error">must not be empty' in page
    assert 'id="valid_until-error">is in the past' in page
    assert len(api.get("/quotes", params={"company": code}).json()) == before
    sales.close()


def test_an_import_of_the_bank_statement_pays_an_invoice(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    # given an invoice of €30.00 and another one of €20.00
    _code, _order, paid = invoiced_order(api, warehouse, units=3)
    _code, _order, later = invoiced_order(api, warehouse, units=2)
    finance, csrf = console(server, api, Role.FINANCE)
    statement = "\n".join(
        [
            "Booking date;Amount;Currency;Remittance information;Name;Transaction ID",
            f"20.11.2026;30,00;EUR;Payment {paid};Acme Retail BV;{random_code('T')}",
            f"20.11.2026;12,34;EUR;thanks;Someone;{random_code('T')}",
            "21.11.2026;x;EUR;broken;X;T-bad",
        ]
    )
    files = {"file": ("november.csv", statement.encode(), "text/csv")}
    # when it is uploaded
    response = finance.http.post(
        f"{finance.base_url}/console/bank",
        data={"csrf_token": csrf, "default_currency": "EUR"},
        files=files,
    )
    # then the invoice is paid and the rest is reported
    assert response.status_code == 200, response.text[:2000]
    page = text_of(response.text)
    assert "2 lines of money received: 1 booked, 1 to assign." in page
    assert f"€30.00 Payment {paid} Acme Retail BV Exact invoice {paid} €30.00" in page
    assert "Row 4: " in page
    assert api.get(f"/invoices/{paid}").json()["status"] == "paid"
    # when it is uploaded again, nothing is booked twice
    again = finance.http.post(
        f"{finance.base_url}/console/bank", data={"csrf_token": csrf}, files=files
    )
    assert "2 lines were imported before and left alone." in text_of(again.text)
    assert api.get(f"/invoices/{paid}").json()["paid"]["amount"] == "30.00"
    # when the line nobody claimed is booked to the other invoice by hand
    lines = api.get("/bank-statements/lines", params={"unbooked": "true"}).json()
    (line,) = [
        ln for ln in lines if ln["reference"] == "thanks" and ln["amount"]["amount"] == "12.34"
    ]
    assert f'action="/console/bank/lines/{line["id"]}/assign"' in get(finance, "/console/bank")
    post(finance, f"/console/bank/lines/{line['id']}/assign", csrf, kind="invoice", number="nope")
    assert flash(finance, "/console/bank") == (
        "error: Line not booked: number: no open invoice NOPE in EUR waits for money"
    )
    post(finance, f"/console/bank/lines/{line['id']}/assign", csrf, kind="invoice", number=later)
    assert flash(finance, "/console/bank") == (
        f"success: Booked €12.34 of the line from Someone to invoice {later}."
    )
    assert api.get(f"/invoices/{later}").json()["balance"]["amount"] == "7.66"
    # a file that is no statement is refused as a whole
    refused = finance.http.post(
        f"{finance.base_url}/console/bank",
        data={"csrf_token": csrf},
        files={"file": ("notes.csv", b"just,some\nwords,here", "text/csv")},
    )
    assert refused.status_code == 422
    assert 'id="file-error"' in refused.text
    missing = post(finance, "/console/bank", csrf)
    assert missing.status_code == 422
    assert "choose the CSV file the bank exported" in missing.text
    finance.close()


def test_sales_cannot_record_an_invoice_payment(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    _code, _order, invoice = invoiced_order(api, warehouse)
    sales, csrf = console(server, api, Role.SALES)

    response = post(sales, f"/console/invoices/{invoice}/payments", csrf, amount="10.00")

    assert response.status_code == 403
    assert "invoices.manage" in response.text
    assert api.get(f"/invoices/{invoice}").json()["paid"]["amount"] == "0.00"
    assert sales.http.get(f"{sales.base_url}/console/invoices/{invoice}").status_code == 403
    assert 'href="/console/invoices"' not in get(sales, "/console/quotes")
    sales.close()


def test_a_refused_payment_says_why_and_changes_nothing(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    # given an invoice of €30.00 with €10.00 paid
    _code, _order, invoice = invoiced_order(api, warehouse)
    finance, csrf = console(server, api, Role.FINANCE)
    path = f"/console/invoices/{invoice}/payments"
    post(finance, path, csrf, amount="10.00", method="cheque")
    assert flash(finance, f"/console/invoices/{invoice}") == (
        f"success: Recorded €10.00: €20.00 of invoice {invoice} is open."
    )
    # when more than the balance is recorded
    response = post(finance, path, csrf, amount="20.01")
    # then back to the invoice with the reason, nothing recorded
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/invoices/{invoice}"
    assert flash(finance, f"/console/invoices/{invoice}") == (
        f"error: Payment not recorded: Invoice {invoice} has 20.00 EUR open; "
        "a payment of 20.01 EUR is larger."
    )
    # and bad input names its field
    post(finance, path, csrf, amount="1.001")
    assert flash(finance, f"/console/invoices/{invoice}") == (
        "error: Payment not recorded: amount: EUR amounts have 2 decimal places at most, "
        "got '1.001'"
    )
    post(finance, path, csrf, amount="5.00", method="barter")
    assert flash(finance, f"/console/invoices/{invoice}").startswith(
        "error: Payment not recorded: method: must be one of bank_transfer"
    )
    after = api.get(f"/invoices/{invoice}").json()
    assert (after["status"], after["paid"]["amount"]) == ("partially_paid", "10.00")
    assert len(after["payments"]) == 1
    # an invoice with money on it cannot be voided
    post(finance, f"/console/invoices/{invoice}/void", csrf)
    assert flash(finance, f"/console/invoices/{invoice}").startswith("error: Not voided: ")
    assert api.get(f"/invoices/{invoice}").json()["status"] == "partially_paid"
    # an unknown order is not invoiced
    refused = post(finance, "/console/invoices", csrf, order="SO-999999999")
    assert refused.status_code == 409
    assert 'id="order-error"' in refused.text
    finance.close()


def test_a_quote_with_discounts_becomes_an_order_at_the_quoted_total(
    server: RunningServer, api: ApiClient, warehouse: str
) -> None:
    code, email = company(api)
    channel = make_channel(api, kind="b2b")
    sku = stocked_sku(api, warehouse, units=50)
    sales, csrf = console(server, api, Role.SALES)
    # 10 × €10.00 less €5.00 on the line, and €15.00 off the whole quote
    created = post(
        sales,
        "/console/quotes/new",
        csrf,
        company=code,
        contact_email=email,
        channel=channel,
        currency="EUR",
        sku=sku,
        quantity="10",
        line_discount="5.00",
        discount="15.00",
        **ADDRESS,
    )
    assert created.status_code == 303, created.text[:2000]
    number = created.headers["location"].rsplit("/", 1)[-1]
    assert api.get(f"/quotes/{number}").json()["total"]["amount"] == "80.00"
    # the form to change it brings back both discounts
    form = get(sales, f"/console/quotes/{number}/edit")
    assert 'id="disc-0" name="line_discount" inputmode="decimal" value="5.00"' in form
    assert 'id="quote-discount" name="discount" inputmode="decimal" value="15.00"' in form
    post(sales, f"/console/quotes/{number}/send", csrf)
    post(sales, f"/console/quotes/{number}/accept", csrf)
    order = api.get(f"/quotes/{number}").json()["order"]
    assert order, flash(sales, f"/console/quotes/{number}")
    assert api.get(f"/orders/{order}").json()["totals"]["total"]["amount"] == "80.00"
    sales.close()
