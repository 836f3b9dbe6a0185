"""Stripe as a card gateway: PaymentIntents with manual capture, over Stripe's HTTP API.

The ``token`` given to ``authorize`` is a PaymentMethod id (``pm_…``) the shop's checkout
collected with Stripe.js; the reference of an authorization is its PaymentIntent id
(``pi_…``). Authorizations ask for multicapture, so that each shipment can be captured on
its own while the rest stays authorized (see docs/payments.md, "Stripe").

Every call that moves money sends the caller's idempotency key as ``Idempotency-Key``:
Stripe answers a retry with the stored answer of the first request and moves no money
again. Where a call depends on what Stripe holds now (capture, void, refund) the adapter
reads the PaymentIntent first, refuses locally what Stripe would refuse, and never refuses
what may be a retry of a call that went through: that one is sent again under its key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote, urlencode

import httpx

from openoms.payments.model import (
    Authorization,
    AuthorizationStatus,
    CheckResult,
    GatewayMisconfigured,
    GatewayPayment,
    GatewayUnavailable,
    ImpossiblePaymentCall,
    UnknownPayment,
)
from openoms.shared import clock
from openoms.shared.errors import OmsError
from openoms.shared.money import Money, decimals

DEFAULT_BASE_URL: Final = "https://api.stripe.com"
# The API version every request is pinned to, so that an account upgrade on Stripe's side
# never changes the shape of the answers read here.
STRIPE_API_VERSION: Final = "2024-06-20"
DEFAULT_TIMEOUT: Final = 30.0
# Stripe cancels an uncaptured card PaymentIntent after 7 days unless the charge says
# otherwise (``capture_before``).
AUTHORIZATION_DAYS: Final = 7
_MAX_KEY_LENGTH: Final = 255

# Amounts go to Stripe in the currency's smallest unit as Stripe counts it, which is not
# always ISO 4217's: https://docs.stripe.com/currencies (zero-decimal, three-decimal and
# special cases). ISK is zero-decimal for ISO but two-decimal (whole krónur) for Stripe.
STRIPE_ZERO_DECIMAL: Final = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
# Three-decimal amounts must end in 0 (Stripe's partners take whole tens of the minor unit).
STRIPE_THREE_DECIMAL: Final = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Whole units only, though sent with two decimals (Stripe's special cases).
STRIPE_WHOLE_UNITS: Final = frozenset({"ISK"})

_CHECKS: Final = {"pass": CheckResult.PASS, "fail": CheckResult.FAIL}
# Errors that say "try again later": a concurrent request with the same key, a lock.
_RETRYABLE_CODES: Final = frozenset({"idempotency_key_in_use", "lock_timeout", "rate_limit"})


class _StripeRefusal(Exception):
    """A 4xx answer a caller may read before it becomes an OmsError."""

    def __init__(self, status: int, error: Mapping[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {error.get('message', '')}")
        self.status = status
        self.error = dict(error)

    @property
    def type(self) -> str:
        return str(self.error.get("type") or "")

    @property
    def code(self) -> str:
        return str(self.error.get("code") or "")

    @property
    def message(self) -> str:
        return str(self.error.get("message") or "Stripe refused the request.")


class StripeGateway:
    """Card payments through Stripe PaymentIntents (manual capture, multicapture).

    ``api_key`` is a secret key (``sk_live_…``/``sk_test_…``) or a restricted key with write
    access to PaymentIntents and Refunds. ``transport`` replaces the network (tests pass an
    ``httpx.MockTransport``).
    """

    name = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        api_version: str = STRIPE_API_VERSION,
    ) -> None:
        if not api_key:
            raise GatewayMisconfigured("The Stripe API key is not set.", gateway=self.name)
        self._api_key = api_key
        self._api_version = api_version
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> StripeGateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the gateway interface ---------------------------------------------------------------

    def authorize(self, token: str, amount: Money, *, idempotency_key: str) -> Authorization:
        """Hold ``amount`` on the card ``token`` (a PaymentMethod id): a PaymentIntent,
        confirmed at once, captured later. A decline is an answer, not an error; so is a card
        that needs 3-D Secure (``authentication_required``): the shop's checkout must do that.

        Raises: UnknownPayment (no such PaymentMethod), ImpossiblePaymentCall (a non-positive
        amount, an amount Stripe cannot take in that currency, a request Stripe refuses, the
        key used for another request), GatewayUnavailable, GatewayMisconfigured.
        """
        key = _key(idempotency_key)
        if amount.amount_minor <= 0:
            raise ImpossiblePaymentCall("An authorization needs an amount above zero.")
        form = [
            ("amount", str(to_stripe_amount(amount))),
            ("currency", amount.currency.lower()),
            ("payment_method", token),
            ("payment_method_types[]", "card"),
            ("confirm", "true"),
            ("capture_method", "manual"),
            ("error_on_requires_action", "true"),
            ("payment_method_options[card][request_multicapture]", "if_available"),
            ("expand[]", "latest_charge"),
        ]
        try:
            intent = self._call("POST", "/v1/payment_intents", form, idempotency_key=key)
        except _StripeRefusal as refusal:
            if refusal.type == "card_error":
                return _declined(amount, refusal.error)
            raise _refused(refusal, token) from None
        return _authorization(intent, amount)

    def capture(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        """Take ``amount`` of what is authorized; with multicapture the rest stays authorized
        (``final_capture=false``) unless this capture takes all of it.

        Raises: UnknownPayment, ImpossiblePaymentCall (another currency, more than is still
        authorized, voided or closed, a partial capture where the card does not allow
        multicapture, a capture Stripe refuses), GatewayUnavailable, GatewayMisconfigured.
        """
        key = _key(idempotency_key)
        intent = self._retrieve(reference)
        current = _payment(intent)
        _same_currency(current, amount)
        if amount.amount_minor <= 0:
            raise ImpossiblePaymentCall("A capture needs an amount above zero.")
        stripe_amount = to_stripe_amount(amount)
        status = intent.get("status")
        capturable = _money(intent.get("amount_capturable", 0), amount.currency)
        multicapture = _multicapture(intent)
        final: bool | None
        if status == "requires_capture" and amount.amount_minor <= capturable.amount_minor:
            takes_rest = amount.amount_minor == capturable.amount_minor
            if not takes_rest and not multicapture:
                raise ImpossiblePaymentCall(
                    f"Stripe would release the rest of {reference} after this capture: "
                    "multicapture is not available for this card. Capture "
                    f"{capturable.format()} at once, or void and authorize again.",
                    capturable=capturable.amount_minor,
                    multicapture="unavailable",
                )
            final = takes_rest if multicapture else None
        elif status in ("requires_capture", "succeeded") and (
            amount.amount_minor <= current.captured.amount_minor
        ):
            # Perhaps the retry of a capture that went through: Stripe answers it under
            # its key, or refuses it. A capture that closed the PaymentIntent was final.
            final = (status == "succeeded") if multicapture else None
        else:
            raise _cannot_capture(reference, intent, current, capturable, amount)
        form = [("amount_to_capture", str(stripe_amount))]
        if final is not None:
            form.append(("final_capture", _bool(final)))
        form.append(("expand[]", "latest_charge"))
        path = f"/v1/payment_intents/{_segment(reference)}/capture"
        try:
            captured = self._call("POST", path, form, idempotency_key=key)
        except _StripeRefusal as refusal:
            if refusal.type != "idempotency_error" or final is None:
                raise _refused(refusal, reference) from None
            # The key was used, with the other final_capture: the first attempt of this
            # very capture, decided on what Stripe held then. Ask again as it was asked.
            form[1] = ("final_capture", _bool(not final))
            try:
                captured = self._call("POST", path, form, idempotency_key=key)
            except _StripeRefusal as again:
                raise _refused(again, reference) from None
        return _payment(captured)

    def void(self, reference: str, *, idempotency_key: str) -> GatewayPayment:
        """Release what is authorized and not captured: cancel the PaymentIntent, or, when
        part of it is captured already, close it with a final capture of nothing (Stripe's
        way to release the rest). Voiding what is voided answers its state again.

        Raises: UnknownPayment, ImpossiblePaymentCall (fully captured, expired),
        GatewayUnavailable, GatewayMisconfigured.
        """
        key = _key(idempotency_key)
        intent = self._retrieve(reference)
        current = _payment(intent)
        status = intent.get("status")
        if current.status is AuthorizationStatus.EXPIRED:
            raise ImpossiblePaymentCall(f"The authorization {reference} has expired already.")
        if current.status is AuthorizationStatus.VOIDED:
            return current
        if current.status is AuthorizationStatus.CAPTURED:
            raise ImpossiblePaymentCall(f"{reference} is fully captured; refund it instead.")
        try:
            if status == "requires_capture" and current.captured.amount_minor > 0:
                form = [
                    ("amount_to_capture", "0"),
                    ("final_capture", "true"),
                    ("expand[]", "latest_charge"),
                ]
                path = f"/v1/payment_intents/{_segment(reference)}/capture"
            else:
                form = [("expand[]", "latest_charge")]
                path = f"/v1/payment_intents/{_segment(reference)}/cancel"
            return _payment(self._call("POST", path, form, idempotency_key=key))
        except _StripeRefusal as refusal:
            raise _refused(refusal, reference) from None

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        """Give back ``amount`` of what was captured (one Refund on the PaymentIntent).

        Raises: UnknownPayment, ImpossiblePaymentCall (another currency, more than is
        refundable, a refund Stripe refuses or that failed), GatewayUnavailable,
        GatewayMisconfigured.
        """
        key = _key(idempotency_key)
        intent = self._retrieve(reference)
        current = _payment(intent)
        _same_currency(current, amount)
        if amount.amount_minor <= 0:
            raise ImpossiblePaymentCall("A refund needs an amount above zero.")
        stripe_amount = to_stripe_amount(amount)
        too_much = amount.amount_minor > current.refundable.amount_minor
        # More than is refundable may still be the retry of a refund that went through.
        if too_much and amount.amount_minor > current.refunded.amount_minor:
            raise ImpossiblePaymentCall(
                f"Cannot refund {amount.format()}: {current.refundable.format()} "
                f"of {reference} is refundable.",
                refundable=current.refundable.amount_minor,
            )
        form = [
            ("payment_intent", reference),
            ("amount", str(stripe_amount)),
            ("expand[]", "charge"),
            ("expand[]", "payment_intent"),
        ]
        try:
            refund = self._call("POST", "/v1/refunds", form, idempotency_key=key)
        except _StripeRefusal as refusal:
            raise _refused(refusal, reference) from None
        if refund.get("status") in ("failed", "canceled"):
            raise ImpossiblePaymentCall(
                f"Stripe could not refund {reference}: {refund.get('failure_reason') or 'failed'}.",
                refund=refund.get("id"),
            )
        intent_after = _obj(refund.get("payment_intent"))
        charge = refund.get("charge")
        if not intent_after:
            return self.status(reference)
        return _payment({**intent_after, "latest_charge": charge})

    def status(self, reference: str) -> GatewayPayment:
        """What Stripe holds for ``reference`` now.

        Raises: UnknownPayment, GatewayUnavailable, GatewayMisconfigured.
        """
        return _payment(self._retrieve(reference))

    # --- HTTP ---------------------------------------------------------------------------------

    def _retrieve(self, reference: str) -> dict[str, Any]:
        if not reference:
            raise UnknownPayment("No PaymentIntent id was given.", reference=reference)
        path = f"/v1/payment_intents/{_segment(reference)}"
        try:
            return self._call("GET", path, params=[("expand[]", "latest_charge")])
        except _StripeRefusal as refusal:
            raise _refused(refusal, reference) from None

    def _call(
        self,
        method: str,
        path: str,
        form: list[tuple[str, str]] | None = None,
        *,
        idempotency_key: str | None = None,
        params: list[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Stripe-Version": self._api_version,
            "Accept": "application/json",
        }
        content: str | None = None
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if idempotency_key is not None:
                headers["Idempotency-Key"] = idempotency_key
            content = urlencode(form or [])
        with _network(method, path):
            response = self._client.request(
                method,
                path,
                params=httpx.QueryParams(tuple(params)) if params else None,
                content=content,
                headers=headers,
            )
        body = _json(response)
        if response.is_success:
            return body
        error = _obj(body.get("error"))
        status = response.status_code
        data = {
            "gateway": self.name,
            "status": status,
            "request_id": response.headers.get("Request-Id"),
        }
        if status in (401, 403):
            raise GatewayMisconfigured(
                f"Stripe refused the API key ({status}): {error.get('message', '')}".strip(),
                **data,
            )
        if status == 429 or status >= 500 or (status == 409 and _retryable(error)):
            raise GatewayUnavailable(
                f"Stripe answered {status}; the call may be retried with the same key.",
                should_retry=response.headers.get("Stripe-Should-Retry"),
                **data,
            )
        raise _StripeRefusal(status, error)


# --- amounts ----------------------------------------------------------------------------------


def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe counts in ``currency`` (not always ISO 4217's)."""
    code = currency.upper()
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def to_stripe_amount(money: Money) -> int:
    """``money`` as Stripe's integer amount. Raises: ImpossiblePaymentCall (an amount
    Stripe cannot take in that currency: fractions it does not count, a three-decimal
    amount not ending in 0, fractional krónur)."""
    exponent, places = stripe_exponent(money.currency), decimals(money.currency)
    value: int
    if exponent >= places:
        value = money.amount_minor * _power(exponent - places)
    else:
        step = _power(places - exponent)
        if money.amount_minor % step:
            raise ImpossiblePaymentCall(
                f"Stripe takes {money.currency} amounts with {exponent} decimals; "
                f"{money.amount_str()} has more.",
                currency=money.currency,
            )
        value = money.amount_minor // step
    if money.currency in STRIPE_THREE_DECIMAL and value % 10:
        raise ImpossiblePaymentCall(
            f"Stripe takes {money.currency} amounts in whole tens of the minor unit; "
            f"{money.amount_str()} is not one.",
            currency=money.currency,
        )
    if money.currency in STRIPE_WHOLE_UNITS and value % 100:
        raise ImpossiblePaymentCall(
            f"Stripe takes whole {money.currency} amounts only; {money.amount_str()} is not.",
            currency=money.currency,
        )
    return value


