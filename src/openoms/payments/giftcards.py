"""Gift cards and store credit: a balance that pays for orders like a card does.

The gift card gateway holds funds as any gateway does (authorize at placement, capture per
shipment, void, refund), but the funds are the card's balance: an authorization takes the
amount off the balance at once, a void or a refund puts it back. Store credit is a gift
card issued to a customer (a refund to store credit, a goodwill gesture).

Pure: the balance lives in the gateway's state (in memory, or in the database through
``gateway_state.SqlGatewayState``), read and written under the card's lock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from openoms.payments.model import Authorization, UnknownPayment
from openoms.payments.testcard import GatewayState, HeldFundsGateway, StateSession
from openoms.shared import clock
from openoms.shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from openoms.shared.money import Money

# No 0/O, 1/I/L: codes are read out over the phone and typed from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
HOLD_DAYS = 30  # an uncaptured hold on a gift card lasts this long


class GiftCardNotFound(NotFound):
    code = "gift_card_not_found"
    title = "Gift card not found"


class GiftCardExists(Conflict):
    code = "gift_card_exists"
    title = "Gift card code already in use"


@dataclass(frozen=True)
class GiftCard:
    code: str
    currency: str
    initial: int  # minor units
    balance: int
    customer: str | None  # store credit: the customer it belongs to (CUS-000001)
    expires_on: date | None
    is_active: bool
    note: str
    issued_by: str
    issued_at: datetime

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)

    @property
    def masked(self) -> str:
        """How the code is shown once issued: the last group only."""
        return f"GC-••••-••••-{self.code[-4:]}"


def new_code() -> str:
    groups = ["".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3)]
    return "GC-" + "-".join(groups)


def normalize_code(code: str) -> str:
    """``gc 7k2m-x9qa-44bd`` -> ``GC-7K2M-X9QA-44BD``."""
    plain = "".join(ch for ch in code.upper() if ch.isalnum())
    if plain.startswith("GC"):
        plain = plain[2:]
    if len(plain) != 12:
        return code.strip().upper()
    return f"GC-{plain[0:4]}-{plain[4:8]}-{plain[8:12]}"


class GiftCardGateway(HeldFundsGateway):
    """Gift cards by code; the token of a gift card payment is its code."""

    name = "gift_card"

    def __init__(self, state: GatewayState | None = None) -> None:
        super().__init__(state)

    # --- the cards -----------------------------------------------------------------------

    def issue(
        self,
        amount: Money,
        *,
        issued_by: str,
        customer: str | None = None,
        expires_on: date | None = None,
        note: str = "",
        code: str | None = None,
    ) -> GiftCard:
        """A new card with ``amount`` on it. Raises: ValidationFailed, GiftCardExists."""
        errors = []
        if amount.amount_minor <= 0:
            errors.append(FieldError("amount", "must be greater than zero"))
        if expires_on is not None and expires_on < clock.now().date():
            errors.append(FieldError("expires_on", "is in the past"))
        if errors:
            raise ValidationFailed(errors)
        code = normalize_code(code) if code else new_code()
        with self._state.session(code) as state:
            if state.get("gift_card", code) is not None:
                raise GiftCardExists(f"Gift card {code} exists already.", code=code)
            card = GiftCard(
                code,
                amount.currency,
                amount.amount_minor,
                amount.amount_minor,
                customer,
                expires_on,
                True,
                note,
                issued_by,
                clock.now(),
            )
            state.put("gift_card", code, _doc(card))
        return card

    def card(self, code: str) -> GiftCard:
        """Raises: GiftCardNotFound."""
        code = normalize_code(code)
        with self._state.session(code) as state:
            found = state.get("gift_card", code)
        if found is None:
            raise GiftCardNotFound(f"No gift card {code}.", code=code)
        return _card(found)

    def cards(self, *, customer: str | None = None) -> list[GiftCard]:
        with self._state.session("gift_cards") as state:
            found = [_card(d) for d in state.items("gift_card")]
        if customer is not None:
            found = [c for c in found if c.customer == customer]
        return sorted(found, key=lambda c: c.issued_at, reverse=True)

    def deactivate(self, code: str) -> GiftCard:
        """Nothing more can be paid with it (lost, stolen). Raises: GiftCardNotFound."""
        code = normalize_code(code)
        with self._state.session(code) as state:
            found = state.get("gift_card", code)
            if found is None:
                raise GiftCardNotFound(f"No gift card {code}.", code=code)
            found["is_active"] = False
            state.put("gift_card", code, found)
        return _card(found)

    # --- holding funds -------------------------------------------------------------------

    def _hold(
        self, state: StateSession, token: str, amount: Money
    ) -> tuple[Authorization, datetime | None]:
        code = normalize_code(token)
        doc = state.get("gift_card", code)
        if doc is None:
            raise UnknownPayment(f"No gift card {code}.", token=code)
        card = _card(doc)
        refusal = None
        if not card.is_active:
            refusal = ("gift_card_inactive", "The gift card is no longer valid.")
        elif card.expires_on is not None and clock.now().date() > card.expires_on:
            refusal = ("gift_card_expired", f"The gift card expired on {card.expires_on}.")
        elif card.currency != amount.currency:
            refusal = ("currency_mismatch", f"The gift card is in {card.currency}.")
        elif card.balance < amount.amount_minor:
            refusal = (
                "insufficient_balance",
                f"The gift card has {card.money(card.balance).format()} left.",
            )
        if refusal is not None:
            return Authorization(None, amount, False, refusal[0], refusal[1]), None
        doc["balance"] = card.balance - amount.amount_minor
        state.put("gift_card", code, doc)
        reference = f"gch_{secrets.token_hex(10)}"
        state.put("hold", reference, {"code": code})
        expires = clock.now() + timedelta(days=HOLD_DAYS)
        left = card.money(card.balance - amount.amount_minor).format()
        answer = Authorization(
            reference,
            amount,
            True,
            message=f"Held on gift card {card.masked}; {left} left.",
            expires_at=expires,
        )
        return answer, expires

    def _release(self, state: StateSession, reference: str, amount: Money) -> None:
        if amount.amount_minor <= 0:
            return
        hold = state.get("hold", reference)
        if hold is None:
            return
        doc = state.get("gift_card", hold["code"])
        if doc is not None:
            doc["balance"] = doc["balance"] + amount.amount_minor
            state.put("gift_card", hold["code"], doc)


def _doc(card: GiftCard) -> dict[str, object]:
    return {
        "code": card.code,
        "currency": card.currency,
        "initial": card.initial,
        "balance": card.balance,
        "customer": card.customer,
        "expires_on": card.expires_on.isoformat() if card.expires_on else None,
        "is_active": card.is_active,
        "note": card.note,
        "issued_by": card.issued_by,
        "issued_at": card.issued_at.isoformat(),
    }


def _card(doc: dict[str, object]) -> GiftCard:
    expires = doc.get("expires_on")
    return GiftCard(
        code=str(doc["code"]),
        currency=str(doc["currency"]),
        initial=int(str(doc["initial"])),
        balance=int(str(doc["balance"])),
        customer=str(doc["customer"]) if doc.get("customer") else None,
        expires_on=date.fromisoformat(str(expires)) if expires else None,
        is_active=bool(doc["is_active"]),
        note=str(doc.get("note") or ""),
        issued_by=str(doc["issued_by"]),
        issued_at=datetime.fromisoformat(str(doc["issued_at"])),
    )
