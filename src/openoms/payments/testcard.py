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
from dataclasses import dataclass, replace
from datetime import timedelta

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


MAGIC: dict[str, Behaviour] = {
    "4000000000000002": Behaviour("card_declined", "The card was declined."),
    "4000000000009995": Behaviour("insufficient_funds", "The card has insufficient funds."),
    "4000000000000127": Behaviour(
        "incorrect_cvc", "The card's security code is incorrect.", cvc=CheckResult.FAIL
    ),
    "4000000000000069": Behaviour("expired_card", "The card has expired."),
    "4000000000000101": Behaviour(cvc=CheckResult.FAIL),  # approved; the CVC check failed
    "4000000000000010": Behaviour(avs=CheckResult.FAIL),  # approved; the address check failed
    "4000000000009987": Behaviour(valid_days=0),  # approved; the authorization expires at once
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


class TestCardGateway:
    """One instance keeps its authorizations in memory, as a gateway account would."""

    name = "test_card"
    __test__ = False  # a gateway named "Test…", not a test class

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cards: dict[str, tuple[str, CardToken]] = {}  # token -> (number, card)
        self._payments: dict[str, GatewayPayment] = {}
        self._done: dict[str, tuple[tuple[object, ...], object]] = {}  # key -> (request, answer)

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
        with self._lock:
            self._cards[token] = (number, saved)
        return saved

    # --- the gateway interface ---------------------------------------------------------------

    def authorize(self, token: str, amount: Money, *, idempotency_key: str) -> Authorization:
        """Hold ``amount`` on the card. A decline is an answer, not an error.

        Raises: UnknownPayment (no such token), ImpossiblePaymentCall (a non-positive
        amount, or the key used for another request).
        """
        request = ("authorize", token, amount)
        with self._lock:
            done = self._replay(idempotency_key, request)
            if done is not None:
                assert isinstance(done, Authorization)
                return done
            if amount.amount_minor <= 0:
                raise ImpossiblePaymentCall("An authorization needs an amount above zero.")
            if token not in self._cards:
                raise UnknownPayment(f"No card with token {token}.", token=token)
            number, card = self._cards[token]
            behaviour = MAGIC.get(number, Behaviour())
            now = clock.now()
            if behaviour.decline_code is not None:
                answer = Authorization(
                    None,
                    amount,
                    approved=False,
                    decline_code=behaviour.decline_code,
                    message=behaviour.message,
                    avs=behaviour.avs,
                    cvc=behaviour.cvc,
                )
            else:
                reference = f"auth_{secrets.token_hex(10)}"
                expires = now + timedelta(days=behaviour.valid_days)
                zero = Money(0, amount.currency)
                self._payments[reference] = GatewayPayment(
                    reference, AuthorizationStatus.AUTHORIZED, amount, zero, zero, expires
                )
                answer = Authorization(
                    reference,
                    amount,
                    approved=True,
                    message=f"Authorized on {card.brand} ending {card.last4}.",
                    avs=behaviour.avs,
                    cvc=behaviour.cvc,
                    expires_at=expires,
                )
            self._done[idempotency_key] = (request, answer)
            return answer

    def capture(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        """Take up to what is still authorized; several partial captures are allowed.

        Raises: UnknownPayment, ImpossiblePaymentCall.
        """
        request = ("capture", reference, amount)
        with self._lock:
            done = self._replay(idempotency_key, request)
            if done is not None:
                assert isinstance(done, GatewayPayment)
                return done
            payment = self._current(reference)
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
            return self._keep(
                idempotency_key, request, replace(payment, captured=captured, status=status)
            )

    def void(self, reference: str, *, idempotency_key: str) -> GatewayPayment:
        """Release what is authorized and not captured. Raises: UnknownPayment,
        ImpossiblePaymentCall (fully captured, expired)."""
        request = ("void", reference)
        with self._lock:
            done = self._replay(idempotency_key, request)
            if done is not None:
                assert isinstance(done, GatewayPayment)
                return done
            payment = self._current(reference)
            if payment.status is AuthorizationStatus.CAPTURED:
                raise ImpossiblePaymentCall(f"{reference} is fully captured; refund it instead.")
            if payment.status is AuthorizationStatus.EXPIRED:
                raise ImpossiblePaymentCall(f"The authorization {reference} has expired already.")
            if payment.status is AuthorizationStatus.VOIDED:
                return self._keep(idempotency_key, request, payment)
            return self._keep(
                idempotency_key, request, replace(payment, status=AuthorizationStatus.VOIDED)
            )

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        """Give back up to what was captured and not yet refunded.

        Raises: UnknownPayment, ImpossiblePaymentCall.
        """
        request = ("refund", reference, amount)
        with self._lock:
            done = self._replay(idempotency_key, request)
            if done is not None:
                assert isinstance(done, GatewayPayment)
                return done
            payment = self._current(reference)
            _same_currency(payment, amount)
            if amount.amount_minor <= 0 or amount.amount_minor > payment.refundable.amount_minor:
                raise ImpossiblePaymentCall(
                    f"Cannot refund {amount.format()}: {payment.refundable.format()} "
                    f"of {reference} is refundable.",
                    refundable=payment.refundable.amount_minor,
                )
            return self._keep(
                idempotency_key, request, replace(payment, refunded=payment.refunded + amount)
            )

    def status(self, reference: str) -> GatewayPayment:
        """Raises: UnknownPayment."""
        with self._lock:
            return self._current(reference)

    # --- state -------------------------------------------------------------------------------

    def _current(self, reference: str) -> GatewayPayment:
        payment = self._payments.get(reference)
        if payment is None:
            raise UnknownPayment(f"No payment {reference} at the gateway.", reference=reference)
        uncaptured = payment.status is AuthorizationStatus.AUTHORIZED
        if uncaptured and clock.now() >= payment.expires_at:
            payment = replace(payment, status=AuthorizationStatus.EXPIRED)
            self._payments[reference] = payment
        return payment

    def _replay(self, key: str, request: tuple[object, ...]) -> object | None:
        if not key:
            raise ImpossiblePaymentCall("Every gateway call needs an idempotency key.")
        done = self._done.get(key)
        if done is None:
            return None
        if done[0] != request:
            raise ImpossiblePaymentCall(
                f"The idempotency key {key!r} was used for another request.", key=key
            )
        return done[1]

    def _keep(
        self, key: str, request: tuple[object, ...], payment: GatewayPayment
    ) -> GatewayPayment:
        self._payments[payment.reference] = payment
        self._done[key] = (request, payment)
        return payment


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
