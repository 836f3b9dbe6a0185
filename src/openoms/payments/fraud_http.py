"""Fraud API: the review queue with approve / reject, and the blocklist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from openoms.identity.model import Permission as P
from openoms.orders.http import OrderNumber
from openoms.orders.schemas import OrderOut
from openoms.payments.services import screening
from openoms.payments.services.screening import BlockEntry, Review
from openoms.shared.money import Money
from openoms.web.auth import permit
from openoms.web.deps import Actor, DbDep, GatewaysDep, ReadUow, WriteUow
from openoms.web.schemas import MoneyOut, Strict

router = APIRouter(tags=["fraud"])


class ReviewOut(BaseModel):
    order: str
    email: str
    total: MoneyOut
    score: int
    reasons: list[dict[str, Any]]
    screened_at: datetime
    review: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str

    @classmethod
    def of(cls, r: Review) -> ReviewOut:
        return cls(
            order=r.order_number,
            email=r.email,
            total=MoneyOut.of(Money(r.total_amount, r.currency)),
            score=r.score,
            reasons=r.reasons,
            screened_at=r.created_at,
            review=r.review,
            reviewed_by=r.reviewed_by,
            reviewed_at=r.reviewed_at,
            review_note=r.review_note,
        )


class VerdictIn(Strict):
    note: str = Field(default="", max_length=2000)


class BlockIn(Strict):
    kind: str = Field(description="email (or @domain), ip (or CIDR network), card, address")
    value: str = Field(min_length=1, max_length=300)
    note: str = Field(default="", max_length=2000)


class BlockOut(BaseModel):
    id: int
    kind: str
    value: str
    note: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, e: BlockEntry) -> BlockOut:
        return cls(**e.__dict__)


@router.get("/fraud/reviews", dependencies=[permit(P.FRAUD_REVIEW)])
def list_reviews(uow: ReadUow, waiting: bool = True) -> list[ReviewOut]:
    """Orders the screening sent to review: waiting ones oldest first, or (``waiting=false``)
    every review, newest first."""
    return [ReviewOut.of(r) for r in screening.review_queue(uow, waiting=waiting)]


@router.post("/orders/{number}/fraud-review/approve", dependencies=[permit(P.FRAUD_REVIEW)])
def approve(number: OrderNumber, body: VerdictIn, db: DbDep, actor: Actor) -> OrderOut:
    """Let the order go on (it leaves the hold it waited in)."""
    return OrderOut.of(screening.approve(db, number, actor=actor, note=body.note))


@router.post("/orders/{number}/fraud-review/reject", dependencies=[permit(P.FRAUD_REVIEW)])
def reject(
    number: OrderNumber, body: VerdictIn, db: DbDep, gateways: GatewaysDep, actor: Actor
) -> OrderOut:
    """Cancel the order; its authorization is voided and captured money refunded."""
    return OrderOut.of(screening.reject(db, gateways, number, actor=actor, note=body.note))


@router.get("/fraud/blocklist", dependencies=[permit(P.FRAUD_REVIEW)])
def list_blocklist(uow: ReadUow) -> list[BlockOut]:
    return [BlockOut.of(e) for e in screening.blocklist(uow)]


@router.post(
    "/fraud/blocklist", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.FRAUD_REVIEW)]
)
def add_block(body: BlockIn, uow: WriteUow, actor: Actor) -> BlockOut:
    return BlockOut.of(screening.block(uow, body.kind, body.value, actor=actor, note=body.note))


@router.delete(
    "/fraud/blocklist/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[permit(P.FRAUD_REVIEW)],
)
def remove_block(entry_id: int, uow: WriteUow) -> None:
    screening.unblock(uow, entry_id)
