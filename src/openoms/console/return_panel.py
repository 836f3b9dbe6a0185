"""What the order page shows of returns: the order's returns, whether something can still
come back (and until when, or why not), and the customer's signed link to start a return.

Only reading and presenting: the returns service decides what is returnable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import Request

from openoms.console.pages import user_of
from openoms.identity.model import Permission as P
from openoms.orders.model import Order
from openoms.returns import services as svc


@dataclass(frozen=True)
class ReturnsPanel:
    returns: list[svc.Return]
    returnable_units: int  # what can still be returned now (0: nothing, or not open)
    deadline: date | None
    why_not: str  # the return window is not open: why
    can_start: bool  # the user may open a return, and something is returnable
    return_link: str  # the customer's page to start a return


def returns_panel(request: Request, order: Order) -> ReturnsPanel | None:
    """None for users who may not see returns."""
    me = user_of(request)
    if not me.can(P.RETURNS_VIEW):
        return None
    db = request.app.state.db
    with db.reader() as uow:
        found = svc.returns_of_order(uow, order.id)
    can = svc.returnable(db.reader(), order.number)
    units = sum(ln.returnable for ln in can.lines) if can.open else 0
    return ReturnsPanel(
        found,
        units,
        can.deadline,
        can.why_not,
        me.can(P.RETURNS_MANAGE) and can.any_returnable,
        request.app.state.links.return_url(order.number),
    )
