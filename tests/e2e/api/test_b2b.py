"""B2B over HTTP: a company with terms and a credit limit, a quote accepted into an order,
the order invoiced and paid in parts, aging, and a bank statement that pays invoices."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import random_code
from tests.e2e.api.client import ApiClient, field_errors
from tests.e2e.api.test_orders import ADDRESS, make_channel, order_body, stocked_sku

Json = dict[str, Any]


def company(api: ApiClient, limit: str | None = "1000.00") -> tuple[str, str]:
    code = random_code("CO")
    body = {
        "code": code,
        "name": "Acme Retail BV",
        "payment_terms": "net_30",
        "credit_limit": limit,
    }
    response = api.post("/companies", body)
    assert response.status_code == 201, response.text
    email = f"{random_code('buyer').lower()}@acme.example"
    contact = api.post(
        f"/companies/{code}/contacts", {"email": email, "name": "Bea", "role": "buyer"}
    )
    assert contact.status_code == 201, contact.text
    return code, email


def quote_body(code: str, email: str, channel: str, sku: str, **extra: Any) -> Json:
    body: Json = {
        "company": code,
        "contact_email": email,
        "channel": channel,
        "currency": "EUR",
        "lines": [{"sku": sku, "quantity": 10, "unit_price": "8.00"}],
        "billing_address": ADDRESS,
        "shipping_address": ADDRESS,
    }
    body.update(extra)
    return body


@pytest.mark.covers(
    "POST /companies",
    "GET /companies",
    "GET /companies/{code}",
    "PATCH /companies/{code}",
    "POST /companies/{code}/contacts",
    "GET /companies/{code}/credit",
)
def test_a_company_with_terms_a_limit_and_contacts(api: ApiClient) -> None:
    code, email = company(api)
    found = api.get(f"/companies/{code}").json()
    assert found["payment_terms_label"] == "Net 30 days"
    assert found["credit_limit"]["amount"] == "1000.00"
    assert [c["email"] for c in found["contacts"]] == [email]
    assert code in [c["code"] for c in api.get("/companies").json()]
    changed = api.patch(f"/companies/{code}", {"payment_terms": "end_of_month", "credit_limit": ""})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["payment_terms"], changed.json()["credit_limit"]) == (
        "end_of_month",
        None,
    )
    credit = api.get(f"/companies/{code}/credit").json()
    assert (credit["limit"], credit["open_receivables"]["amount"]) == (None, "0.00")
    # bad input and unknown things
    dup = api.post("/companies", {"code": code, "name": "Again"})
    assert dup.status_code == 409
    bad = api.post("/companies", {"code": random_code("CO"), "name": "X", "credit_limit": "1.234"})
    assert bad.status_code == 422
    assert "credit_limit" in field_errors(bad)
    assert api.get("/companies/NOPE-CO").status_code == 404
    assert api.patch("/companies/NOPE-CO", {"name": "x"}).status_code == 404
    assert api.patch(f"/companies/{code}", {"payment_terms": "net_7"}).status_code == 422
    assert api.post("/companies/NOPE-CO/contacts", {"email": "a@b.example"}).status_code == 404
    assert api.post(f"/companies/{code}/contacts", {"email": "nope"}).status_code == 422
    assert api.get("/companies/NOPE-CO/credit").status_code == 404
    other, _ = company(api)
    taken = api.post(f"/companies/{other}/contacts", {"email": email})
    assert taken.status_code == 409


def test_a_null_removes_a_companys_limit_and_vat_id_and_is_refused_elsewhere(
    api: ApiClient,
) -> None:
    code, _ = company(api)
    assert api.patch(f"/companies/{code}", {"vat_id": "NL001234567B01"}).status_code == 200
    refused = api.patch(
        f"/companies/{code}",
        {"name": None, "payment_terms": None, "is_active": None, "credit_limit": None},
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert set(field_errors(refused)) == {"name", "payment_terms", "is_active"}
    kept = api.get(f"/companies/{code}").json()  # nothing of the refused change was made
    assert (kept["name"], kept["payment_terms"], kept["is_active"]) == (
        "Acme Retail BV",
        "net_30",
        True,
    )
    assert (kept["credit_limit"]["amount"], kept["vat_id"]) == ("1000.00", "NL001234567B01")
    removed = api.patch(f"/companies/{code}", {"credit_limit": None, "vat_id": None})
    assert removed.status_code == 200, removed.text
    assert (removed.json()["credit_limit"], removed.json()["vat_id"]) == (None, "")


@pytest.mark.covers(
    "POST /quotes",
    "GET /quotes",
    "GET /quotes/{number}",
    "PUT /quotes/{number}",
    "POST /quotes/{number}/send",
    "POST /quotes/{number}/accept",
    "POST /quotes/{number}/reject",
    "POST /orders/{number}/invoices",
    "GET /invoices",
    "GET /invoices/{number}",
    "POST /invoices/{number}/payments",
    "GET /receivables/aging",
)
def test_a_quote_becomes_an_order_on_terms_invoiced_and_paid_in_parts(
    api: ApiClient, warehouse: str
) -> None:
    code, email = company(api)
    channel = make_channel(api, kind="b2b")
    sku = stocked_sku(api, warehouse, units=50)
    created = api.post("/quotes", quote_body(code, email, channel, sku))
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    assert created.json()["total"]["amount"] == "80.00"
    assert api.post(f"/quotes/{number}/send").json()["status"] == "sent"
    revised = api.put(
        f"/quotes/{number}",
        quote_body(
            code, email, channel, sku, lines=[{"sku": sku, "quantity": 20, "unit_price": "7.50"}]
        ),
    )
    assert (revised.json()["version"], revised.json()["status"]) == (2, "draft")
    assert revised.json()["earlier_versions"][0]["total"] == 8000
    api.post(f"/quotes/{number}/send")
    accepted = api.post(f"/quotes/{number}/accept")
    assert accepted.status_code == 200, accepted.text
    order = accepted.json()["order"]
    assert api.get(f"/quotes/{number}").json()["status"] == "accepted"
    assert number in [q["number"] for q in api.get("/quotes", params={"status": "accepted"}).json()]
    assert api.post(f"/quotes/{number}/reject").status_code == 409
    placed = api.get(f"/orders/{order}").json()
    assert placed["totals"]["total"]["amount"] == "150.00"
    # invoice, part payment, aging
    invoice = api.post(f"/orders/{order}/invoices", {})
    assert invoice.status_code == 201, invoice.text
    inv = invoice.json()["number"]
    assert invoice.json()["balance"]["amount"] == "150.00"
    paid = api.post(f"/invoices/{inv}/payments", {"amount": "50.00", "reference": "wire"})
    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["balance"]["amount"]) == ("partially_paid", "100.00")
    assert api.get(f"/invoices/{inv}").json()["payments"][0]["amount"]["amount"] == "50.00"
    due = api.get(f"/invoices/{inv}").json()["due_on"]
    aging = api.get("/receivables/aging", params={"today": "2099-01-01"}).json()
    assert any(r["buckets"]["over_90"]["amount"] == "100.00" for r in aging["rows"])
    assert due
    assert inv in [i["number"] for i in api.get("/invoices", params={"company": code}).json()]
    over = api.post(f"/invoices/{inv}/payments", {"amount": "100.01"})
    assert over.status_code == 409
    assert over.json()["code"] == "over_payment"
    # bad input and unknown things
    assert api.post("/quotes", {"company": code}).status_code == 422
    assert api.get("/quotes", params={"status": "lost"}).status_code == 422
    assert api.get("/quotes/QT-999999").status_code == 404
    assert api.put("/quotes/QT-999999", quote_body(code, email, channel, sku)).status_code == 404
    assert api.put(f"/quotes/{number}", {"lines": []}).status_code == 422
    for action in ("send", "accept", "reject"):
        assert api.post(f"/quotes/QT-999999/{action}").status_code == 404
    declined = api.post("/quotes", quote_body(code, email, channel, sku)).json()["number"]
    api.post(f"/quotes/{declined}/send")
    assert api.post(f"/quotes/{declined}/reject").json()["status"] == "rejected"
    assert api.post(f"/orders/{order}/invoices", {"amount": "x"}).status_code == 422
    assert api.post("/orders/SO-999999999/invoices", {}).status_code == 404
    assert api.get("/invoices", params={"overdue": "maybe"}).status_code == 422
    assert api.get("/invoices/INV-999999").status_code == 404
    assert api.post("/invoices/INV-999999/payments", {"amount": "1.00"}).status_code == 404
    assert api.post(f"/invoices/{inv}/payments", {"amount": "-1"}).status_code == 422
    assert api.get("/receivables/aging", params={"today": "soon"}).status_code == 422


@pytest.mark.covers("POST /invoices/{number}/void")
def test_an_unpaid_invoice_can_be_voided(api: ApiClient, warehouse: str) -> None:
    code, email = company(api)
    channel = make_channel(api, kind="b2b")
    sku = stocked_sku(api, warehouse)
    body = order_body(channel, {"sku": sku, "quantity": 1}, payment={"method": "invoice"})
    body["customer"]["email"] = email
    order = api.post("/orders", body)
    assert order.status_code == 201, order.text
    inv = api.post(f"/orders/{order.json()['number']}/invoices", {}).json()["number"]
    voided = api.post(f"/invoices/{inv}/void")
    assert voided.status_code == 200
    assert voided.json()["status"] == "void"
    assert api.post(f"/invoices/{inv}/void").status_code == 409
    assert api.post("/invoices/INV-999999/void").status_code == 404


def test_an_order_over_the_credit_limit_waits_on_hold(api: ApiClient, warehouse: str) -> None:
    code, email = company(api, limit="15.00")
    channel = make_channel(api, kind="b2b")
    sku = stocked_sku(api, warehouse)
    body = order_body(channel, {"sku": sku, "quantity": 2}, payment={"method": "invoice"})
    body["customer"]["email"] = email
    order = api.post("/orders", body).json()
    assert (order["status"], order["hold_reason"]) == ("on_hold", "credit")
    stranger = order_body(channel, {"sku": sku, "quantity": 1}, payment={"method": "invoice"})
    refused = api.post("/orders", stranger)
    assert refused.status_code == 422
    assert "payment.method" in field_errors(refused)


@pytest.mark.covers(
    "POST /bank-statements",
    "GET /bank-statements/lines",
    "POST /bank-statements/lines/{line_id}/assign",
)
def test_a_bank_statement_pays_what_it_names(api: ApiClient, warehouse: str) -> None:
    code, email = company(api)
    channel = make_channel(api, kind="b2b")
    sku = stocked_sku(api, warehouse)
    body = order_body(channel, {"sku": sku, "quantity": 3}, payment={"method": "invoice"})
    body["customer"]["email"] = email
    order = api.post("/orders", body).json()["number"]
    inv = api.post(f"/orders/{order}/invoices", {}).json()["number"]
    csv = "\n".join(
        [
            "Date,Amount,Currency,Reference,Counterparty,Transaction ID",
            f"2026-11-20,10.00,EUR,{inv},Acme,{random_code('T')}",
            f"2026-11-20,99.99,EUR,thanks,Somebody,{random_code('T')}",
            "2026-11-21,x,EUR,broken,X,T-bad",
        ]
    )
    done = api.post("/bank-statements", {"content": csv, "file_name": "nov.csv"})
    assert done.status_code == 201, done.text
    outcomes = sorted(ln["outcome"] for ln in done.json()["lines"])
    assert outcomes == ["partial", "unmatched"]
    assert [e["row"] for e in done.json()["errors"]] == [4]
    assert api.get(f"/invoices/{inv}").json()["balance"]["amount"] == "20.00"
    again = api.post("/bank-statements", {"content": csv})
    assert (again.json()["lines"], again.json()["duplicates"]) == ([], 2)
    unbooked = api.get("/bank-statements/lines", params={"unbooked": "true"}).json()
    line = next(ln for ln in unbooked if ln["reference"] == "thanks")
    booked = api.post(
        f"/bank-statements/lines/{line['id']}/assign", {"kind": "invoice", "number": inv}
    )
    assert booked.status_code == 200, booked.text
    assert booked.json()["applied"]["amount"] == "20.00"
    assert api.get(f"/invoices/{inv}").json()["status"] == "paid"
    # bad input and unknown things
    unreadable = api.post("/bank-statements", {"content": "just,some\nwords,here"})
    assert unreadable.status_code == 422
    assert api.get("/bank-statements/lines", params={"unbooked": "maybe"}).status_code == 422
    assert (
        api.post(
            "/bank-statements/lines/999999/assign", {"kind": "invoice", "number": inv}
        ).status_code
        == 404
    )
    assert (
        api.post(
            f"/bank-statements/lines/{line['id']}/assign", {"kind": "x", "number": inv}
        ).status_code
        == 422
    )
