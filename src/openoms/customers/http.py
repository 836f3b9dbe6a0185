"""Customers API: search, profile, emails and addresses. Order history lives with orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from openoms.customers import services
from openoms.customers.schemas import (
    AddressIn,
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    EmailIn,
)
from openoms.identity.model import Permission as P
from openoms.web.auth import permit
from openoms.web.deps import ReadUow, WriteUow
from openoms.web.schemas import Page

router = APIRouter(tags=["customers"])


@router.post(
    "/customers", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.CUSTOMERS_EDIT)]
)
def create_customer(body: CustomerCreate, uow: WriteUow) -> CustomerOut:
    addresses = [(a.kind, a.address.to_address()) for a in body.addresses]
    return CustomerOut.of(services.create_customer(uow, body.to_spec(), addresses))


@router.get("/customers", dependencies=[permit(P.CUSTOMERS_VIEW)])
def search_customers(
    uow: ReadUow,
    q: Annotated[str | None, Query(description="text in name, company or any email")] = None,
    tag: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CustomerOut]:
    found, next_cursor = services.search_customers(uow, text=q, tag=tag, cursor=cursor, limit=limit)
    return Page(items=[CustomerOut.of(c) for c in found], next_cursor=next_cursor)


@router.get("/customers/{number}", dependencies=[permit(P.CUSTOMERS_VIEW)])
def get_customer(number: str, uow: ReadUow) -> CustomerOut:
    return CustomerOut.of(services.get_customer(uow, number))


@router.patch("/customers/{number}", dependencies=[permit(P.CUSTOMERS_EDIT)])
def update_customer(number: str, body: CustomerUpdate, uow: WriteUow) -> CustomerOut:
    return CustomerOut.of(services.update_customer(uow, number, body.fields_sent()))


@router.post(
    "/customers/{number}/emails",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.CUSTOMERS_EDIT)],
)
def add_email(number: str, body: EmailIn, uow: WriteUow) -> CustomerOut:
    return CustomerOut.of(services.add_email(uow, number, body.email))


@router.post(
    "/customers/{number}/addresses",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.CUSTOMERS_EDIT)],
)
def add_address(number: str, body: AddressIn, uow: WriteUow) -> CustomerOut:
    return CustomerOut.of(services.add_address(uow, number, body.kind, body.address.to_address()))
