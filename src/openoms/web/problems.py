"""RFC 9457 problem details for every error, in one table from error kind to status."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from openoms.shared.errors import OmsError

log = structlog.get_logger()

STATUS_BY_KIND = {
    "invalid": 422,
    "not_found": 404,
    "conflict": 409,
    "forbidden": 403,
    "unauthorized": 401,
    "rate_limited": 429,
    "unavailable": 503,
}
PROBLEM_TYPE = "https://openoms.dev/problems/"
MEDIA_TYPE = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    *,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def _field_path(loc: tuple[Any, ...]) -> str:
    """("body", "prices", 1, "currency") -> "prices[1].currency"."""
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or (str(loc[0]) if loc else "")


def _error_field(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return "body"
    return _field_path(tuple(error.get("loc", ())))


async def _oms_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OmsError)
    errors = [{"field": e.field, "message": e.message} for e in exc.field_errors()]
    return problem(
        STATUS_BY_KIND.get(exc.kind, 400),
        exc.title,
        exc.detail,
        exc.code,
        errors=errors,
        extra=_jsonable(exc.data),
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _error_field(e), "message": str(e.get("msg", "invalid"))} for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "Invalid input", detail, "validation_failed", errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized", 403: "Forbidden"}
    title = titles.get(exc.status_code, "Request failed")
    code = title.lower().replace(" ", "_")
    return problem(exc.status_code, title, str(exc.detail), code)


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # A unique or check constraint caught what a concurrent request slipped past the checks.
    log.warning("db.constraint_violation", error=str(getattr(exc, "orig", exc))[:300])
    return problem(
        409,
        "Conflict",
        "The change conflicts with data written meanwhile; reload and try again.",
        "constraint_violation",
    )


async def _out_of_range(_request: Request, exc: Exception) -> JSONResponse:
    # A number the schema allowed but a column cannot hold (e.g. a huge integer).
    log.warning("db.value_out_of_range", error=str(getattr(exc, "orig", exc))[:300])
    return problem(
        422, "Invalid input", "A number in the request is out of range.", "value_out_of_range"
    )


async def _operational_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("db.unavailable", error=str(getattr(exc, "orig", exc))[:300])
    return problem(
        503,
        "Service unavailable",
        "The database did not answer; try again shortly.",
        "database_unavailable",
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("http.unhandled_error", path=request.url.path, error=type(exc).__name__)
    return problem(
        500,
        "Internal error",
        "Something went wrong on our side; it has been logged.",
        "internal_error",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(OmsError, _oms_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str | int | float | bool | list | dict) or value is None:
            out[key] = value
        else:
            out[key] = str(value)
    return out
