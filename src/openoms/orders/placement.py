"""Placing an order from any channel: one transaction that prices, sources and reserves.

The order is priced by the server (tax by destination, rounding per currency), its customer
matched by email or created, its lines sourced to the best location(s) by the channel's
policy and reserved there, and it is written with its timeline and an ``order.created``
event. A channel that sends the same (channel, external id) twice gets the first order back.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError, OperationalError

from openoms.accounting import services as accounting
from openoms.accounting.model import FxRateMissing, to_base
from openoms.catalog import services as catalog
from openoms.catalog.model import SkuNotFound
from openoms.channels import services as channels
from openoms.channels.model import Channel
from openoms.customers import services as customers
from openoms.customers.model import PostalAddress, check_email
from openoms.infra.db import Read, UnitOfWork, read_at_once
from openoms.infra.settings import get_settings
from openoms.inventory.model import OwnerType
from openoms.inventory.services import reservations as inventory
from openoms.orders import allocation, pricing, writer
from openoms.orders.model import (
    Allocation,
    CurrencyNotSold,
    InactiveSku,
    Order,
    SpecialCode,
)
from openoms.orders.numbering import OrderNumber
from openoms.orders.queries import find_by_external_id
from openoms.shared.errors import FieldError, OmsError, ValidationFailed
from openoms.shared.money import Money, validate_currency

ATTEMPTS = 10  # re-plan when a concurrent order took the planned stock


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    unit_price: int | None = None  # minor units; None: the catalog price in the currency
    discount: int = 0


@dataclass
class OrderInput:
    channel: str
    email: str
    currency: str
    lines: list[LineInput]
    billing_address: PostalAddress
    shipping_address: PostalAddress | None = None
    pickup_location: str | None = None
    external_id: str | None = None
    customer_name: str = ""
    locale: str = "en"
    marketing_consent: bool = False
    discount: int = 0
    shipping_amount: int = 0
    shipping_service: str | None = None
    sales_rep: str | None = None
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    special_codes: list[SpecialCode] = field(default_factory=list)
    # A cart's reservations (owner type, reference) that the order takes over.
    reservations_from: tuple[OwnerType, str] | None = None


@dataclass(frozen=True)
class NewOrderFacts:
    """What another domain may know of an order about to be placed, before anything of it
    is read or written."""

    channel: str
    email: str  # as stored: trimmed, lower case


class OnPlacement(Protocol):
    """Work another domain does on a new order inside its placement's transaction (fraud
    screening).

    ``read_first`` may give a read to run with the placement's first reads (in the same
    statement on PostgreSQL, one round trip less): it sees the database as it was before
    the order, so neither the order nor anything written with it. Then the hook is called
    with the order as it will be written (its id is known, its customer matched) and that
    read (run), before anything of the order is written: what the hook queues
    (``UnitOfWork.insert_later``) is written with the order, before its stock is locked,
    so it adds no time to the stock rows' locks. On PostgreSQL the order's number is still
    provisional then.
    """

    def read_first(self, uow: UnitOfWork, order: NewOrderFacts) -> Read[Any] | None: ...

    def __call__(self, uow: UnitOfWork, order: Order, read: Read[Any] | None) -> object: ...


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool  # False when the channel had sent this order before
    checked: object = None  # what ``on_placement`` returned (None when not created)


def place_order(
    uow: UnitOfWork, data: OrderInput, *, actor: str, on_placement: OnPlacement | None = None
) -> Placed:
    """Capture an order: price it, source it, reserve its stock, record it.

    Raises: ValidationFailed, ChannelNotFound, ChannelInactive, CurrencyNotSold,
    SkuNotFound, InactiveSku, LocationNotFound (pickup store), OrderNotSourceable.
    """
    _check(data)
    for attempt in range(ATTEMPTS):
        try:
            order, checked = _place(uow, data, actor, on_placement)
            return Placed(order, created=True, checked=checked)
        except (inventory.StockMoved, OperationalError) as e:
            # Someone else's order took the planned units first (theirs went through), or
            # PostgreSQL broke a lock cycle: plan again on fresh stock after a short pause.
            if isinstance(e, OperationalError) and not _retryable(e):
                raise
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        except (IntegrityError, OmsError):
            # A channel that sends an order again gets the first one back, even when this
            # attempt failed (the stock is gone now, or another request won the race).
            existing = _existing(uow, data)
            if existing is None:
                raise
            return Placed(existing, created=False)
    raise AssertionError("unreachable")


def _retryable(error: OperationalError) -> bool:
    code = getattr(error.orig, "sqlstate", None)
    return code in ("40P01", "40001")  # deadlock detected, serialization failure


def _existing(uow: UnitOfWork, data: OrderInput) -> Order | None:
    if data.external_id is None:
        return None
    with uow:
        channel = channels.get_in_transaction(uow, data.channel)
        return find_by_external_id(uow, channel.id, data.external_id)


def _place(
    uow: UnitOfWork, data: OrderInput, actor: str, on_placement: OnPlacement | None
) -> tuple[Order, object]:
    # On PostgreSQL the reads run before any BEGIN, and the hold's statement, which also
    # writes the order, is the one write: it commits by itself (one round trip for all of
    # it). An order from a cart, a new customer or one with nothing to hold writes more,
    # and is then an ordinary transaction from its first write on.
    with uow.begin_at_first_write():
        first = _FirstReads(uow, data, on_placement)
        channel, priced, rate, totals = _price(uow, data, first.prices.value())
        customer_id = customers.match_or_create(
            uow,
            data.email,
            name=data.customer_name or data.billing_address.name,
            locale=data.locale,
            marketing_consent=data.marketing_consent,
            found=first.customer,
        )
        wanted = [allocation.Wanted(i + 1, ln.sku, ln.quantity) for i, ln in enumerate(data.lines)]
        stock = first.stock.value() if first.stock is not None else None
        expected, planned = _plan(uow, channel, data, wanted, stock)
        new = writer.NewOrder(
            channel=channel,
            data=data,
            customer_id=customer_id,
            priced=priced,
            totals=totals,
            tax_rate=rate,
            planned=planned,
            base=_base_total(uow, data.currency, totals.total),
        )
        number = OrderNumber(uow.conn)
        # The one statement that holds the stock, commits by itself, and numbers the order
        # after its locks: the order row is then written by it alone, with its number.
        numbered_there = (
            number.at_commit
            and bool(planned.holds)
            and data.reservations_from is None
            and uow.last_commits()
        )
        written = writer.write_order(
            uow,
            new,
            number.provisional,
            actor=actor,
            order_id=first.order_id(),
            queue_order=not numbered_there,
        )
        checked = None
        if on_placement is not None:
            order = writer.as_order(written, number.provisional, new, [])
            checked = on_placement(uow, order, first.placement)
        if numbered_there and not uow.last_commits():  # the hook wrote: BEGIN was sent
            writer.queue_order_row(uow, written)  # numbered at COMMIT by the trigger
            numbered_there = False
        owner = allocation.stock_owner(written.order_id)
        taken: list[Allocation] = []
        if expected is not None and data.reservations_from is not None:
            uow.write_pending()  # the order, the audit entry, ...: before the stock locks
            taken = allocation.adopt(uow, data.reservations_from, owner, wanted, expected, actor)
        # Else they ride on the hold's statement (on PostgreSQL), written before its locks:
        # the order itself, its lines and timeline, its screening, the audit entry.
        pending = uow.pending_first(last=number.at_commit) if planned.holds else None
        if numbered_there:
            assert pending is not None
            assert pending.commits
            pending = number.taken_by(pending, writer.order_row(written), writer.created(new))
        taken += allocation.reserve(uow, planned, owner, actor=actor, first=pending)
        if not number.at_commit:  # else the commit writes the event, with the number
            writer.record_created(uow, new, number.provisional)
        uow.commit()
        final = number.final(uow.conn, written.order_id)
    return writer.as_order(written, final, new, taken), checked


class _FirstReads:
    """What placing an order reads before it writes, none depending on another: the SKUs'
    prices, the customer known by the email, the SKUs' stock for sourcing, what the
    ``on_placement`` hook reads first and, on PostgreSQL, the order's id (taken from its
    sequence, so that the order's rows can be written by the statement that holds its
    stock). One round trip on PostgreSQL (``infra.db.read_at_once``). Not the stock for an
    order from a cart: its reservations may cover every unit, and sourcing then reads
    nothing; what they leave is read when it is sourced."""

    def __init__(self, uow: UnitOfWork, data: OrderInput, on_placement: OnPlacement | None) -> None:
        skus = [ln.sku for ln in data.lines]
        self.prices = catalog.priced_skus_read(skus, data.currency)
        self.customer = customers.customer_by_email_read(uow, data.email)
        reads: list[Read[Any]] = [self.prices, self.customer]
        self.stock = None
        if data.reservations_from is None:
            self.stock = inventory.stock_for_sourcing_read(uow, sorted(set(skus)))
            reads.append(self.stock)
        self.placement = None
        if on_placement is not None:
            facts = NewOrderFacts(data.channel, writer.stored_email(data.email))
            self.placement = on_placement.read_first(uow, facts)
            if self.placement is not None:
                reads.append(self.placement)
        self._order_id = writer.next_order_id_read(uow)
        if self._order_id is not None:
            reads.append(self._order_id)
        read_at_once(uow.conn, reads)

    def order_id(self) -> int | None:
        """The new order's id, taken already (PostgreSQL); None: the insert takes one."""
        return None if self._order_id is None else self._order_id.value()


