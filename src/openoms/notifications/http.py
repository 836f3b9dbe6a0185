"""Messages API: an order's messages with their status, sending one again, and a preview of
every template in every language."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from openoms.identity.model import Permission as P
from openoms.notifications import services
from openoms.notifications.model import LOCALES, MessageKind, MessageStatus
from openoms.orders.queries import get_order
from openoms.shared.errors import NotFound
from openoms.web.auth import permit
from openoms.web.deps import ReadUow, WriteUow

router = APIRouter(tags=["messages"])


class TemplateNotFound(NotFound):
    code = "template_not_found"
    title = "Template not found"


class MessageOut(BaseModel):
    id: int
    kind: MessageKind
    order: str | None
    to: str
    locale: str
    subject: str
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    provider_message_id: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, m: services.Message) -> MessageOut:
        return cls(
            id=m.id,
            kind=m.kind,
            order=m.order_number,
            to=m.to,
            locale=m.locale,
            subject=m.subject,
            status=m.status,
            attempts=m.attempts,
            next_attempt_at=m.next_attempt_at,
            last_error=m.last_error,
            provider_message_id=m.provider_message_id,
            created_at=m.created_at,
            sent_at=m.sent_at,
        )


class PreviewOut(BaseModel):
    kind: MessageKind
    locale: str
    subject: str
    text: str
    html: str


@router.get("/orders/{number}/messages", dependencies=[permit(P.ORDERS_VIEW)])
def order_messages(number: str, uow: ReadUow) -> list[MessageOut]:
    """Every message sent (or to be sent) about the order, oldest first."""
    found = get_order(uow, number)
    return [MessageOut.of(m) for m in services.messages_of_order(uow, found.number)]


@router.post(
    "/messages/{message_id}/resend",
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.ORDERS_EDIT)],
)
def resend(message_id: int, uow: WriteUow) -> MessageOut:
    """The same message again, queued now as a new message."""
    return MessageOut.of(services.resend(uow, message_id))


@router.get("/message-templates/{kind}/preview", dependencies=[permit(P.ORDERS_VIEW)])
def preview(
    kind: str, locale: Annotated[str, Query(pattern="^(" + "|".join(LOCALES) + ")$")] = "en"
) -> PreviewOut:
    """A template rendered with sample data, as a customer would get it."""
    known = next((k for k in MessageKind if k.value == kind), None)
    if known is None:
        raise TemplateNotFound(f"No message template '{kind}'.", kind=kind)
    found = services.preview(known, locale)
    return PreviewOut(
        kind=known, locale=found.locale, subject=found.subject, text=found.text, html=found.html
    )