def from_stripe_amount(value: int, currency: str) -> Money:
    """Stripe's integer amount in ``currency`` (any case) as Money."""
    code = currency.upper()
    exponent, places = stripe_exponent(code), decimals(code)
    if places >= exponent:
        return Money(value * _power(places - exponent), code)
    step = _power(exponent - places)
    if value % step:
        raise GatewayUnavailable(
            f"Stripe answered {value} {code}, which is not a whole number of minor units.",
            gateway="stripe",
        )
    return Money(value // step, code)


def _power(exponent: int) -> int:
    """10 to a non-negative power, as an int."""
    return int(10**exponent)


def _money(value: Any, currency: str) -> Money:
    return from_stripe_amount(int(value or 0), currency)


# --- reading Stripe's answers ------------------------------------------------------------------


def _payment(intent: Mapping[str, Any]) -> GatewayPayment:
    currency = str(intent.get("currency") or "").upper()
    authorized = _money(intent.get("amount"), currency)
    captured = _money(intent.get("amount_received"), currency)
    charge = _obj(intent.get("latest_charge"))
    # A released hold shows on the charge as refunded: only captured money can be refunded.
    refunded = _money(
        min(int(charge.get("amount_refunded") or 0), int(intent.get("amount_received") or 0)),
        currency,
    )
    return GatewayPayment(
        reference=str(intent["id"]),
        status=_status(intent, authorized, captured),
        authorized=authorized,
        captured=captured,
        refunded=refunded,
        expires_at=_expires_at(intent, charge),
    )


def _status(intent: Mapping[str, Any], authorized: Money, captured: Money) -> AuthorizationStatus:
    status = intent.get("status")
    everything = captured.amount_minor >= authorized.amount_minor
    if status == "requires_capture":
        if captured.amount_minor == 0:
            return AuthorizationStatus.AUTHORIZED
        return (
            AuthorizationStatus.CAPTURED if everything else AuthorizationStatus.PARTIALLY_CAPTURED
        )
    if status == "succeeded":
        # Closed: what was not captured has been released.
        return AuthorizationStatus.CAPTURED if everything else AuthorizationStatus.VOIDED
    if status == "canceled":
        if intent.get("cancellation_reason") in ("automatic", "expired"):
            return AuthorizationStatus.EXPIRED
        return AuthorizationStatus.VOIDED
    if status == "processing":
        return AuthorizationStatus.AUTHORIZED
    return AuthorizationStatus.DECLINED  # requires_payment_method, _confirmation, _action


def _authorization(intent: Mapping[str, Any], asked: Money) -> Authorization:
    charge = _obj(intent.get("latest_charge"))
    card = _obj(_obj(charge.get("payment_method_details")).get("card"))
    checks = _obj(card.get("checks"))
    avs = _avs(checks)
    cvc = _CHECKS.get(str(checks.get("cvc_check")), CheckResult.UNAVAILABLE)
    if intent.get("status") in ("requires_capture", "succeeded", "processing"):
        brand, last4 = card.get("brand") or "card", card.get("last4") or "????"
        return Authorization(
            str(intent["id"]),
            asked,
            approved=True,
            message=f"Authorized on {brand} ending {last4}.",
            avs=avs,
            cvc=cvc,
            expires_at=_expires_at(intent, charge),
        )
    error = _obj(intent.get("last_payment_error"))
    if intent.get("status") == "requires_action":
        error = {"code": "authentication_required", "message": "The card needs 3-D Secure."}
    declined = _declined(asked, error)
    return Authorization(
        None,
        asked,
        approved=False,
        decline_code=declined.decline_code,
        message=declined.message,
        avs=avs,
        cvc=cvc,
    )


def _declined(asked: Money, error: Mapping[str, Any]) -> Authorization:
    code = str(error.get("decline_code") or error.get("code") or "card_declined")
    return Authorization(
        None,
        asked,
        approved=False,
        decline_code=code,
        message=str(error.get("message") or "The card was declined."),
        avs=CheckResult.FAIL if error.get("code") == "incorrect_zip" else CheckResult.UNAVAILABLE,
        cvc=CheckResult.FAIL if error.get("code") == "incorrect_cvc" else CheckResult.UNAVAILABLE,
    )


def _avs(checks: Mapping[str, Any]) -> CheckResult:
    results = [checks.get("address_line1_check"), checks.get("address_postal_code_check")]
    if "fail" in results:
        return CheckResult.FAIL
    if "pass" in results:
        return CheckResult.PASS
    return CheckResult.UNAVAILABLE


def _expires_at(intent: Mapping[str, Any], charge: Mapping[str, Any]) -> datetime:
    card = _obj(_obj(charge.get("payment_method_details")).get("card"))
    before = card.get("capture_before")
    if isinstance(before, int):
        return datetime.fromtimestamp(before, UTC)
    created = intent.get("created")
    start = datetime.fromtimestamp(created, UTC) if isinstance(created, int) else clock.now()
    return start + timedelta(days=AUTHORIZATION_DAYS)


def _multicapture(intent: Mapping[str, Any]) -> bool:
    charge = _obj(intent.get("latest_charge"))
    card = _obj(_obj(charge.get("payment_method_details")).get("card"))
    return _obj(card.get("multicapture")).get("status") == "available"


def _cannot_capture(
    reference: str,
    intent: Mapping[str, Any],
    current: GatewayPayment,
    capturable: Money,
    amount: Money,
) -> ImpossiblePaymentCall:
    if current.status is AuthorizationStatus.EXPIRED:
        return ImpossiblePaymentCall(f"The authorization {reference} has expired.")
    if current.status is AuthorizationStatus.VOIDED:
        return ImpossiblePaymentCall(f"{reference} was voided; nothing can be captured.")
    if current.status is AuthorizationStatus.DECLINED:
        return ImpossiblePaymentCall(f"{reference} was never authorized.")
    if intent.get("status") == "succeeded":
        return ImpossiblePaymentCall(f"{reference} is captured and closed already.")
    return ImpossiblePaymentCall(
        f"Cannot capture {amount.format()}: {capturable.format()} is still authorized on "
        f"{reference}.",
        capturable=capturable.amount_minor,
    )


def _refused(refusal: _StripeRefusal, reference: str) -> OmsError:
    if refusal.status == 404 or refusal.code == "resource_missing":
        return UnknownPayment(f"Stripe has no {reference}: {refusal.message}", reference=reference)
    if refusal.type == "idempotency_error":
        return ImpossiblePaymentCall(
            f"The idempotency key was used for another request: {refusal.message}",
            reference=reference,
        )
    return ImpossiblePaymentCall(
        f"Stripe refused the call on {reference}: {refusal.message}",
        reference=reference,
        stripe_code=refusal.code or refusal.type,
        status=refusal.status,
    )


def _same_currency(payment: GatewayPayment, amount: Money) -> None:
    if amount.currency != payment.authorized.currency:
        raise ImpossiblePaymentCall(
            f"The authorization is in {payment.authorized.currency}, not {amount.currency}."
        )


# --- small helpers ------------------------------------------------------------------------------


@contextmanager
def _network(method: str, path: str) -> Iterator[None]:
    try:
        yield
    except httpx.TransportError as e:
        raise GatewayUnavailable(
            f"Stripe could not be reached ({type(e).__name__}) for {method} {path}; "
            "the call may be retried with the same key.",
            gateway="stripe",
        ) from e


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if response.is_success or response.status_code >= 500:
        raise GatewayUnavailable(
            f"Stripe answered {response.status_code} with a body that is not a JSON object.",
            gateway="stripe",
            status=response.status_code,
        )
    return {}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _retryable(error: Mapping[str, Any]) -> bool:
    return error.get("code") in _RETRYABLE_CODES or error.get("type") != "idempotency_error"


def _key(idempotency_key: str) -> str:
    if not idempotency_key:
        raise ImpossiblePaymentCall("Every gateway call needs an idempotency key.")
    if len(idempotency_key) <= _MAX_KEY_LENGTH:
        return idempotency_key
    return "oms-" + hashlib.sha256(idempotency_key.encode()).hexdigest()


def _segment(reference: str) -> str:
    return quote(reference, safe="")


def _bool(value: bool) -> str:
    return "true" if value else "false"