@dataclass(frozen=True)
class Quote:
    """What an order would cost, priced exactly as placing it would."""

    lines: list[tuple[LineInput, int, catalog.PricedSku]]
    totals: pricing.Totals
    tax_rate: Decimal
    prices_include_tax: bool


def quote_order(uow: UnitOfWork, data: OrderInput) -> Quote:
    """Price an order without placing it or reserving anything: for a form that shows the
    totals as they are typed.

    Raises: ChannelNotFound, ChannelInactive, CurrencyNotSold, SkuNotFound, InactiveSku,
    ValidationFailed.
    """
    with uow:
        channel, priced, rate, totals = _price(uow, data)
    return Quote(priced, totals, rate, channel.spec.prices_include_tax)


PricedLines = list[tuple[LineInput, int, catalog.PricedSku]]


def _price(
    uow: UnitOfWork, data: OrderInput, found: dict[str, catalog.PricedSku] | None = None
) -> tuple[Channel, PricedLines, Decimal, pricing.Totals]:
    """``found``: the lines' SKUs as ``catalog.priced_skus`` gives them, read already."""
    channel = channels.active_channel(uow, data.channel)
    if not channel.sells_in(data.currency):
        raise CurrencyNotSold(
            f"Channel {channel.code} sells in {', '.join(channel.spec.currencies)}, "
            f"not {data.currency}.",
            currency=data.currency,
        )
    if found is None:
        found = catalog.priced_skus(uow, [ln.sku for ln in data.lines], data.currency)
    priced = _priced_lines(data, found)
    destination = data.shipping_address or data.billing_address
    rate = accounting.tax_rate_for(uow, destination.country, destination.region)
    totals = pricing.compute(
        [pricing.PriceLine(price, ln.quantity, ln.discount) for ln, price, _ in priced],
        order_discount=data.discount,
        shipping=data.shipping_amount,
        tax_rate=rate,
        prices_include_tax=channel.spec.prices_include_tax,
    )
    return channel, priced, rate, totals


