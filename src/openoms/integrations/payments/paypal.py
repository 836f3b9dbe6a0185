"""PayPal as a wallet gateway: authorizations of approved orders, over PayPal's REST API.

The ``token`` given to ``authorize`` is the id of a PayPal order (intent ``AUTHORIZE``) the
buyer has approved in the shop's checkout; the reference of an authorization is PayPal's
authorization id. Captures are made against the authorization, several while
``final_capture`` is false; refunds are made against captures, so a refund of an
authorization is spread over its captures, newest first (see docs/payments.md, "PayPal").

Every call that moves money sends a ``PayPal-Request-Id`` made from the caller's idempotency
key: PayPal answers a retry with the result of the first request and moves no money again.
A refund spread over several captures sends one request per capture, each with its own id
derived from the key, and marks its refunds (``custom_id``) so that a retry finds what the
first attempt did instead of refunding it again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

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
from openoms.shared.errors import OmsError, ValidationFailed
from openoms.shared.money import Money, decimals

SANDBOX_BASE_URL: Final = "https://api-m.sandbox.paypal.com"
LIVE_BASE_URL: Final = "https://api-m.paypal.com"
DEFAULT_TIMEOUT: Final = 30.0
# PayPal keeps an authorization for 29 days (its honor period, when the funds are sure, is
# 3 days); used only when an answer carries no expiration_time.
AUTHORIZATION_DAYS: Final = 29
# A token is renewed this long before PayPal says it expires (at most half its life).
TOKEN_MARGIN: Final = timedelta(minutes=5)
_MAX_REQUEST_ID: Final = 108

# PayPal counts these in whole units, though ISO 4217 gives HUF and TWD two decimals.
PAYPAL_WHOLE_UNITS: Final = frozenset({"HUF", "JPY", "TWD"})

# Captures that took money (a pending one is on its way), refunds that gave it back.
_TAKEN: Final = frozenset({"COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED", "PENDING"})
_REFUNDABLE: Final = frozenset({"COMPLETED", "PARTIALLY_REFUNDED"})
_GIVEN: Final = frozenset({"COMPLETED", "PENDING"})
# Issues of an order authorization that are the buyer's funding failing: a decline.
_DECLINES: Final = frozenset(
    {
        "INSTRUMENT_DECLINED",
        "TRANSACTION_REFUSED",
        "PAYER_CANNOT_PAY",
        "PAYEE_BLOCKED_TRANSACTION",
        "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING",
    }
)
# Card results, when the buyer paid by card through PayPal (processor_response).
_AVS_PASS: Final = frozenset({"D", "F", "M", "X", "Y"})
_AVS_FAIL: Final = frozenset({"C", "N"})
_CVV: Final = {"M": CheckResult.PASS, "N": CheckResult.FAIL}


class _PayPalRefusal(Exception):
    """A 400 or 422 answer a caller may read before it becomes an OmsError."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {body.get('message', '')}")
        self.status = status
        self.body = dict(body)

    @property
    def issues(self) -> list[str]:
        details = self.body.get("details")
        if not isinstance(details, list):
            return []
        return [str(d.get("issue")) for d in details if isinstance(d, dict) and d.get("issue")]

    @property
    def message(self) -> str:
        details = self.body.get("details")
        if isinstance(details, list):
            for d in details:
                if isinstance(d, dict) and d.get("description"):
                    return str(d["description"])
        return str(self.body.get("message") or "PayPal refused the request.")


@dataclass(frozen=True)
class _Capture:
    id: str
    status: str
    amount: Money
    created: str


@dataclass(frozen=True)
class _Refund:
    id: str
    status: str
    amount: Money
    capture_id: str
    custom_id: str


@dataclass(frozen=True)
class _State:
    """One authorization as PayPal holds it, with its captures and their refunds."""

    authorization: dict[str, Any]
    captures: tuple[_Capture, ...]
    refunds: tuple[_Refund, ...]

    @property
    def id(self) -> str:
        return str(self.authorization["id"])

    @property
    def authorized(self) -> Money:
        return _money(self.authorization.get("amount"))

    def captured(self) -> Money:
        total = Money(0, self.authorized.currency)
        for capture in self.captures:
            if capture.status in _TAKEN:
                total += capture.amount
        return total

    def refunded(self, capture_id: str | None = None) -> Money:
        total = Money(0, self.authorized.currency)
        for refund in self.refunds:
            if refund.status in _GIVEN and capture_id in (None, refund.capture_id):
                total += refund.amount
        return total

    def with_capture(self, capture: _Capture, status: str) -> _State:
        captures = self.captures
        if all(c.id != capture.id for c in captures):
            captures = (*captures, capture)
        return _State({**self.authorization, "status": status}, captures, self.refunds)

    def with_refund(self, refund: _Refund) -> _State:
        if any(r.id == refund.id for r in self.refunds):
            return self
        return _State(self.authorization, self.captures, (*self.refunds, refund))


