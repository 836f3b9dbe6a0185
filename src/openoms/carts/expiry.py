"""The expiry job: carts whose time ran out give their stock back and become abandoned.

``expire_carts`` runs in the worker. Each cart is its own transaction: lock it (on PostgreSQL
skipping carts another worker or a customer's request holds), check it is still open and
past its expiry, release what it still holds, mark it abandoned with its value, and record
``cart.abandoned``. The inventory job may already have expired the cart's reservations (they
carry the same expiry); then there is simply nothing left to release. Running the job twice,
or in several workers at once, abandons each cart once.
"""

from __future__ import annotations

import structlog

from openoms.carts.model import Cart
from openoms.carts.repository import CartRepository
from openoms.infra.db import Database, UnitOfWork
from openoms.inventory.model import OwnerType, ReservationStatus
from openoms.inventory.services import owners
from openoms.inventory.services.reservations import release_owner_in_transaction
from openoms.shared import clock
from openoms.shared.events import Event

log = structlog.get_logger()
ACTOR = "system:cart-expiry"


def expire_carts(db: Database, *, limit: int = 200) -> int:
    """Abandon the open carts whose time ran out, releasing their stock. Returns how many."""
    with db.reader() as uow:
        due = CartRepository(uow.conn).due_tokens(clock.now(), limit)
    return sum(1 for token in due if abandon_if_due(db.uow(), token))


def abandon_if_due(uow: UnitOfWork, token: str) -> bool:
    """Abandon one cart if it is still open and past its expiry; False when it is not (it was
    touched, checked out or abandoned meanwhile, or another transaction holds it)."""
    with uow:
        repo = CartRepository(uow.conn)
        cart = repo.lock_if_free(token)
        now = clock.now()
        if cart is None or not cart.is_due(now):
            return False
        owners.held_units(uow, OwnerType.CART, token)  # lock them against the inventory job
        units = release_owner_in_transaction(
            uow, OwnerType.CART, token, actor=ACTOR, status=ReservationStatus.EXPIRED
        )
        cart.abandon(now)
        repo.save(cart)
        uow.record(Event("cart.abandoned", _payload(cart, units), aggregate=f"cart:{token}"))
        uow.commit()
    log.info("carts.abandoned", cart_id=cart.id, value=cart.value_amount, released=units)
    return True


def _payload(cart: Cart, released: int) -> dict[str, object]:
    return {
        "token": cart.token,
        "channel": cart.channel,
        "email": cart.email,
        "currency": cart.currency,
        "value_amount": cart.value_amount,
        "lines": [
            {"sku": ln.sku, "quantity": ln.quantity, "unit_price_amount": ln.unit_price_amount}
            for ln in cart.lines
        ],
        "units_released": released,
        "abandoned_at": cart.abandoned_at.isoformat() if cart.abandoned_at else None,
    }