def _plan(
    uow: UnitOfWork,
    channel: Channel,
    data: OrderInput,
    wanted: list[allocation.Wanted],
    stock: list[inventory.SourcingRow] | None,
) -> tuple[allocation.Expected | None, allocation.Planned]:
    """What the cart's reservations will cover, if the order comes from one, and where the
    rest ships from."""
    expected = None
    if data.reservations_from is not None:
        expected = allocation.expect_adoption(uow, data.reservations_from, wanted)
        wanted = expected.rest
    if wanted:
        where = allocation.Destination(
            data.shipping_address or data.billing_address, data.pickup_location
        )
        planned = allocation.plan(uow, channel, wanted, where, stock)
    else:
        planned = allocation.Planned(explanation=["Every unit was already reserved in the cart."])
    if expected is not None and expected.per_line:
        units = sum(expected.per_line.values())
        planned.explanation.insert(
            0, f"{units} unit{'s' if units != 1 else ''} kept from the cart's reservations."
        )
        planned.adopted = dict(expected.per_line)
    return expected, planned


def _check(data: OrderInput) -> None:
    errors = input_errors(data)
    if errors:
        raise ValidationFailed(errors)


def input_errors(data: OrderInput) -> list[FieldError]:
    """Every rule the order's own fields break, each with its field path."""
    errors = check_email(data.email, "email")
    try:
        validate_currency(data.currency)
    except ValidationFailed as e:
        errors += e.errors
    if not data.lines:
        errors.append(FieldError("lines", "an order needs at least one line"))
    for i, ln in enumerate(data.lines):
        if ln.quantity <= 0:
            errors.append(FieldError(f"lines[{i}].quantity", "must be greater than zero"))
        if ln.unit_price is not None and ln.unit_price < 0:
            errors.append(FieldError(f"lines[{i}].unit_price", "cannot be negative"))
        if ln.discount < 0:
            errors.append(FieldError(f"lines[{i}].discount", "cannot be negative"))
    if data.discount < 0:
        errors.append(FieldError("discount", "cannot be negative"))
    if data.shipping_amount < 0:
        errors.append(FieldError("shipping_amount", "cannot be negative"))
    errors += data.billing_address.check("billing_address")
    if data.shipping_address is not None:
        errors += data.shipping_address.check("shipping_address")
    elif data.pickup_location is None:
        errors.append(FieldError("shipping_address", "give a shipping address or a pickup store"))
    return errors


def _priced_lines(
    data: OrderInput, found: dict[str, catalog.PricedSku]
) -> list[tuple[LineInput, int, catalog.PricedSku]]:
    missing = sorted({ln.sku for ln in data.lines if ln.sku not in found})
    if missing:
        raise SkuNotFound(f"Unknown SKU: {', '.join(missing)}.", skus=missing)
    inactive = sorted({ln.sku for ln in data.lines if not found[ln.sku].is_active})
    if inactive:
        raise InactiveSku(f"No longer sold: {', '.join(inactive)}.", skus=inactive)
    out, errors = [], []
    for i, ln in enumerate(data.lines):
        price = ln.unit_price if ln.unit_price is not None else found[ln.sku].price
        if price is None:
            errors.append(
                FieldError(
                    f"lines[{i}].unit_price", f"{ln.sku} has no {data.currency} price; give one"
                )
            )
            continue
        out.append((ln, price, found[ln.sku]))
    if errors:
        raise ValidationFailed(errors)
    return out


def _base_total(uow: UnitOfWork, currency: str, total: int) -> tuple[int | None, Decimal | None]:
    base = get_settings().base_currency
    try:
        rate = accounting.fx_rate_for(uow, currency, base)
    except FxRateMissing:
        return None, None  # reported once a rate is set; never a reason to refuse an order
    return to_base(Money(total, currency), base, rate).amount_minor, rate
