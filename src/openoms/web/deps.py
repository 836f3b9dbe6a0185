"""Typed dependencies shared by the HTTP routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from openoms.infra.db import Database, UnitOfWork


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def write_uow(request: Request) -> UnitOfWork:
    return get_db(request).uow()


def read_uow(request: Request) -> UnitOfWork:
    return get_db(request).reader()


def actor(request: Request) -> str:
    """Who is acting. Until sign-in exists every API call acts as ``api``."""
    user = getattr(request.state, "user", None)
    return f"user:{user}" if user else "api"


DbDep = Annotated[Database, Depends(get_db)]
WriteUow = Annotated[UnitOfWork, Depends(write_uow)]
ReadUow = Annotated[UnitOfWork, Depends(read_uow)]
Actor = Annotated[str, Depends(actor)]
