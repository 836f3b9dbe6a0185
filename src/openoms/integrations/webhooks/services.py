"""Webhook use cases: manage subscriptions and their secrets, look at and replay deliveries."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from openoms.infra.db import UnitOfWork
from openoms.integrations.webhooks.event_types import EVENT_TYPES
from openoms.integrations.webhooks.model import (
    REPLAYABLE,
    Delivery,
    DeliveryNotFound,
    DeliveryNotReplayable,
    Subscription,
    SubscriptionInactive,
    SubscriptionNotFound,
    SubscriptionSpec,
)
from openoms.integrations.webhooks.repository import DeliveryRepository, SubscriptionRepository
from openoms.integrations.webhooks.signing import generate_secret
from openoms.shared import clock
from openoms.shared.errors import ValidationFailed

UPDATABLE = frozenset({"url", "events", "description", "is_active"})


def create_subscription(uow: UnitOfWork, spec: SubscriptionSpec) -> tuple[Subscription, str]:
    """Subscribe a URL to event types; returns it with its signing secret, shown only now.

    Raises: ValidationFailed (a bad URL, an unknown event type).
    """
    _check(spec)
    spec = spec.normalized()
    secret = generate_secret()
    now = clock.now()
    subscription_id = str(uuid.uuid4())
    with uow:
        repo = SubscriptionRepository(uow.conn)
        repo.add(
            {
                **_spec_values(spec),
                "id": subscription_id,
                "secret": secret,
                "created_at": now,
                "updated_at": now,
            }
        )
        created = repo.get(subscription_id)
        uow.commit()
    assert created is not None
    return created, secret


def list_subscriptions(uow: UnitOfWork, *, is_active: bool | None = None) -> list[Subscription]:
    """Every subscription, oldest first, without secrets."""
    with uow:
        return SubscriptionRepository(uow.conn).list_subscriptions(is_active=is_active)


def get_subscription(uow: UnitOfWork, subscription_id: str) -> Subscription:
    """Raises: SubscriptionNotFound."""
    with uow:
        return _get_or_raise(SubscriptionRepository(uow.conn), subscription_id)


def update_subscription(
    uow: UnitOfWork, subscription_id: str, changes: dict[str, Any]
) -> Subscription:
    """Change the URL, the event types, the description or whether it is active.

    Deliveries already queued go to the new URL. An inactive subscription gets no new
    deliveries, and the ones it has wait until it is active again.

    Raises: SubscriptionNotFound, ValidationFailed.
    """
    fields = {k: v for k, v in changes.items() if k in UPDATABLE}
    if "events" in fields:
        fields["events"] = tuple(fields["events"])
    with uow:
        repo = SubscriptionRepository(uow.conn)
        current = _get_or_raise(repo, subscription_id, lock=True)
        spec = replace(_spec_of(current), **fields)
        _check(spec)
        repo.update(subscription_id, {**_spec_values(spec.normalized()), "updated_at": clock.now()})
        updated = repo.get(subscription_id)
        uow.commit()
    assert updated is not None
    return updated


def delete_subscription(uow: UnitOfWork, subscription_id: str) -> None:
    """Remove a subscription with its deliveries and their attempts.

    Raises: SubscriptionNotFound.
    """
    with uow:
        if SubscriptionRepository(uow.conn).delete(subscription_id) != 1:
            raise _not_found(subscription_id)
        uow.commit()


def rotate_secret(
    uow: UnitOfWork, subscription_id: str, *, keep_previous_for: timedelta = timedelta(0)
) -> tuple[Subscription, str]:
    """Give a subscription a new signing secret; returns it in full, this once.

    For ``keep_previous_for``, requests carry a second signature made with the previous
    secret, so a receiver can switch secrets without rejecting events in between.

    Raises: SubscriptionNotFound.
    """
    secret = generate_secret()
    now = clock.now()
    with uow:
        repo = SubscriptionRepository(uow.conn)
        _get_or_raise(repo, subscription_id, lock=True)
        previous = repo.secret_of(subscription_id) if keep_previous_for else None
        repo.update(
            subscription_id,
            {
                "secret": secret,
                "previous_secret": previous,
                "previous_secret_expires_at": now + keep_previous_for if previous else None,
                "updated_at": now,
            },
        )
        rotated = repo.get(subscription_id)
        uow.commit()
    assert rotated is not None
    return rotated, secret


def get_delivery(uow: UnitOfWork, delivery_id: str) -> Delivery:
    """One delivery with every attempt made, oldest first.

    Raises: DeliveryNotFound.
    """
    with uow:
        repo = DeliveryRepository(uow.conn)
        found = repo.get(delivery_id)
        if found is None:
            raise DeliveryNotFound(f"No webhook delivery '{delivery_id}'.", id=delivery_id)
        return replace(found, attempts=tuple(repo.list_attempts(delivery_id)))


def replay_delivery(uow: UnitOfWork, delivery_id: str) -> Delivery:
    """Send a dead or delivered delivery again, from a fresh count of attempts.

    Raises: DeliveryNotFound, DeliveryNotReplayable (it is still queued or being sent),
    SubscriptionInactive.
    """
    with uow:
        repo = DeliveryRepository(uow.conn)
        found = repo.get(delivery_id)
        if found is None:
            raise DeliveryNotFound(f"No webhook delivery '{delivery_id}'.", id=delivery_id)
        # the subscription first, then its delivery: the order a deletion locks them in
        _require_active(SubscriptionRepository(uow.conn), found.subscription_id)
        if found.status not in REPLAYABLE or repo.requeue_replayable(delivery_id, clock.now()) != 1:
            raise DeliveryNotReplayable(
                f"Delivery '{delivery_id}' is {found.status.value}; only dead or delivered "
                "deliveries can be replayed.",
                id=delivery_id,
                status=found.status.value,
            )
        replayed = repo.get(delivery_id)
        uow.commit()
    assert replayed is not None
    return replayed


def replay_dead(uow: UnitOfWork, subscription_id: str) -> int:
    """Queue every dead delivery of a subscription again; returns how many.

    Raises: SubscriptionNotFound, SubscriptionInactive.
    """
    with uow:
        _require_active(SubscriptionRepository(uow.conn), subscription_id)
        count = DeliveryRepository(uow.conn).requeue_dead(subscription_id, clock.now())
        uow.commit()
    return count


def _check(spec: SubscriptionSpec) -> None:
    errors = spec.check(EVENT_TYPES.keys())
    if errors:
        raise ValidationFailed(errors)


def _require_active(repo: SubscriptionRepository, subscription_id: str) -> None:
    subscription = _get_or_raise(repo, subscription_id, lock=True)
    if not subscription.is_active:
        raise SubscriptionInactive(
            f"Webhook '{subscription_id}' is inactive; activate it before replaying.",
            id=subscription_id,
        )


def _get_or_raise(
    repo: SubscriptionRepository, subscription_id: str, *, lock: bool = False
) -> Subscription:
    found = repo.get(subscription_id, lock=lock)
    if found is None:
        raise _not_found(subscription_id)
    return found


def _not_found(subscription_id: str) -> SubscriptionNotFound:
    return SubscriptionNotFound(f"No webhook '{subscription_id}'.", id=subscription_id)


def _spec_of(subscription: Subscription) -> SubscriptionSpec:
    return SubscriptionSpec(
        url=subscription.url,
        events=subscription.events,
        description=subscription.description,
        is_active=subscription.is_active,
    )


def _spec_values(spec: SubscriptionSpec) -> dict[str, Any]:
    return {
        "url": spec.url,
        "events": list(spec.events),
        "description": spec.description,
        "is_active": spec.is_active,
    }
