"""The one source of "now": timezone-aware UTC, replaceable in tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Fix the clock at ``at`` (must be aware) for the duration of the block."""
    global _now
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime")
    previous = _now
    _now = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _now = previous


def as_utc(value: datetime) -> datetime:
    """Storage returns naive UTC on SQLite; make every datetime aware UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
