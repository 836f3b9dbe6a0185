"""Returns (RMA): the return's declared state machine, the channel's return policy, and the
money rules of a refund. Pure: no framework, no database.

A return names delivered units of one order. It is requested (by the customer through a
signed link, or by staff), approved or rejected, travels back (a return label, or carried
into a store), is received at a location that accepts returns, inspected line by line
(restocked or written off), and resolved: refunded to the original payment, paid out as
store credit, or exchanged for a replacement order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from openoms.shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from openoms.shared.lifecycle import IllegalTransition, check_transition


class ReturnStatus(StrEnum):
    REQUESTED = "requested"  # waiting for staff to approve or reject
    APPROVED = "approved"  # the customer may send it back (label) or bring it to a store
    REJECTED = "rejected"
    IN_TRANSIT = "in_transit"  # the carrier has the parcel
    RECEIVED = "received"  # at a location, waiting for inspection
    INSPECTED = "inspected"  # each unit restocked or written off; waiting for resolution
    REFUNDED = "refunded"  # money back to the original payment or as store credit
    EXCHANGED = "exchanged"  # a replacement order was placed
    CLOSED = "closed"  # nothing more to do (no refund due, or withdrawn)


R = ReturnStatus
RETURN_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUESTED: frozenset({R.APPROVED, R.REJECTED, R.CLOSED}),
    R.APPROVED: frozenset({R.IN_TRANSIT, R.RECEIVED, R.CLOSED}),
    R.IN_TRANSIT: frozenset({R.RECEIVED, R.CLOSED}),
    R.RECEIVED: frozenset({R.INSPECTED}),
    R.INSPECTED: frozenset({R.REFUNDED, R.EXCHANGED, R.CLOSED}),
    R.REJECTED: frozenset(),
    R.REFUNDED: frozenset(),
    R.EXCHANGED: frozenset(),
    R.CLOSED: frozenset(),
}
OPEN = frozenset({R.REQUESTED, R.APPROVED, R.IN_TRANSIT, R.RECEIVED, R.INSPECTED})


class ReturnReason(StrEnum):
    DAMAGED = "damaged"  # arrived damaged
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    ARRIVED_LATE = "arrived_late"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    CHANGED_MIND = "changed_mind"
    BETTER_PRICE = "better_price"
    OTHER = "other"

    @property
    def merchant_at_fault(self) -> bool:
        """The merchant's mistake: no restocking fee, return shipping on the merchant."""
        return self in MERCHANT_FAULT

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


MERCHANT_FAULT = frozenset(
    {
        ReturnReason.DAMAGED,
        ReturnReason.DEFECTIVE,
        ReturnReason.WRONG_ITEM,
        ReturnReason.NOT_AS_DESCRIBED,
        ReturnReason.ARRIVED_LATE,
    }
)
REASON_LABELS = {
    ReturnReason.DAMAGED: "Arrived damaged",
    ReturnReason.DEFECTIVE: "Does not work",
    ReturnReason.WRONG_ITEM: "Wrong item sent",
    ReturnReason.NOT_AS_DESCRIBED: "Not as described",
    ReturnReason.ARRIVED_LATE: "Arrived too late",
    ReturnReason.TOO_SMALL: "Too small",
    ReturnReason.TOO_LARGE: "Too large",
    ReturnReason.CHANGED_MIND: "Changed my mind",
    ReturnReason.BETTER_PRICE: "Found a better price",
    ReturnReason.OTHER: "Other",
}


class ReturnMethod(StrEnum):
    SHIP_BACK = "ship_back"  # with a return label
    IN_STORE = "in_store"  # carried into a location that accepts returns


class Payer(StrEnum):
    MERCHANT = "merchant"
    CUSTOMER = "customer"


class Resolution(StrEnum):
    REFUND = "refund"  # to the original payment
    STORE_CREDIT = "store_credit"  # a gift card for the customer
    EXCHANGE = "exchange"  # a replacement order


class Disposition(StrEnum):
    RESTOCK = "restock"  # back on hand where it was received (ledger ``return``)
    WRITE_OFF = "write_off"  # not sellable: kept out of stock, with a reason


