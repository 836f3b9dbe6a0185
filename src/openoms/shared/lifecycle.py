"""Declared state machines: one transition table per aggregate, one way to check a move."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from openoms.shared.errors import Conflict

S = TypeVar("S", bound=StrEnum)


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Not allowed in the current state"


def check_transition(
    table: Mapping[S, frozenset[S]],
    what: str,
    current: S,
    target: S,
    error: type[IllegalTransition] = IllegalTransition,
) -> None:
    """Refuse a move the table does not declare: "Order SO-1 is shipped and cannot become
    cancelled." Raises: ``error`` (an IllegalTransition)."""
    if target not in table[current]:
        raise error(
            f"{what} is {current.value} and cannot become {target.value}.",
            current=current.value,
            target=target.value,
        )
