"""What the engine sends while a block runs, for the tests that count statements and commits
(the deterministic guards of the order benchmark, docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import CacheStats


@dataclass(frozen=True)
class Sent:
    sql: str  # whitespace collapsed
    compiled_once: bool  # driver SQL, or a statement SQLAlchemy took from its compiled cache


@dataclass
class Recorded:
    statements: list[Sent] = field(default_factory=list)
    commits: int = 0

    def sql(self, width: int = 90) -> list[str]:
        return [s.sql[:width] for s in self.statements]


@contextmanager
def recorded(engine: Engine) -> Iterator[Recorded]:
    """Every statement as SQLAlchemy's ``before_cursor_execute`` sees it (an executemany
    once; PostgreSQL's implicit BEGIN and COMMIT are not statements), and every commit."""
    seen = Recorded()

    def on_statement(
        _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        once = (  # None: infra.db.driver_rows, the driver's SQL
            context is None or context.compiled is None or context.cache_hit is CacheStats.CACHE_HIT
        )
        seen.statements.append(Sent(" ".join(statement.split()), once))

    def on_commit(_conn: Any) -> None:
        seen.commits += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)
