"""The built-in test card gateway: behaves like a real one, without a network.

It checks what a real gateway checks (Luhn, expiry, CVC), answers the documented magic
card numbers as a real issuer would (declines, insufficient funds, CVC and AVS results,
authorizations that have expired), keeps the state of every authorization, and refuses
impossible calls. Every call takes an idempotency key: the same key with the same request
answers the first result again and changes nothing; with another request it is refused.
See docs/payments.md for the card numbers.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from stdnum import luhn

from openoms.payments.model import (
    Authorization,
    AuthorizationStatus,
    CardToken,
    CheckResult,
    GatewayPayment,
    ImpossiblePaymentCall,
    InvalidCard,
    UnknownPayment,
)
from openoms.shared import clock
from openoms.shared.errors import FieldError
from openoms.shared.money import Money

AUTHORIZATION_DAYS = 7


@dataclass(frozen=True)
class Behaviour:
    """How the issuer of a magic number answers an authorization."""

    decline_code: str | None = None
    message: str = ""
    avs: CheckResult = CheckResult.PASS
    cvc: CheckResult = CheckResult.PASS
    valid_days: int = AUTHORIZATION_DAYS


# Each magic number answers as its issuer would. The gateway keeps the name of the answer
# with the card's token, never the number.
BEHAVIOURS: dict[str, Behaviour] = {
    "approve": Behaviour(),
    "decline": Behaviour("card_declined", "The card was declined."),
    "insufficient_funds": Behaviour("insufficient_funds", "The card has insufficient funds."),
    "incorrect_cvc": Behaviour(
        "incorrect_cvc", "The card's security code is incorrect.", cvc=CheckResult.FAIL
    ),
    "expired_card": Behaviour("expired_card", "The card has expired."),
    "cvc_check_fails": Behaviour(cvc=CheckResult.FAIL),  # approved; the CVC check failed
    "avs_check_fails": Behaviour(avs=CheckResult.FAIL),  # approved; the address check failed
    "expires_at_once": Behaviour(valid_days=0),  # approved; the authorization expires at once
}

MAGIC: dict[str, str] = {
    "4000000000000002": "decline",
    "4000000000009995": "insufficient_funds",
    "4000000000000127": "incorrect_cvc",
    "4000000000000069": "expired_card",
    "4000000000000101": "cvc_check_fails",
    "4000000000000010": "avs_check_fails",
    "4000000000009987": "expires_at_once",
}

BRANDS = (
    ("4", "visa"),
    ("51", "mastercard"),
    ("52", "mastercard"),
    ("53", "mastercard"),
    ("54", "mastercard"),
    ("55", "mastercard"),
    ("2", "mastercard"),
    ("34", "amex"),
    ("37", "amex"),
    ("6011", "discover"),
    ("65", "discover"),
)


@dataclass(frozen=True)
class CardInput:
    number: str
    exp_month: int
    exp_year: int
    cvc: str


class StateSession(Protocol):
    """One locked look at the gateway's state: documents by kind and key."""

    def get(self, kind: str, key: str) -> dict[str, Any] | None: ...

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None: ...

    def items(self, kind: str) -> list[dict[str, Any]]: ...


class GatewayState(Protocol):
    """Where the test gateway keeps its state, as a real gateway keeps it on its side.

    ``session(lock_key)`` holds a lock on ``lock_key`` (the payment or card) for one call.
    """

    def session(self, lock_key: str) -> AbstractContextManager[StateSession]: ...


