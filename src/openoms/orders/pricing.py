"""Order totals, computed by the server: exact integers in minor units, rounded half-up.

Order-level discounts are spread over the lines in proportion to their amounts (largest
remainder, so the parts add up exactly). Tax is computed per line and on shipping, either
extracted from tax-inclusive prices or added to tax-exclusive ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from openoms.shared.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class PriceLine:
    unit_price: int
    quantity: int
    discount: int = 0


@dataclass(frozen=True)
class LineTotals:
    gross: int  # unit price x quantity
    discount: int  # the line's own discount plus its share of the order discount
    tax: int
    total: int  # what the customer pays for the line, tax included


@dataclass(frozen=True)
class Totals:
    lines: list[LineTotals]
    subtotal: int
    discount: int
    shipping: int  # as charged, tax included when prices include tax
    shipping_tax: int
    tax: int
    total: int


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def spread(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` over ``weights`` proportionally; the parts sum to ``amount`` exactly."""
    total = sum(weights)
    if amount == 0 or total == 0:
        return [0] * len(weights)
    exact = [Decimal(amount) * w / total for w in weights]
    parts = [int(x) for x in exact]  # floor for non-negative amounts
    remainders = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in remainders[: amount - sum(parts)]:
        parts[i] += 1
    return parts


def _tax(amount: int, rate: Decimal, included: bool) -> int:
    if included:
        return _round(Decimal(amount) * rate / (1 + rate))
    return _round(Decimal(amount) * rate)


def compute(
    lines: list[PriceLine],
    *,
    order_discount: int = 0,
    shipping: int = 0,
    tax_rate: Decimal = Decimal(0),
    prices_include_tax: bool = True,
) -> Totals:
    """Raises: ValidationFailed when a discount exceeds what it discounts."""
    errors = [
        FieldError(f"lines[{i}].discount", "cannot exceed the line amount")
        for i, ln in enumerate(lines)
        if ln.discount > ln.unit_price * ln.quantity
    ]
    nets = [ln.unit_price * ln.quantity - ln.discount for ln in lines]
    if order_discount > sum(max(0, n) for n in nets):
        errors.append(FieldError("discount", "cannot exceed the order amount"))
    if errors:
        raise ValidationFailed(errors)
    shares = spread(order_discount, nets)
    out = []
    for ln, net, share in zip(lines, nets, shares, strict=True):
        taxable = net - share
        tax = _tax(taxable, tax_rate, prices_include_tax)
        total = taxable if prices_include_tax else taxable + tax
        out.append(LineTotals(ln.unit_price * ln.quantity, ln.discount + share, tax, total))
    shipping_tax = _tax(shipping, tax_rate, prices_include_tax)
    shipping_total = shipping if prices_include_tax else shipping + shipping_tax
    return Totals(
        lines=out,
        subtotal=sum(x.gross for x in out),
        discount=sum(x.discount for x in out),
        shipping=shipping,
        shipping_tax=shipping_tax,
        tax=sum(x.tax for x in out) + shipping_tax,
        total=sum(x.total for x in out) + shipping_total,
    )
