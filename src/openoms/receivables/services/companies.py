"""Company customers: their contacts, credit limit and payment terms; what they owe; the
credit check of an order on terms."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from openoms.catalog.model import check_code
from openoms.customers import services as customers
from openoms.infra.db import Database, UnitOfWork
from openoms.infra.settings import get_settings
from openoms.orders import lifecycle
from openoms.orders.model import HoldReason, OrderStatus
from openoms.orders.orm import orders
from openoms.orders.queries import load_order, order_id_of
from openoms.payments.services.operations import outstanding_on_terms
from openoms.receivables.model import CreditCheck, PaymentTerms
from openoms.receivables.orm import companies, company_contacts
from openoms.shared import clock
from openoms.shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from openoms.shared.money import MAX_MINOR, validate_currency

_c = companies.c
_k = company_contacts.c


class CompanyNotFound(NotFound):
    code = "company_not_found"
    title = "Company not found"


class DuplicateCompany(Conflict):
    code = "duplicate_code"
    title = "Code already in use"


class ContactTaken(Conflict):
    code = "contact_taken"
    title = "Contact belongs to another company"


@dataclass(frozen=True)
class CompanySpec:
    code: str
    name: str
    payment_terms: PaymentTerms = PaymentTerms.NET_30
    credit_limit: int | None = None  # minor units of ``currency``; None: no limit
    currency: str = ""  # empty: the base currency
    vat_id: str = ""
    is_active: bool = True

    def check(self) -> list[FieldError]:
        errors = check_code(self.code)
        if not self.name.strip():
            errors.append(FieldError("name", "must not be empty"))
        if self.credit_limit is not None and not 0 <= self.credit_limit < MAX_MINOR:
            errors.append(FieldError("credit_limit", "must be zero or more"))
        try:
            validate_currency(self.currency)
        except ValidationFailed as e:
            errors += e.errors
        return errors


@dataclass(frozen=True)
class Contact:
    customer: str  # CUS-000001
    email: str
    name: str
    role: str


@dataclass(frozen=True)
class Company:
    id: int
    spec: CompanySpec
    contacts: list[Contact]
    created_at: datetime

    @property
    def code(self) -> str:
        return self.spec.code


def create_company(uow: UnitOfWork, spec: CompanySpec) -> Company:
    """Raises: ValidationFailed, DuplicateCompany."""
    spec = replace(spec, currency=spec.currency or get_settings().base_currency)
    errors = spec.check()
    if errors:
        raise ValidationFailed(errors)
    with uow:
        if uow.conn.execute(sa.select(_c.id).where(_c.code == spec.code)).first():
            raise DuplicateCompany(f"Company '{spec.code}' already exists.", code=spec.code)
        now = clock.now()
        uow.conn.execute(companies.insert().values(**_values(spec), created_at=now, updated_at=now))
        found = _load(uow, spec.code)
        uow.commit()
    return found


def update_company(uow: UnitOfWork, code: str, changes: dict[str, Any]) -> Company:
    """Raises: CompanyNotFound, ValidationFailed."""
    with uow:
        current = _load(uow, code)
        spec = replace(current.spec, **{k: v for k, v in changes.items() if k != "code"})
        errors = spec.check()
        if errors:
            raise ValidationFailed(errors)
        uow.conn.execute(
            companies.update()
            .where(_c.id == current.id)
            .values(**_values(spec), updated_at=clock.now())
        )
        found = _load(uow, code)
        uow.commit()
    return found


def add_contact(
    uow: UnitOfWork, code: str, email: str, *, name: str = "", role: str = ""
) -> Company:
    """A person who buys for the company, known by email (created as a customer if new).

    Raises: CompanyNotFound, ValidationFailed (email), ContactTaken.
    """
    from openoms.customers.model import check_email

    errors = check_email(email, "email")
    if errors:
        raise ValidationFailed(errors)
    with uow:
        company = _load(uow, code)
        customer_id = customers.match_or_create(uow, email, name=name)
        owner = uow.conn.execute(
            sa.select(_k.company_id).where(_k.customer_id == customer_id)
        ).scalar()
        if owner is not None and owner != company.id:
            raise ContactTaken(f"{email} buys for another company already.", email=email)
        if owner is None:
            uow.conn.execute(
                company_contacts.insert().values(
                    company_id=company.id, customer_id=customer_id, role=role
                )
            )
        found = _load(uow, code)
        uow.commit()
    return found


def get_company(uow: UnitOfWork, code: str) -> Company:
    """Raises: CompanyNotFound."""
    with uow:
        return _load(uow, code)


def list_companies(uow: UnitOfWork) -> list[Company]:
    with uow:
        codes = list(uow.conn.execute(sa.select(_c.code).order_by(_c.name)).scalars())
        return [_load(uow, c) for c in codes]


def company_of_customer(uow: UnitOfWork, customer_id: int) -> Company | None:
    code = uow.conn.execute(
        sa.select(_c.code)
        .join(company_contacts, _k.company_id == _c.id)
        .where(_k.customer_id == customer_id)
    ).scalar()
    return _load(uow, code) if code else None


def company_of_email(uow: UnitOfWork, email: str) -> Company | None:
    from openoms.customers.model import CustomerNotFound

    with uow:
        try:
            customer_id = customers.customer_id_by_email(uow, email)
        except CustomerNotFound:
            return None
        return company_of_customer(uow, customer_id)


def open_receivables(uow: UnitOfWork, company_id: int, *, but: int | None = None) -> int:
    """What the company owes on terms (orders on invoice not yet paid), leaving out the
    order ``but``."""
    order_ids = sa.select(orders.c.id).where(
        orders.c.customer_id.in_(sa.select(_k.customer_id).where(_k.company_id == company_id)),
        orders.c.status != OrderStatus.CANCELLED.value,
    )
    if but is not None:
        order_ids = order_ids.where(orders.c.id != but)
    return outstanding_on_terms(uow, order_ids)


def credit_of(uow: UnitOfWork, code: str) -> tuple[Company, int]:
    """The company and what it owes on terms now. Raises: CompanyNotFound."""
    with uow:
        company = _load(uow, code)
        return company, open_receivables(uow, company.id)


def check_credit(db: Database, number: str, *, actor: str) -> CreditCheck | None:
    """Hold an order on terms (reason ``credit``) when it takes its company over the credit
    limit. Returns the check, or None when the customer is no company's contact."""
    with db.uow() as uow:
        order = load_order(uow, order_id_of(uow, number))
        company = company_of_customer(uow, order.customer_id)
        if company is None:
            return None
        check = CreditCheck(
            company.spec.currency,
            company.spec.credit_limit,
            open_receivables(uow, company.id, but=order.id),
            order.total_amount,
        )
        lifecycle.write_event(
            uow,
            order.id,
            actor,
            "credit_check",
            None,
            None,
            check.message(),
            {
                "company": company.code,
                "limit": company.spec.credit_limit,
                "open_receivables": check.open_receivables_minor,
                "exceeded": check.exceeded,
            },
        )
        holdable = (
            OrderStatus.PLACED,
            OrderStatus.CONFIRMED,
            OrderStatus.ALLOCATED,
            OrderStatus.BACKORDERED,
        )
        if check.exceeded and order.status in holdable:
            lifecycle.hold_in_transaction(
                uow, order, HoldReason.CREDIT, actor=actor, note=check.message()
            )
        uow.commit()
    return check


