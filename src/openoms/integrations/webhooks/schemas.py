from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from openoms.integrations.webhooks.model import (
    MAX_DESCRIPTION_LENGTH,
    MAX_PATTERNS,
    MAX_URL_LENGTH,
    Attempt,
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionSpec,
)
from openoms.web.schemas import Strict

MAX_GRACE_SECONDS = 7 * 24 * 3600
EVENTS_DESCRIPTION = (
    "event types: exact names (`transfer.shipped`), a prefix (`transfer.*`) or `*` for all; "
    "see GET /webhooks/event-types"
)


class WebhookCreate(Strict):
    url: str = Field(
        min_length=1, max_length=MAX_URL_LENGTH, examples=["https://erp.example.com/hooks/oms"]
    )
    events: list[str] = Field(min_length=1, max_length=MAX_PATTERNS, description=EVENTS_DESCRIPTION)
    description: str = Field(default="", max_length=MAX_DESCRIPTION_LENGTH)
    is_active: bool = True

    def to_spec(self) -> SubscriptionSpec:
        return SubscriptionSpec(self.url, tuple(self.events), self.description, self.is_active)


class WebhookUpdate(Strict):
    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    events: list[str] | None = Field(
        default=None, min_length=1, max_length=MAX_PATTERNS, description=EVENTS_DESCRIPTION
    )
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_LENGTH)
    is_active: bool | None = None


class SecretRotate(Strict):
    keep_previous_for_seconds: int = Field(
        default=0,
        ge=0,
        le=MAX_GRACE_SECONDS,
        description="keep signing with the previous secret too for this long (0: stop now)",
    )


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    is_active: bool
    secret_last4: str = Field(description="the end of the signing secret, to tell secrets apart")
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Subscription) -> WebhookOut:
        return cls(
            id=s.id,
            url=s.url,
            events=list(s.events),
            description=s.description,
            is_active=s.is_active,
            secret_last4=s.secret_last4,
            previous_secret_expires_at=s.previous_secret_expires_at,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class WebhookWithSecretOut(WebhookOut):
    secret: str = Field(description="the signing secret in full: shown this once, store it now")

    @classmethod
    def with_secret(cls, s: Subscription, secret: str) -> WebhookWithSecretOut:
        return cls(**WebhookOut.of(s).model_dump(), secret=secret)


class EventTypeOut(BaseModel):
    name: str
    description: str


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, a: Attempt) -> AttemptOut:
        return cls(
            attempted_at=a.attempted_at,
            status_code=a.status_code,
            error=a.error,
            duration_ms=a.duration_ms,
        )


class DeliveryOut(BaseModel):
    id: str
    webhook_id: str
    event_id: str
    event: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None = Field(description="set while the delivery is pending")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(
            id=d.id,
            webhook_id=d.subscription_id,
            event_id=d.event_id,
            event=d.event_name,
            status=d.status,
            attempt_count=d.attempt_count,
            next_attempt_at=d.next_attempt_at if d.status is DeliveryStatus.PENDING else None,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=d.created_at,
            updated_at=d.updated_at,
            delivered_at=d.delivered_at,
        )


class DeliveryDetailOut(DeliveryOut):
    attempts: list[AttemptOut]

    @classmethod
    def detail(cls, d: Delivery) -> DeliveryDetailOut:
        return cls(
            **DeliveryOut.of(d).model_dump(), attempts=[AttemptOut.of(a) for a in d.attempts]
        )


class ReplayOut(BaseModel):
    replayed: int