class PayPalGateway:
    """PayPal Checkout payments through the Orders v2 and Payments v2 APIs.

    ``client_id`` and ``client_secret`` are a REST app's credentials; ``base_url`` is the
    sandbox unless set to ``LIVE_BASE_URL``. ``transport`` replaces the network (tests pass
    an ``httpx.MockTransport``).
    """

    name = "paypal"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = SANDBOX_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not client_id or not client_secret:
            raise GatewayMisconfigured(
                "The PayPal client id and secret are not set.", gateway=self.name
            )
        self._credentials = (client_id, client_secret)
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._token_renew_at = clock.now()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PayPalGateway:
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
        """Authorize the approved order ``token``. The order's amount was fixed at checkout:
        an authorization of another amount is voided at once and refused. A funding decline
        (``INSTRUMENT_DECLINED`` and the like, or an authorization ``DENIED``) is an answer,
        not an error; so is an authorization held for review (``pending_review``, with its
        reference).

        Raises: UnknownPayment (no such order), ImpossiblePaymentCall (a non-positive amount,
        an order not approved or authorized already, another amount), GatewayUnavailable,
        GatewayMisconfigured.
        """
        request_id = _request_id(idempotency_key)
        if amount.amount_minor <= 0:
            raise ImpossiblePaymentCall("An authorization needs an amount above zero.")
        path = f"/v2/checkout/orders/{_segment(token)}/authorize"
        try:
            order = self._call("POST", path, {}, request_id=request_id)
        except _PayPalRefusal as refusal:
            declined = set(refusal.issues) & _DECLINES
            if declined:
                return Authorization(
                    None,
                    amount,
                    approved=False,
                    decline_code=sorted(declined)[0].lower(),
                    message=refusal.message,
                )
            raise _refused(refusal, token) from None
        authorization = _latest_authorization(order)
        if authorization is None:
            raise ImpossiblePaymentCall(
                f"PayPal authorized the order {token} without an authorization.", order=token
            )
        reference = str(authorization["id"])
        held = _money(authorization.get("amount"))
        status = str(authorization.get("status"))
        if held != amount and status in ("CREATED", "PENDING"):
            self._void_mismatch(reference, idempotency_key)
            raise ImpossiblePaymentCall(
                f"The PayPal order {token} authorized {held.format()}, not {amount.format()}; "
                f"the authorization {reference} was voided.",
                order=token,
                authorized=held.amount_minor,
                currency=held.currency,
            )
        avs, cvc = _card_checks(authorization)
        if status == "CREATED":
            return Authorization(
                reference,
                amount,
                approved=True,
                message=f"Authorized by PayPal on order {token}.",
                avs=avs,
                cvc=cvc,
                expires_at=_expires_at(authorization),
            )
        pending = status == "PENDING"
        reason = _obj(authorization.get("status_details")).get("reason")
        return Authorization(
            reference if pending else None,
            amount,
            approved=False,
            decline_code="pending_review" if pending else status.lower(),
            message=f"PayPal answered {status}" + (f" ({reason})." if reason else "."),
            avs=avs,
            cvc=cvc,
        )

    def capture(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        """Take ``amount`` of what is authorized; the rest stays authorized
        (``final_capture`` false) unless this capture takes all of it.

        Raises: UnknownPayment, ImpossiblePaymentCall (another currency, more than is still
        authorized, voided, expired, denied, a capture PayPal refuses or declines),
        GatewayUnavailable, GatewayMisconfigured.
        """
        request_id = _request_id(idempotency_key)
        state = self._state(reference)
        current = _payment(state)
        _same_currency(current, amount)
        if amount.amount_minor <= 0:
            raise ImpossiblePaymentCall("A capture needs an amount above zero.")
        value = paypal_amount(amount)
        capturable = current.capturable
        open_ = current.status in (
            AuthorizationStatus.AUTHORIZED,
            AuthorizationStatus.PARTIALLY_CAPTURED,
        )
        if open_ and amount.amount_minor <= capturable.amount_minor:
            final = amount.amount_minor == capturable.amount_minor
        elif any(c.amount == amount for c in state.captures):
            final = False  # perhaps the retry of that capture: PayPal answers it under its id
        else:
            raise _cannot_capture(reference, current, amount)
        path = f"/v2/payments/authorizations/{_segment(reference)}/capture"
        body = {"amount": value, "final_capture": final}
        try:
            answer = self._call("POST", path, body, request_id=request_id)
        except _PayPalRefusal as refusal:
            raise _refused(refusal, reference) from None
        capture = _capture(answer)
        if capture.status not in _TAKEN:
            raise ImpossiblePaymentCall(
                f"PayPal did not capture {amount.format()} on {reference}: {capture.status}.",
                capture=capture.id,
                capture_status=capture.status,
            )
        return _payment(state.with_capture(capture, "CAPTURED" if final else "PARTIALLY_CAPTURED"))

    def void(self, reference: str, *, idempotency_key: str) -> GatewayPayment:
        """Release what is authorized and not captured. Voiding what is voided answers its
        state again.

        Raises: UnknownPayment, ImpossiblePaymentCall (fully captured, expired, denied),
        GatewayUnavailable, GatewayMisconfigured.
        """
        request_id = _request_id(idempotency_key)
        state = self._state(reference)
        current = _payment(state)
        if current.status is AuthorizationStatus.VOIDED:
            return current
        if current.status is AuthorizationStatus.CAPTURED:
            raise ImpossiblePaymentCall(f"{reference} is fully captured; refund it instead.")
        if current.status is AuthorizationStatus.EXPIRED:
            raise ImpossiblePaymentCall(f"The authorization {reference} has expired already.")
        if current.status is AuthorizationStatus.DECLINED:
            raise ImpossiblePaymentCall(f"{reference} was denied; there is nothing to void.")
        path = f"/v2/payments/authorizations/{_segment(reference)}/void"
        try:
            self._call("POST", path, None, request_id=request_id)
        except _PayPalRefusal as refusal:
            raise _refused(refusal, reference) from None
        voided = _State({**state.authorization, "status": "VOIDED"}, state.captures, state.refunds)
        return _payment(voided)

    def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> GatewayPayment:
        """Give back ``amount`` of what was captured on the authorization ``reference``,
        refunding its captures newest first (one PayPal refund per capture, each with a
        request id of its own derived from ``idempotency_key``).

        Raises: UnknownPayment, ImpossiblePaymentCall (another currency, more than is
        refundable, a refund PayPal refuses or that failed), GatewayUnavailable,
        GatewayMisconfigured.
        """
        _request_id(idempotency_key)
        state = self._state(reference)
        current = _payment(state)
        _same_currency(current, amount)
        if amount.amount_minor <= 0:
            raise ImpossiblePaymentCall("A refund needs an amount above zero.")
        paypal_amount(amount)
        mark = _refund_mark(idempotency_key)
        plan = _refund_plan(state, amount, mark)
        if plan is None:
            raise ImpossiblePaymentCall(
                f"Cannot refund {amount.format()}: {current.refundable.format()} "
                f"of {reference} is refundable.",
                refundable=current.refundable.amount_minor,
            )
        for capture_id, part in plan:
            path = f"/v2/payments/captures/{_segment(capture_id)}/refund"
            body = {"amount": paypal_amount(part), "custom_id": mark}
            try:
                answer = self._call(
                    "POST",
                    path,
                    body,
                    request_id=_derived_request_id(idempotency_key, "refund", capture_id),
                )
            except _PayPalRefusal as refusal:
                raise _refused(refusal, capture_id) from None
            refund = _refund(answer, capture_id)
            if refund.status not in _GIVEN:
                raise ImpossiblePaymentCall(
                    f"PayPal did not refund {part.format()} of the capture {capture_id}: "
                    f"{refund.status}.",
                    capture=capture_id,
                    refund=refund.id,
                    refund_status=refund.status,
                )
            state = state.with_refund(refund)
        return _payment(state)

    def status(self, reference: str) -> GatewayPayment:
        """What PayPal holds for the authorization ``reference`` now, with its captures and
        refunds.

        Raises: UnknownPayment, GatewayUnavailable, GatewayMisconfigured.
        """
        return _payment(self._state(reference))

    # --- reading PayPal's state -------------------------------------------------------------

    def _state(self, reference: str) -> _State:
        if not reference:
            raise UnknownPayment("No PayPal authorization id was given.", reference=reference)
        try:
            authorization = self._call("GET", f"/v2/payments/authorizations/{_segment(reference)}")
            order_id = _order_id(authorization)
            order = self._call("GET", f"/v2/checkout/orders/{_segment(order_id)}")
        except _PayPalRefusal as refusal:
            raise _refused(refusal, reference) from None
        captures: list[_Capture] = []
        refunds: list[_Refund] = []
        for unit in _list(order.get("purchase_units")):
            payments = _obj(_obj(unit).get("payments"))
            for raw in _list(payments.get("captures")):
                if _parent(raw, "authorizations", "authorization_id") == reference:
                    captures.append(_capture(raw))
            for raw in _list(payments.get("refunds")):
                refunds.append(_refund(raw, _parent(raw, "captures", "capture_id")))
        ids = {c.id for c in captures}
        mine = tuple(r for r in refunds if r.capture_id in ids)
        return _State(authorization, tuple(captures), mine)

    def _void_mismatch(self, reference: str, idempotency_key: str) -> None:
        path = f"/v2/payments/authorizations/{_segment(reference)}/void"
        request_id = _derived_request_id(idempotency_key, "void", reference)
        try:
            self._call("POST", path, None, request_id=request_id)
        except _PayPalRefusal as refusal:
            raise _refused(refusal, reference) from None

    # --- HTTP ---------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        token = self._access_token()
        response = self._send(method, path, body, request_id, token)
        if response.status_code == 401:
            # The token may have been revoked or have expired early: renew it once.
            token = self._access_token(stale=token)
            response = self._send(method, path, body, request_id, token)
        answer = _json(response)
        if response.is_success:
            return answer
        status = response.status_code
        data = {"gateway": self.name, "status": status, "debug_id": answer.get("debug_id")}
        if status in (401, 403):
            raise GatewayMisconfigured(
                f"PayPal refused the credentials ({status}): "
                f"{answer.get('message') or answer.get('error_description') or ''}".strip(),
                **data,
            )
        if status == 404:
            raise _PayPalRefusal(status, answer)
        if status in (409, 429) or status >= 500:
            raise GatewayUnavailable(
                f"PayPal answered {status}; the call may be retried with the same key.", **data
            )
        raise _PayPalRefusal(status, answer)

    def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        request_id: str | None,
        token: str,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        content: str | None = None
        if method == "POST":
            headers["Prefer"] = "return=representation"
            if request_id is not None:
                headers["PayPal-Request-Id"] = request_id
            if body is not None:
                headers["Content-Type"] = "application/json"
                content = json.dumps(body)
        with _network(method, path):
            return self._client.request(method, path, content=content, headers=headers)

    def _access_token(self, *, stale: str | None = None) -> str:
        """A cached OAuth 2.0 token (client credentials), renewed shortly before it expires
        or when ``stale`` (the token PayPal just refused) is still the cached one."""
        with self._token_lock:
            now = clock.now()
            fresh = self._token is not None and now < self._token_renew_at
            if fresh and self._token != stale and self._token is not None:
                return self._token
            with _network("POST", "/v1/oauth2/token"):
                response = self._client.post(
                    "/v1/oauth2/token",
                    auth=self._credentials,
                    content="grant_type=client_credentials",
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/json",
                    },
                )
            answer = _json(response)
            if response.status_code >= 500 or response.status_code == 429:
                raise GatewayUnavailable(
                    f"PayPal answered {response.status_code} to the token request.",
                    gateway=self.name,
                    status=response.status_code,
                )
            token = answer.get("access_token")
            if not response.is_success or not isinstance(token, str):
                why = answer.get("error_description") or answer.get("error") or "no token"
                raise GatewayMisconfigured(
                    f"PayPal refused the client credentials ({response.status_code}): {why}.",
                    gateway=self.name,
                    status=response.status_code,
                )
            lifetime = timedelta(seconds=int(answer.get("expires_in") or 0))
            self._token = token
            self._token_renew_at = now + lifetime - min(TOKEN_MARGIN, lifetime / 2)
            return token


