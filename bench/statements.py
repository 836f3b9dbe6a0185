"""Count what the service sends to the database per reservation (before_cursor_execute)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.clients import ServiceClient

_FROM = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class StatementCount:
    location: str  # given | none
    per_reservation: float
    commits_per_reservation: float
    checkouts_per_reservation: float
    by_kind: dict[str, float]


def count_statements(
    engine: Engine, client: ServiceClient, location: str, sample: int
) -> StatementCount:
    """Reserve ``sample`` times on one client and average what the engine saw, in order."""
    with listening(engine) as seen:
        for _ in range(sample):
            client.reserve()
    statements = {k: v for k, v in seen.items() if not k.startswith("(")}
    return StatementCount(
        location=location,
        per_reservation=sum(statements.values()) / sample,
        commits_per_reservation=seen["(commit)"] / sample,
        checkouts_per_reservation=seen["(pool checkout)"] / sample,
        by_kind={kind: n / sample for kind, n in statements.items()},
    )


@contextmanager
def listening(engine: Engine) -> Iterator[Counter[str]]:
    seen: Counter[str] = Counter()

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen[label(statement)] += 1

    def on_commit(_conn: Any) -> None:
        seen["(commit)"] += 1

    def on_checkout(*_args: Any) -> None:
        seen["(pool checkout)"] += 1

    hooks = (
        ("before_cursor_execute", on_statement),
        ("commit", on_commit),
        ("checkout", on_checkout),
    )
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield seen
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


def label(statement: str) -> str:
    """'SELECT … FROM stock_levels', 'UPDATE stock_levels … RETURNING', 'BEGIN IMMEDIATE'."""
    words = statement.split()
    verb = words[0].upper()
    if verb == "SELECT" and "json_agg(r0" in statement:  # openoms.infra.db.read_at_once
        tables = ", ".join(dict.fromkeys(_FROM.findall(statement)))
        head = f"SELECT … FROM {tables} (reads at once)"
    elif verb == "SELECT":
        found = _FROM.search(statement)
        head = f"SELECT … FROM {found.group(1) if found else '?'}"
    elif verb == "INSERT":
        head = f"INSERT INTO {words[2]}"
    elif verb == "UPDATE":
        head = f"UPDATE {words[1]}"
    else:
        head = " ".join(words[:2])
    return f"{head} … RETURNING" if " RETURNING " in statement.upper() else head
