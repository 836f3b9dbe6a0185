"""Webhooks API: subscriptions, their secrets, and the deliveries made to them.

Literal paths (``/webhooks/event-types``, ``/webhooks/deliveries``) are declared before
``/webhooks/{webhook_id}`` so that they are not taken for an id.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from openoms.identity.model import Permission as P
from openoms.integrations.webhooks import queries, services
from openoms.integrations.webhooks.event_types import EVENT_TYPES
from openoms.integrations.webhooks.model import DeliveryStatus
from openoms.integrations.webhooks.schemas import (
    DeliveryDetailOut,
    DeliveryOut,
    EventTypeOut,
    ReplayOut,
    SecretRotate,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecretOut,
)
from openoms.web.auth import permit
from openoms.web.deps import ReadUow, WriteUow
from openoms.web.schemas import Page

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.get("/event-types", dependencies=[permit(P.WEBHOOKS_MANAGE)])
def list_event_types() -> list[EventTypeOut]:
    """Every event type a webhook can subscribe to."""
    return [EventTypeOut(name=n, description=d) for n, d in sorted(EVENT_TYPES.items())]


@router.get("/deliveries", dependencies=[permit(P.WEBHOOKS_MANAGE)])
def list_deliveries(
    uow: ReadUow,
    webhook_id: str | None = None,
    status: DeliveryStatus | None = None,
    event: Annotated[str | None, Query(description="an exact event type")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[DeliveryOut]:
    """Deliveries, newest first."""
    items, next_cursor = queries.list_deliveries(
        uow,
        subscription_id=webhook_id,
        status=status,
        event_name=event,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[DeliveryOut.of(d) for d in items], next_cursor=next_cursor)


@router.get("/deliveries/{delivery_id}", dependencies=[permit(P.WEBHOOKS_MANAGE)])
def get_delivery(delivery_id: str, uow: ReadUow) -> DeliveryDetailOut:
    """One delivery with each of its attempts."""
    return DeliveryDetailOut.detail(services.get_delivery(uow, delivery_id))


@router.post(
    "/deliveries/{delivery_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[permit(P.WEBHOOKS_MANAGE)],
)
def replay_delivery(delivery_id: str, uow: WriteUow) -> DeliveryOut:
    """Send a dead or delivered delivery again."""
    return DeliveryOut.of(services.replay_delivery(uow, delivery_id))


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.WEBHOOKS_MANAGE)])
def create_webhook(body: WebhookCreate, uow: WriteUow) -> WebhookWithSecretOut:
    """Subscribe a URL to events. The signing secret is in this answer only."""
    subscription, secret = services.create_subscription(uow, body.to_spec())
    return WebhookWithSecretOut.with_secret(subscription, secret)


@router.get("", dependencies=[permit(P.WEBHOOKS_MANAGE)])
def list_webhooks(uow: ReadUow, active: bool | None = None) -> list[WebhookOut]:
    return [WebhookOut.of(s) for s in services.list_subscriptions(uow, is_active=active)]


@router.get("/{webhook_id}", dependencies=[permit(P.WEBHOOKS_MANAGE)])
def get_webhook(webhook_id: str, uow: ReadUow) -> WebhookOut:
    return WebhookOut.of(services.get_subscription(uow, webhook_id))


@router.patch("/{webhook_id}", dependencies=[permit(P.WEBHOOKS_MANAGE)])
def update_webhook(webhook_id: str, body: WebhookUpdate, uow: WriteUow) -> WebhookOut:
    """Change the URL, events, description or ``is_active`` (false pauses deliveries)."""
    # every field of a webhook is required, so an explicit null changes nothing
    changes = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    return WebhookOut.of(services.update_subscription(uow, webhook_id, changes))


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[permit(P.WEBHOOKS_MANAGE)],
)
def delete_webhook(webhook_id: str, uow: WriteUow) -> Response:
    """Remove a webhook with its deliveries. To stop it for a while, set ``is_active``."""
    services.delete_subscription(uow, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", dependencies=[permit(P.WEBHOOKS_MANAGE)])
def rotate_secret(
    webhook_id: str, uow: WriteUow, body: SecretRotate | None = None
) -> WebhookWithSecretOut:
    """A new signing secret, in this answer only; optionally sign with the old one a while."""
    keep = timedelta(seconds=body.keep_previous_for_seconds if body else 0)
    subscription, secret = services.rotate_secret(uow, webhook_id, keep_previous_for=keep)
    return WebhookWithSecretOut.with_secret(subscription, secret)


@router.post(
    "/{webhook_id}/replay-dead",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[permit(P.WEBHOOKS_MANAGE)],
)
def replay_dead(webhook_id: str, uow: WriteUow) -> ReplayOut:
    """Queue every dead delivery of this webhook again."""
    return ReplayOut(replayed=services.replay_dead(uow, webhook_id))
