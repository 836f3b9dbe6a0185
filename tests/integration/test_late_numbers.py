"""Gap-free numbers taken as a transaction's last write (``LateNumber``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from openoms.infra.db import Database
from openoms.infra.sequences import LateNumber, sequences
from tests.builders import random_code

documents = sa.Table(
    "test_numbered_documents",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.String(40), nullable=False, unique=True),
)


@pytest.fixture
def table(db: Database) -> sa.Table:
    documents.create(db.engine, checkfirst=True)
    return documents


def _write(db: Database, name: str, *, commit: bool = True) -> str:
    with db.uow() as uow:
        number = LateNumber(uow.conn, name, name)
        row_id = uow.conn.execute(
            documents.insert().values(number=number.provisional).returning(documents.c.id)
        ).scalar_one()
        final = number.assign(documents, row_id)
        stored = uow.conn.execute(
            sa.select(documents.c.number).where(documents.c.id == row_id)
        ).scalar_one()
        assert stored == final
        if commit:
            uow.commit()
    return final


def test_the_first_number_creates_the_counter_and_the_next_follow(
    db: Database, table: sa.Table
) -> None:
    name = random_code("seq")
    assert [_write(db, name) for _ in range(3)] == [f"{name}-00000{i}" for i in (1, 2, 3)]


def test_a_rolled_back_document_gives_its_number_back(db: Database, table: sa.Table) -> None:
    name = random_code("seq")
    _write(db, name)
    _write(db, name, commit=False)
    assert _write(db, name) == f"{name}-000002"


def test_numbers_grow_past_their_width_instead_of_being_cut(db: Database, table: sa.Table) -> None:
    name = random_code("seq")
    with db.uow() as uow:
        uow.conn.execute(sequences.insert().values(name=name, last_value=999_999))
        uow.commit()
    assert _write(db, name) == f"{name}-1000000"


@pytest.mark.postgres
@pytest.mark.xdist_group("concurrency")
def test_concurrent_writers_get_every_number_once(postgres_db: Database) -> None:
    documents.create(postgres_db.engine, checkfirst=True)
    name = random_code("seq")
    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(lambda _: _write(postgres_db, name), range(40)))
    assert sorted(numbers) == [f"{name}-{i:06d}" for i in range(1, 41)]