def _values(spec: CompanySpec) -> dict[str, Any]:
    return {
        "code": spec.code,
        "name": spec.name,
        "vat_id": spec.vat_id,
        "currency": spec.currency,
        "credit_limit": spec.credit_limit,
        "payment_terms": spec.payment_terms.value,
        "is_active": spec.is_active,
    }


def _load(uow: UnitOfWork, code: str) -> Company:
    from openoms.customers.model import customer_number

    row = uow.conn.execute(sa.select(companies).where(_c.code == code)).first()
    if row is None:
        raise CompanyNotFound(f"No company '{code}'.", code=code)
    contacts = []
    for contact in uow.conn.execute(
        sa.select(_k.customer_id, _k.role).where(_k.company_id == row.id).order_by(_k.customer_id)
    ):
        person = customers.get_in_transaction(uow, contact.customer_id)
        contacts.append(
            Contact(
                customer_number(contact.customer_id),
                person.spec.email,
                person.spec.name,
                contact.role,
            )
        )
    spec = CompanySpec(
        code=row.code,
        name=row.name,
        payment_terms=PaymentTerms(row.payment_terms),
        credit_limit=row.credit_limit,
        currency=row.currency,
        vat_id=row.vat_id,
        is_active=row.is_active,
    )
    return Company(row.id, spec, contacts, row.created_at)