class MemoryState:
    """State in this process only (unit tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._docs: dict[tuple[str, str], dict[str, Any]] = {}

    @contextmanager
    def session(self, lock_key: str) -> Iterator[StateSession]:  # noqa: ARG002
        with self._lock:
            yield self

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        found = self._docs.get((kind, key))
        return dict(found) if found is not None else None

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        self._docs[(kind, key)] = dict(value)

    def items(self, kind: str) -> list[dict[str, Any]]:
        return [dict(v) for (k, _key), v in sorted(self._docs.items()) if k == kind]


class HeldFundsGateway:
    """A gateway that holds funds in ``state``: authorizations with their captures, voids and
    refunds, every call under an idempotency key. Subclasses decide how funds are held
    (``_hold``) and what a release gives back (``_release``)."""

    name = "held_funds"

    def __init__(self, state: GatewayState | None = None) -> None:
        self._state = state or MemoryState()

    def _hold(
        self, state: StateSession, token: str, amount: Money
    ) -> tuple[Authorization, datetime | None]:
        """Hold ``amount`` for ``token``: the answer, and until when an approval lasts.
        Raises: UnknownPayment."""
        raise NotImplementedError

    def _release(self, state: StateSession, reference: str, amount: Money) -> None:
        """``amount`` of ``reference`` goes back (voided, or refunded)."""

    def authorize(self, token: str, amount: Money, *, idempotency_key: str) -> Authorization:
        """Hold ``amount``. A decline is an answer, not an error.

        Raises: UnknownPayment (no such token), ImpossiblePaymentCall (a non-positive
        amount, or the key used for another request).
        """
        request = ["authorize", token, amount.amount_minor, amount.currency]
        with self._state.session(token) as state:
            done = _replay(state, idempotency_key, request)
            if done is not None:
                return _authorization(done)
            if amount.amount_minor <= 0:
                raise ImpossiblePaymentCall("An authorization needs an amount above zero.")
            answer, expires = self._hold(state, token, amount)
            if answer.approved and answer.reference is not None and expires is not None:
                zero = Money(0, amount.currency)
                payment = GatewayPayment(
                    answer.reference, AuthorizationStatus.AUTHORIZED, amount, zero, zero, expires
                )
                state.put("payment", answer.reference, _payment_doc(payment))
            state.put("key", idempotency_key, {"request": request, "answer": _auth_doc(answer)})
            return answer

    def capture(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        """Take up to what is still authorized; several partial captures are allowed.

        Raises: UnknownPayment, ImpossiblePaymentCall.
        """
        request = ["capture", reference, amount.amount_minor, amount.currency]
        with self._state.session(reference) as state:
            done = _replay(state, idempotency_key, request)
            if done is not None:
                return _payment(done)
            payment = _current(state, reference)
            _same_currency(payment, amount)
            if payment.status is AuthorizationStatus.VOIDED:
                raise ImpossiblePaymentCall(f"{reference} was voided; nothing can be captured.")
            if payment.status is AuthorizationStatus.EXPIRED:
                raise ImpossiblePaymentCall(f"The authorization {reference} has expired.")
            if amount.amount_minor <= 0 or amount.amount_minor > payment.capturable.amount_minor:
                raise ImpossiblePaymentCall(
                    f"Cannot capture {amount.format()}: {payment.capturable.format()} "
                    f"is still authorized on {reference}.",
                    capturable=payment.capturable.amount_minor,
                )
            captured = payment.captured + amount
            status = (
                AuthorizationStatus.CAPTURED
                if captured == payment.authorized
                else AuthorizationStatus.PARTIALLY_CAPTURED
            )
            return _keep(
                state, idempotency_key, request, replace(payment, captured=captured, status=status)
            )

    def void(self, reference: str, *, idempotency_key: str) -> GatewayPayment:
        """Release what is authorized and not captured. Raises: UnknownPayment,
        ImpossiblePaymentCall (fully captured, expired)."""
        request = ["void", reference]
        with self._state.session(reference) as state:
            done = _replay(state, idempotency_key, request)
            if done is not None:
                return _payment(done)
            payment = _current(state, reference)
            if payment.status is AuthorizationStatus.CAPTURED:
                raise ImpossiblePaymentCall(f"{reference} is fully captured; refund it instead.")
            if payment.status is AuthorizationStatus.EXPIRED:
                raise ImpossiblePaymentCall(f"The authorization {reference} has expired already.")
            if payment.status is AuthorizationStatus.VOIDED:
                return _keep(state, idempotency_key, request, payment)
            self._release(state, reference, payment.capturable)
            return _keep(
                state, idempotency_key, request, replace(payment, status=AuthorizationStatus.VOIDED)
            )

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        """Give back up to what was captured and not yet refunded.

        Raises: UnknownPayment, ImpossiblePaymentCall.
        """
        request = ["refund", reference, amount.amount_minor, amount.currency]
        with self._state.session(reference) as state:
            done = _replay(state, idempotency_key, request)
            if done is not None:
                return _payment(done)
            payment = _current(state, reference)
            _same_currency(payment, amount)
            if amount.amount_minor <= 0 or amount.amount_minor > payment.refundable.amount_minor:
                raise ImpossiblePaymentCall(
                    f"Cannot refund {amount.format()}: {payment.refundable.format()} "
                    f"of {reference} is refundable.",
                    refundable=payment.refundable.amount_minor,
                )
            self._release(state, reference, amount)
            return _keep(
                state,
                idempotency_key,
                request,
                replace(payment, refunded=payment.refunded + amount),
            )

    def status(self, reference: str) -> GatewayPayment:
        """Raises: UnknownPayment."""
        with self._state.session(reference) as state:
            return _current(state, reference)


class TestCardGateway(HeldFundsGateway):
    """A card gateway account: cards, authorizations and used idempotency keys in ``state``
    (in memory by default; the application keeps them in the database)."""

    name = "test_card"
    __test__ = False  # a gateway named "Test…", not a test class

    # --- cards -------------------------------------------------------------------------------

    def tokenize(self, card: CardInput) -> CardToken:
        """Check a card and keep it; the caller gets a token. Raises: InvalidCard."""
        number = "".join(ch for ch in card.number if ch.isdigit())
        errors = _card_errors(number, card)
        if errors:
            raise InvalidCard(errors, "The card details are not valid.")
        token = f"tok_{secrets.token_hex(12)}"
        saved = CardToken(
            token=token,
            brand=_brand(number),
            last4=number[-4:],
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            fingerprint=hashlib.sha256(f"openoms-test:{number}".encode()).hexdigest()[:16],
        )
        with self._state.session(token) as state:
            state.put("card", token, {**asdict(saved), "behaviour": MAGIC.get(number, "approve")})
        return saved

    def card(self, token: str) -> CardToken | None:
        """What the gateway keeps of a tokenized card (never its number)."""
        with self._state.session(token) as state:
            found = state.get("card", token)
        if found is None:
            return None
        found.pop("behaviour", None)
        return CardToken(**found)

    def _hold(
        self, state: StateSession, token: str, amount: Money
    ) -> tuple[Authorization, datetime | None]:
        card = state.get("card", token)
        if card is None:
            raise UnknownPayment(f"No card with token {token}.", token=token)
        behaviour = BEHAVIOURS[card["behaviour"]]
        if behaviour.decline_code is not None:
            declined = Authorization(
                None,
                amount,
                approved=False,
                decline_code=behaviour.decline_code,
                message=behaviour.message,
                avs=behaviour.avs,
                cvc=behaviour.cvc,
            )
            return declined, None
        expires = clock.now() + timedelta(days=behaviour.valid_days)
        approved = Authorization(
            f"auth_{secrets.token_hex(10)}",
            amount,
            approved=True,
            message=f"Authorized on {card['brand']} ending {card['last4']}.",
            avs=behaviour.avs,
            cvc=behaviour.cvc,
            expires_at=expires,
        )
        return approved, expires


# --- state ---------------------------------------------------------------------------------


def _current(state: StateSession, reference: str) -> GatewayPayment:
    doc = state.get("payment", reference)
    if doc is None:
        raise UnknownPayment(f"No payment {reference} at the gateway.", reference=reference)
    payment = _payment(doc)
    uncaptured = payment.status is AuthorizationStatus.AUTHORIZED
    if uncaptured and clock.now() >= payment.expires_at:
        payment = replace(payment, status=AuthorizationStatus.EXPIRED)
        state.put("payment", reference, _payment_doc(payment))
    return payment


def _replay(state: StateSession, key: str, request: list[Any]) -> dict[str, Any] | None:
    if not key:
        raise ImpossiblePaymentCall("Every gateway call needs an idempotency key.")
    done = state.get("key", key)
    if done is None:
        return None
    if done["request"] != request:
        raise ImpossiblePaymentCall(
            f"The idempotency key {key!r} was used for another request.", key=key
        )
    answer: dict[str, Any] = done["answer"]
    return answer


def _keep(
    state: StateSession, key: str, request: list[Any], payment: GatewayPayment
) -> GatewayPayment:
    doc = _payment_doc(payment)
    state.put("payment", payment.reference, doc)
    state.put("key", key, {"request": request, "answer": doc})
    return payment


def _payment_doc(p: GatewayPayment) -> dict[str, Any]:
    return {
        "reference": p.reference,
        "status": p.status.value,
        "currency": p.authorized.currency,
        "authorized": p.authorized.amount_minor,
        "captured": p.captured.amount_minor,
        "refunded": p.refunded.amount_minor,
        "expires_at": p.expires_at.isoformat(),
    }


def _payment(doc: dict[str, Any]) -> GatewayPayment:
    currency = doc["currency"]
    return GatewayPayment(
        doc["reference"],
        AuthorizationStatus(doc["status"]),
        Money(doc["authorized"], currency),
        Money(doc["captured"], currency),
        Money(doc["refunded"], currency),
        datetime.fromisoformat(doc["expires_at"]),
    )


def _auth_doc(a: Authorization) -> dict[str, Any]:
    return {
        "reference": a.reference,
        "amount": a.amount.amount_minor,
        "currency": a.amount.currency,
        "approved": a.approved,
        "decline_code": a.decline_code,
        "message": a.message,
        "avs": a.avs.value,
        "cvc": a.cvc.value,
        "expires_at": a.expires_at.isoformat() if a.expires_at else None,
    }


def _authorization(doc: dict[str, Any]) -> Authorization:
    return Authorization(
        doc["reference"],
        Money(doc["amount"], doc["currency"]),
        approved=doc["approved"],
        decline_code=doc["decline_code"],
        message=doc["message"],
        avs=CheckResult(doc["avs"]),
        cvc=CheckResult(doc["cvc"]),
        expires_at=datetime.fromisoformat(doc["expires_at"]) if doc["expires_at"] else None,
    )


def _card_errors(number: str, card: CardInput) -> list[FieldError]:
    errors = []
    if not 12 <= len(number) <= 19 or not luhn.is_valid(number):
        errors.append(FieldError("number", "is not a valid card number"))
    if not 1 <= card.exp_month <= 12:
        errors.append(FieldError("exp_month", "must be 1 to 12"))
    else:
        now = clock.now()
        if (card.exp_year, card.exp_month) < (now.year, now.month):
            errors.append(FieldError("exp_year", "the card has expired"))
    digits = 4 if _brand(number) == "amex" else 3
    if not (card.cvc.isdigit() and len(card.cvc) == digits):
        errors.append(FieldError("cvc", f"must be {digits} digits"))
    return errors


def _brand(number: str) -> str:
    for prefix, brand in BRANDS:
        if number.startswith(prefix):
            return brand
    return "card"


def _same_currency(payment: GatewayPayment, amount: Money) -> None:
    if amount.currency != payment.authorized.currency:
        raise ImpossiblePaymentCall(
            f"The authorization is in {payment.authorized.currency}, not {amount.currency}."
        )