# --- amounts ----------------------------------------------------------------------------------


def paypal_amount(money: Money) -> dict[str, str]:
    """``money`` as PayPal's amount object: a decimal string with the currency's decimals as
    PayPal counts them ("12.34" EUR, "1200" JPY). Raises: ImpossiblePaymentCall (fractions
    PayPal does not count, e.g. 1234.50 HUF)."""
    places = decimals(money.currency)
    if money.currency not in PAYPAL_WHOLE_UNITS or places == 0:
        return {"currency_code": money.currency, "value": money.amount_str()}
    step = 10**places
    if money.amount_minor % step:
        raise ImpossiblePaymentCall(
            f"PayPal takes whole {money.currency} amounts only; {money.amount_str()} is not.",
            currency=money.currency,
        )
    return {"currency_code": money.currency, "value": str(money.amount_minor // step)}


def _money(value: Any) -> Money:
    amount = _obj(value)
    try:
        return Money.parse(str(amount.get("value")), str(amount.get("currency_code")))
    except ValidationFailed as e:
        raise GatewayUnavailable(
            f"PayPal answered an amount that cannot be read: {amount}.", gateway="paypal"
        ) from e


# --- reading PayPal's answers ------------------------------------------------------------------


def _payment(state: _State) -> GatewayPayment:
    authorization = state.authorization
    authorized = state.authorized
    captured = state.captured()
    expires_at = _expires_at(authorization)
    everything = captured.amount_minor >= authorized.amount_minor
    raw = str(authorization.get("status"))
    status: AuthorizationStatus
    if raw == "DENIED":
        status = AuthorizationStatus.DECLINED
    elif raw == "VOIDED":
        status = AuthorizationStatus.VOIDED
    elif raw == "EXPIRED":
        status = AuthorizationStatus.EXPIRED
    elif raw == "CAPTURED":
        # A final capture of less than the whole released the rest.
        status = AuthorizationStatus.CAPTURED if everything else AuthorizationStatus.VOIDED
    elif everything:
        status = AuthorizationStatus.CAPTURED
    elif clock.now() >= expires_at:
        status = AuthorizationStatus.EXPIRED
    elif captured.amount_minor > 0:
        status = AuthorizationStatus.PARTIALLY_CAPTURED
    else:
        status = AuthorizationStatus.AUTHORIZED  # CREATED, or PENDING review
    return GatewayPayment(
        reference=state.id,
        status=status,
        authorized=authorized,
        captured=captured,
        refunded=state.refunded(),
        expires_at=expires_at,
    )


def _refund_plan(state: _State, amount: Money, mark: str) -> list[tuple[str, Money]] | None:
    """Which capture gives back how much: first what this key's earlier attempt refunded
    already (marked ``mark``: its requests are answered again, never repeated), then the
    rest from the newest capture back. None when the captures cannot give ``amount``."""
    zero = Money(0, amount.currency)
    plan: list[tuple[str, Money]] = []
    left = amount
    done: set[str] = set()
    for capture in state.captures:
        earlier = sum(
            (r.amount for r in state.refunds if r.capture_id == capture.id and r.custom_id == mark),
            zero,
        )
        if earlier.amount_minor > 0:
            part = earlier if earlier.amount_minor <= left.amount_minor else left
            plan.append((capture.id, part))
            left -= part
            done.add(capture.id)
    newest_first = sorted(
        enumerate(state.captures), key=lambda ic: (ic[1].created, ic[0]), reverse=True
    )
    for _, capture in newest_first:
        if left.amount_minor == 0:
            break
        if capture.id in done or capture.status not in _REFUNDABLE:
            continue
        available = capture.amount - state.refunded(capture.id)
        if available.amount_minor <= 0:
            continue
        part = available if available.amount_minor <= left.amount_minor else left
        plan.append((capture.id, part))
        left -= part
    return plan if left.amount_minor == 0 else None


def _latest_authorization(order: Mapping[str, Any]) -> dict[str, Any] | None:
    found: list[dict[str, Any]] = []
    for unit in _list(order.get("purchase_units")):
        payments = _obj(_obj(unit).get("payments"))
        found.extend(_obj(a) for a in _list(payments.get("authorizations")) if _obj(a))
    return found[-1] if found else None


def _capture(raw: Any) -> _Capture:
    capture = _obj(raw)
    return _Capture(
        id=str(capture.get("id")),
        status=str(capture.get("status")),
        amount=_money(capture.get("amount")),
        created=str(capture.get("create_time") or ""),
    )


def _refund(raw: Any, capture_id: str) -> _Refund:
    refund = _obj(raw)
    return _Refund(
        id=str(refund.get("id")),
        status=str(refund.get("status")),
        amount=_money(refund.get("amount")),
        capture_id=capture_id,
        custom_id=str(refund.get("custom_id") or ""),
    )


def _order_id(authorization: Mapping[str, Any]) -> str:
    related = _obj(_obj(authorization.get("supplementary_data")).get("related_ids"))
    if related.get("order_id"):
        return str(related["order_id"])
    for link in _list(authorization.get("links")):
        href = str(_obj(link).get("href") or "")
        if _obj(link).get("rel") == "up" and "/checkout/orders/" in href:
            return href.rstrip("/").rsplit("/", 1)[-1]
    raise GatewayUnavailable(
        f"PayPal answered the authorization {authorization.get('id')} without its order.",
        gateway="paypal",
    )


def _parent(raw: Any, collection: str, related_key: str) -> str:
    """The id of what ``raw`` (a capture or refund) was made from: its ``up`` link, else
    ``supplementary_data.related_ids``."""
    item = _obj(raw)
    for link in _list(item.get("links")):
        href = str(_obj(link).get("href") or "")
        if _obj(link).get("rel") == "up" and f"/{collection}/" in href:
            return href.rstrip("/").rsplit("/", 1)[-1]
    related = _obj(_obj(item.get("supplementary_data")).get("related_ids"))
    return str(related.get(related_key) or "")


def _expires_at(authorization: Mapping[str, Any]) -> datetime:
    for field in ("expiration_time", "create_time"):
        value = authorization.get(field)
        if isinstance(value, str) and value:
            moment = clock.as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
            if field == "expiration_time":
                return moment
            return moment + timedelta(days=AUTHORIZATION_DAYS)
    return clock.now() + timedelta(days=AUTHORIZATION_DAYS)


def _card_checks(authorization: Mapping[str, Any]) -> tuple[CheckResult, CheckResult]:
    response = _obj(authorization.get("processor_response"))
    avs_code = str(response.get("avs_code") or "")
    avs = (
        CheckResult.PASS
        if avs_code in _AVS_PASS
        else CheckResult.FAIL
        if avs_code in _AVS_FAIL
        else CheckResult.UNAVAILABLE
    )
    cvc = _CVV.get(str(response.get("cvv_code") or ""), CheckResult.UNAVAILABLE)
    return avs, cvc


def _cannot_capture(reference: str, current: GatewayPayment, amount: Money) -> OmsError:
    if current.status is AuthorizationStatus.VOIDED:
        return ImpossiblePaymentCall(f"{reference} was voided; nothing can be captured.")
    if current.status is AuthorizationStatus.EXPIRED:
        return ImpossiblePaymentCall(f"The authorization {reference} has expired.")
    if current.status is AuthorizationStatus.DECLINED:
        return ImpossiblePaymentCall(f"{reference} was denied; nothing can be captured.")
    return ImpossiblePaymentCall(
        f"Cannot capture {amount.format()}: {current.capturable.format()} is still authorized "
        f"on {reference}.",
        capturable=current.capturable.amount_minor,
    )


def _refused(refusal: _PayPalRefusal, reference: str) -> OmsError:
    if refusal.status == 404:
        return UnknownPayment(f"PayPal has no {reference}: {refusal.message}", reference=reference)
    return ImpossiblePaymentCall(
        f"PayPal refused the call on {reference}: {refusal.message}",
        reference=reference,
        issues=refusal.issues,
        debug_id=refusal.body.get("debug_id"),
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
            f"PayPal could not be reached ({type(e).__name__}) for {method} {path}; "
            "the call may be retried with the same key.",
            gateway="paypal",
        ) from e


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 204 or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if response.is_success or response.status_code >= 500:
        raise GatewayUnavailable(
            f"PayPal answered {response.status_code} with a body that is not a JSON object.",
            gateway="paypal",
            status=response.status_code,
        )
    return {}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _request_id(idempotency_key: str) -> str:
    if not idempotency_key:
        raise ImpossiblePaymentCall("Every gateway call needs an idempotency key.")
    if len(idempotency_key) <= _MAX_REQUEST_ID and idempotency_key.isascii():
        return idempotency_key
    return "oms-" + hashlib.sha256(idempotency_key.encode()).hexdigest()


def _derived_request_id(idempotency_key: str, action: str, target: str) -> str:
    """The request id of one of several requests made for one call: the same key, action
    and target always give the same id."""
    digest = hashlib.sha256(f"{idempotency_key}\x1f{action}\x1f{target}".encode()).hexdigest()
    return f"oms-{action}-{digest[:48]}"


def _refund_mark(idempotency_key: str) -> str:
    """What marks the refunds made for one refund call (their ``custom_id``)."""
    return "oms-" + hashlib.sha256(f"refund\x1f{idempotency_key}".encode()).hexdigest()[:40]


def _segment(reference: str) -> str:
    return quote(reference, safe="")
