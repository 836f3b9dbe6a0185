"""Customer use cases, and the match-or-create that order capture uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from openoms.customers.model import (
    Address,
    AddressKind,
    Customer,
    CustomerNotFound,
    CustomerSpec,
    DuplicateEmail,
    PostalAddress,
    check_email,
    customer_id_of,
    normalize_email,
)
from openoms.customers.orm import customer_addresses, customer_emails, customers
from openoms.infra.db import Read, UnitOfWork, run_built
from openoms.infra.upsert import insert_for
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed
from openoms.shared.pagination import decode_cursor, encode_cursor

_c = customers.c


def create_customer(
    uow: UnitOfWork,
    spec: CustomerSpec,
    addresses: Sequence[tuple[AddressKind, PostalAddress]] = (),
) -> Customer:
    """Raises: ValidationFailed, DuplicateEmail."""
    spec = replace(spec, email=normalize_email(spec.email))
    errors = spec.check()
    for i, (_kind, address) in enumerate(addresses):
        errors += address.check(f"addresses[{i}]")
    if errors:
        raise ValidationFailed(errors)
    with uow:
        _ensure_email_free(uow.conn, spec.email)
        customer_id = _insert(uow.conn, spec)
        for kind, address in addresses:
            _add_address(uow.conn, customer_id, kind, address)
        found = _load(uow.conn, customer_id)
        uow.commit()
    return found


def update_customer(uow: UnitOfWork, number: str, changes: dict[str, Any]) -> Customer:
    """Change name, company, phones, locale, tags, consent or notes (not the email).

    Raises: CustomerNotFound, ValidationFailed.
    """
    with uow:
        current = _load(uow.conn, _id(number))
        spec = replace(current.spec, **{k: v for k, v in changes.items() if k != "email"})
        errors = spec.check()
        if errors:
            raise ValidationFailed(errors)
        values: dict[str, Any] = {**_spec_values(spec), "updated_at": clock.now()}
        if spec.marketing_consent != current.spec.marketing_consent:
            values["consent_changed_at"] = clock.now()
        uow.conn.execute(customers.update().where(_c.id == current.id).values(**values))
        found = _load(uow.conn, current.id)
        uow.commit()
    return found


def add_email(uow: UnitOfWork, number: str, email: str) -> Customer:
    """Another address the customer orders with. Raises: CustomerNotFound, ValidationFailed,
    DuplicateEmail."""
    email = normalize_email(email)
    errors = check_email(email)
    if errors:
        raise ValidationFailed(errors)
    with uow:
        customer_id = _load(uow.conn, _id(number)).id
        _ensure_email_free(uow.conn, email)
        uow.conn.execute(customer_emails.insert().values(email=email, customer_id=customer_id))
        found = _load(uow.conn, customer_id)
        uow.commit()
    return found


def add_address(
    uow: UnitOfWork, number: str, kind: AddressKind, address: PostalAddress
) -> Customer:
    """Raises: CustomerNotFound, ValidationFailed."""
    errors = address.check("address")
    if errors:
        raise ValidationFailed(errors)
    with uow:
        customer_id = _load(uow.conn, _id(number)).id
        _add_address(uow.conn, customer_id, kind, address)
        found = _load(uow.conn, customer_id)
        uow.commit()
    return found


def get_customer(uow: UnitOfWork, number: str) -> Customer:
    """Raises: CustomerNotFound."""
    with uow:
        return _load(uow.conn, _id(number))


def search_customers(
    uow: UnitOfWork,
    *,
    text: str | None = None,
    tag: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Customer], str | None]:
    """Customers by name, email or company text, and tag; newest first, one page at a time."""
    query = sa.select(_c.id).order_by(_c.id.desc()).limit(limit + 1)
    if text:
        needle = f"%{_escape(text.lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(_c.name).like(needle, escape="\\"),
                sa.func.lower(_c.company).like(needle, escape="\\"),
                _c.id.in_(
                    sa.select(customer_emails.c.customer_id).where(
                        customer_emails.c.email.like(needle, escape="\\")
                    )
                ),
            )
        )
    if tag:
        # tags are a JSON list; its text form holds the quoted tag on both engines
        pattern = f'%"{_escape(tag)}"%'
        query = query.where(sa.cast(_c.tags, sa.Text).like(pattern, escape="\\"))
    if cursor:
        before = decode_cursor(cursor).get("before")
        if not isinstance(before, int) or not 0 < before < 2**63:
            raise ValidationFailed.single("cursor", "the cursor is not one this server issued")
        query = query.where(_c.id < before)
    with uow:
        ids = list(uow.conn.execute(query).scalars())
        found = [_load(uow.conn, i) for i in ids[:limit]]
    more = len(ids) > limit
    return found, (encode_cursor({"before": ids[limit - 1]}) if more else None)


# Built once: every order from a known customer starts with it.
_ID_BY_EMAIL = sa.select(customer_emails.c.customer_id).where(
    customer_emails.c.email == sa.bindparam("email")
)


def id_by_email(param: str) -> sa.ScalarSelect[Any]:
    """The id of the customer known by the email bound to ``param`` (as stored: see
    :func:`normalize_email`), as a scalar subquery for another domain's read; NULL when no
    customer is known by it."""
    return (
        sa.select(customer_emails.c.customer_id)
        .where(customer_emails.c.email == sa.bindparam(param))
        .scalar_subquery()
    )


def customer_by_email_read(uow: UnitOfWork, email: str) -> Read[int | None]:
    """The id of the customer known by this email, or None, as a read that can share its
    round trip with others (``infra.db.read_at_once``); for :func:`match_or_create`."""
    params = {"email": normalize_email(email)}
    return Read.of_built(_ID_BY_EMAIL, params, _first_id, uow.conn.dialect)


def _first_id(rows: Sequence[Sequence[Any]]) -> int | None:
    return int(rows[0][0]) if rows else None


def match_or_create(
    uow: UnitOfWork,
    email: str,
    *,
    name: str = "",
    locale: str = "en",
    marketing_consent: bool = False,
    found: Read[int | None] | None = None,
) -> int:
    """The id of the customer known by this email, created if new; in the caller's transaction.
    ``found``: the same email's :func:`customer_by_email_read`, run already.

    Concurrent orders from a new email create one customer: the insert ignores a conflict
    on the unique email and reads the winner's row.
    """
    email = normalize_email(email)
    if found is not None:
        known = found.value()
    else:
        known = _first_id(run_built(uow.conn, _ID_BY_EMAIL, {"email": email}))
    if known is not None:
        return known
    spec = CustomerSpec(email=email, name=name, locale=locale, marketing_consent=marketing_consent)
    now = clock.now()
    stmt = insert_for(uow.conn, customers).values(
        **_spec_values(spec),
        created_at=now,
        updated_at=now,
        consent_changed_at=now if marketing_consent else None,
    )
    new_id = uow.conn.execute(stmt.on_conflict_do_nothing().returning(_c.id)).scalar()
    if new_id is None:
        return int(uow.conn.execute(sa.select(_c.id).where(_c.email == email)).scalar_one())
    uow.conn.execute(
        insert_for(uow.conn, customer_emails)
        .values(email=email, customer_id=new_id)
        .on_conflict_do_nothing()
    )
    return int(new_id)


def get_in_transaction(uow: UnitOfWork, customer_id: int) -> Customer:
    """For other domains inside their unit of work. Raises: CustomerNotFound."""
    return _load(uow.conn, customer_id)


def customer_id_by_email(uow: UnitOfWork, email: str) -> int:
    """The customer known by this email (any of theirs). Raises: CustomerNotFound."""
    found = uow.conn.execute(
        sa.select(customer_emails.c.customer_id).where(
            customer_emails.c.email == normalize_email(email)
        )
    ).scalar()
    if found is None:
        raise CustomerNotFound(f"No customer with email {email}.", email=email)
    return int(found)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _id(number: str) -> int:
    customer_id = customer_id_of(number)
    if customer_id is None:
        raise CustomerNotFound(f"No customer {number}.", number=number)
    return customer_id


def _ensure_email_free(conn: Connection, email: str) -> None:
    owner = conn.execute(
        sa.select(customer_emails.c.customer_id).where(customer_emails.c.email == email)
    ).scalar()
    if owner is not None:
        raise DuplicateEmail(f"{email} already belongs to customer CUS-{owner:06d}.", email=email)


def _insert(conn: Connection, spec: CustomerSpec) -> int:
    now = clock.now()
    customer_id = conn.execute(
        customers.insert()
        .values(
            **_spec_values(spec),
            created_at=now,
            updated_at=now,
            consent_changed_at=now if spec.marketing_consent else None,
        )
        .returning(_c.id)
    ).scalar_one()
    conn.execute(customer_emails.insert().values(email=spec.email, customer_id=customer_id))
    return int(customer_id)


def _add_address(
    conn: Connection, customer_id: int, kind: AddressKind, address: PostalAddress
) -> None:
    has_default = conn.execute(
        sa.select(customer_addresses.c.id).where(
            customer_addresses.c.customer_id == customer_id,
            customer_addresses.c.kind == kind.value,
            customer_addresses.c.is_default.is_(True),
        )
    ).first()
    conn.execute(
        customer_addresses.insert().values(
            customer_id=customer_id,
            kind=kind.value,
            is_default=has_default is None,
            address=asdict(address),
            created_at=clock.now(),
        )
    )


def _spec_values(spec: CustomerSpec) -> dict[str, Any]:
    return {
        "email": spec.email,
        "name": spec.name,
        "company": spec.company,
        "phones": list(spec.phones),
        "locale": spec.locale,
        "tags": list(spec.tags),
        "marketing_consent": spec.marketing_consent,
        "notes": spec.notes,
    }


def _load(conn: Connection, customer_id: int) -> Customer:
    row = conn.execute(sa.select(customers).where(_c.id == customer_id)).first()
    if row is None:
        raise CustomerNotFound(f"No customer CUS-{customer_id:06d}.", id=customer_id)
    emails = conn.execute(
        sa.select(customer_emails.c.email)
        .where(customer_emails.c.customer_id == customer_id)
        .order_by(customer_emails.c.email)
    ).scalars()
    addresses = conn.execute(
        sa.select(customer_addresses)
        .where(customer_addresses.c.customer_id == customer_id)
        .order_by(customer_addresses.c.id)
    )
    return _customer(
        row,
        list(emails),
        [
            Address(a.id, AddressKind(a.kind), a.is_default, PostalAddress(**a.address))
            for a in addresses
        ],
    )


def _customer(row: Row[Any], emails: list[str], addresses: list[Address]) -> Customer:
    spec = CustomerSpec(
        email=row.email,
        name=row.name,
        company=row.company,
        phones=list(row.phones),
        locale=row.locale,
        tags=list(row.tags),
        marketing_consent=row.marketing_consent,
        notes=row.notes,
    )
    return Customer(
        row.id, spec, emails, addresses, row.created_at, row.updated_at, row.consent_changed_at
    )