# --- policy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnPolicy:
    """A channel's rules. The default: 30 days, every reason, the merchant pays return
    shipping, no restocking fee, exchanges allowed."""

    window_days: int = 30
    reasons: tuple[ReturnReason, ...] = tuple(ReturnReason)
    shipping_paid_by: Payer = Payer.MERCHANT
    restocking_fee_percent: Decimal = Decimal(0)
    exchanges: bool = True
    return_service: str | None = None  # the carrier service of return labels (None: cheapest)

    def errors(self) -> list[FieldError]:
        out = []
        if not 0 <= self.window_days <= 365:
            out.append(FieldError("window_days", "must be between 0 and 365 days"))
        if not self.reasons:
            out.append(FieldError("reasons", "allow at least one reason"))
        if len(set(self.reasons)) != len(self.reasons):
            out.append(FieldError("reasons", "names a reason twice"))
        pct = self.restocking_fee_percent
        if not (Decimal(0) <= pct <= Decimal(100)) or pct.as_tuple().exponent < -2:  # type: ignore[operator]
            out.append(
                FieldError("restocking_fee_percent", "must be 0 to 100 with at most 2 decimals")
            )
        return out

    def check(self) -> None:
        """Raises: ValidationFailed."""
        found = self.errors()
        if found:
            raise ValidationFailed(found)

    def deadline(self, delivered_on: date) -> date:
        """The last day a return can be requested."""
        return delivered_on + timedelta(days=self.window_days)


# --- money ------------------------------------------------------------------------------


def value_of_units(line_total: int, line_quantity: int, before: int, units: int) -> int:
    """What ``units`` of a line are worth when ``before`` units of it were credited already:
    the line's total spread over its units so that all of them together give back exactly
    the line's total, however many returns they come in."""
    if line_quantity <= 0:
        return 0
    return line_total * (before + units) // line_quantity - line_total * before // line_quantity


@dataclass(frozen=True)
class CreditLine:
    sku: str
    units: int
    value: int  # minor units, tax included, after discounts
    reason: ReturnReason


@dataclass(frozen=True)
class RefundQuote:
    items: int
    restocking_fee: int
    return_shipping: int  # deducted: the customer pays for the label
    original_shipping: int  # given back: the merchant's fault and everything came back
    total: int
    explanation: tuple[str, ...] = field(default_factory=tuple)


def refund_quote(
    lines: list[CreditLine],
    policy: ReturnPolicy,
    *,
    label_cost: int,
    original_shipping: int,
    everything_returned: bool,
    fmt: object = str,
) -> RefundQuote:
    """What a return gives back by the channel's rules:

    - the items at what the customer paid for them (tax included, after discounts);
    - less the restocking fee on units returned for the customer's own reasons;
    - less the return label when the customer pays return shipping and no unit came back
      for the merchant's fault;
    - plus the order's shipping when everything came back and at least one unit for the
      merchant's fault.

    Never below zero. ``fmt`` formats amounts in the explanation.
    """
    show = fmt if callable(fmt) else str
    items = sum(ln.value for ln in lines)
    fault = any(ln.reason.merchant_at_fault for ln in lines)
    notes: list[str] = [f"Items: {show(items)}"]
    pct = policy.restocking_fee_percent
    fee = 0
    if pct > 0:
        base = sum(ln.value for ln in lines if not ln.reason.merchant_at_fault)
        fee = int((Decimal(base) * pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if fee:
            notes.append(f"Restocking fee {pct}% on items returned by choice: -{show(fee)}")
    shipping = 0
    if label_cost and policy.shipping_paid_by is Payer.CUSTOMER and not fault:
        shipping = label_cost
        notes.append(f"Return label, paid by the customer: -{show(shipping)}")
    given_shipping = original_shipping if (fault and everything_returned) else 0
    if given_shipping:
        notes.append(
            f"Original shipping (our mistake, everything returned): {show(given_shipping)}"
        )
    total = max(items - fee - shipping + given_shipping, 0)
    notes.append(f"Refund: {show(total)}")
    return RefundQuote(items, fee, shipping, given_shipping, total, tuple(notes))


# --- errors -----------------------------------------------------------------------------


class ReturnNotFound(NotFound):
    code = "return_not_found"
    title = "Return not found"


class IllegalReturnTransition(IllegalTransition):
    code = "illegal_return_transition"
    title = "Return cannot move to that status"


class NotReturnable(Conflict):
    """The order, or the units asked for, cannot be returned (not delivered, more than was
    delivered, outside the window, a reason the channel does not accept)."""

    code = "not_returnable"
    title = "Not returnable"


class ReturnNotAccepted(Conflict):
    code = "location_not_accepting_returns"
    title = "Location does not accept returns"


class RefundNotPossible(Conflict):
    code = "refund_not_possible"
    title = "Refund not possible"


def check_return_transition(number: str, current: ReturnStatus, target: ReturnStatus) -> None:
    """Raises: IllegalReturnTransition."""
    check_transition(
        RETURN_TRANSITIONS, f"Return {number}", current, target, IllegalReturnTransition
    )


def within_window(policy: ReturnPolicy, delivered_at: datetime, today: date) -> bool:
    return today <= policy.deadline(delivered_at.date())
