"""The one base class of every error the domain raises.

Each domain declares its own errors, named for the fact, with a stable ``code`` and the data
needed to explain it. The HTTP layer maps the *kind* of error to a status code; the domain
knows nothing of HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """One invalid field: a dotted/indexed path (``prices[1].currency``) and why."""

    field: str
    message: str


class OmsError(Exception):
    """Base of all domain errors. ``kind`` decides the status code at the edge."""

    code: ClassVar[str] = "oms_error"
    kind: ClassVar[str] = "invalid"  # invalid | not_found | conflict | forbidden | unauthorized | …
    title: ClassVar[str] = "Request failed"

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.data = data

    def field_errors(self) -> list[FieldError]:
        return []


class NotFound(OmsError):
    code = "not_found"
    kind = "not_found"
    title = "Not found"


class Conflict(OmsError):
    code = "conflict"
    kind = "conflict"
    title = "Conflict"


class ValidationFailed(OmsError):
    """Input that breaks a domain rule, with one entry per offending field."""

    code = "validation_failed"
    kind = "invalid"
    title = "Invalid input"

    def __init__(self, errors: list[FieldError], detail: str = "The input is not valid.") -> None:
        super().__init__(detail)
        self.errors = list(errors)

    def __str__(self) -> str:
        parts = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        return f"{self.detail} {parts}".strip()

    def field_errors(self) -> list[FieldError]:
        return list(self.errors)

    @classmethod
    def single(cls, field_name: str, message: str) -> ValidationFailed:
        return cls([FieldError(field_name, message)], message)
