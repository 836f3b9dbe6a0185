"""Engine, shared metadata and the unit of work.

SQLite runs in WAL mode with foreign keys on; every write transaction starts with
``BEGIN IMMEDIATE`` so that two writers queue on the busy timeout instead of failing with
"database is locked" when one of them upgrades a read lock. Within one process, SQLite's
write units of work also queue on a lock of their own: SQLite's busy handler sleeps in growing
steps (up to 100 ms) and lets late arrivals overtake, so under load a few writers would wait
seconds while others went straight through; the lock hands the database over at once. Other
processes (a second server worker, ``oms worker``) still meet on the busy timeout.
PostgreSQL runs through psycopg 3.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import json
import re
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

import orjson
import psycopg
import sqlalchemy as sa
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from openoms.shared.events import Event

T = TypeVar("T")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def normalize_url(raw: str) -> URL:
    """Accept the usual spellings of a database URL and pick our drivers.

    ``postgres://``, ``postgresql://`` and ``postgresql+psycopg2://`` all become psycopg 3;
    a bare file path becomes an SQLite file.
    """
    if "://" not in raw:
        raw = f"sqlite:///{raw}"
    url = make_url(raw)
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    raise ValueError(f"unsupported database '{backend}': use SQLite or PostgreSQL")


def create_db_engine(
    raw_url: str, *, pool_size: int = 10, max_overflow: int = 20, busy_timeout: float = 30.0
) -> Engine:
    url = normalize_url(raw_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, pool_size=pool_size, busy_timeout=busy_timeout)
    # No pre-ping: it costs a round trip per unit of work. A connection that died is
    # detected on use; the pool then drops all its connections and the request gets a 503.
    engine = sa.create_engine(
        url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        heard: deque[tuple[str, str]] = deque(maxlen=NOTICES_KEPT)
        record.info["notices"] = heard

        def keep(diagnostic: Any) -> None:
            message = diagnostic.message_primary or ""
            if message.startswith(NOTICE_PREFIX):
                heard.append((message, diagnostic.message_detail or ""))

        dbapi_connection.add_notice_handler(keep)

    return engine


# PostgreSQL: what the database tells the transaction's connection with RAISE NOTICE (the
# number a trigger gave an order at COMMIT, say) is kept on the connection, the latest few.
NOTICE_PREFIX = "openoms:"
NOTICES_KEPT = 32


# PostgreSQL: a unit of work that begins its transaction at its first write (what
# :meth:`UnitOfWork.begin_at_first_write` asks for) keeps this state in its connection's
# ``info`` while it is open. Its connection is in autocommit: reads run before any BEGIN
# (under READ COMMITTED each statement reads its own snapshot, in a transaction or not);
# the first write sends BEGIN, unless it is the unit's last statement, which then commits
# by itself: a unit whose writes are one statement costs neither BEGIN nor COMMIT.
LAZY = "oms_lazy_transaction"


# The engines whose connections run ``_begin_before_write`` (listened to once each).
_BEGINS_BEFORE_WRITES: weakref.WeakSet[Engine] = weakref.WeakSet()
_LISTENING = threading.Lock()


@dataclass
class LazyTransaction:
    begun: bool = False  # BEGIN was sent: COMMIT ends the transaction
    reading: bool = False  # the statement about to run is a read (``read_at_once``)
    last: bool = False  # the statement about to run is the unit's last: it commits itself
    done: bool = False  # the last statement ran, and committed


def _begin_before_write(conn: Connection, _cursor: Any, statement: str, *_rest: Any) -> None:
    """``before_cursor_execute``: in a unit of work that begins at its first write, BEGIN
    before any statement that is neither a read nor the unit's last."""
    state: LazyTransaction | None = conn.info.get(LAZY)
    if state is None or state.begun:
        return
    if state.reading:
        if not _plain_read(statement):  # outside a transaction it would keep nothing
            raise RuntimeError(f"not a plain read, run as one: {statement[:80]}")
        return
    if state.done:
        raise RuntimeError("a statement after the unit of work's last one, which committed")
    if state.last:
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute("BEGIN", prepare=False)
    state.begun = True


_ROW_LOCK = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b", re.I)


def _plain_read(statement: str) -> bool:
    """A SELECT that locks no row (what runs as a read in a unit not begun yet). The
    pattern runs only on a statement that has ``FOR`` in it: over the order's first reads
    (2 KB) it cost some 35 µs, the case-folded test one."""
    if statement.lstrip()[:6].upper() != "SELECT":
        return False
    return "FOR" not in statement.upper() or _ROW_LOCK.search(statement) is None


def notices(conn: Connection, message: str) -> list[str]:
    """The details of the notices ``message`` heard lately on this connection, oldest first
    (none on SQLite, or where ``client_min_messages`` is above NOTICE)."""
    heard = conn.info.get("notices") or ()
    return [detail for said, detail in heard if said == message]


def driver_rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run one statement in the driver's own SQL (``%(name)s`` parameters on PostgreSQL)
    on the connection's driver connection, inside the connection's transaction, and return
    its rows (none for a statement that returns none).

    For the few statements every order sends: SQLAlchemy's execution context costs as much
    CPU again as psycopg itself (docs/benchmarks.md), and these need none of it. What stays:
    the ``before_cursor_execute`` event (the statement budgets in the tests count these
    too, with ``context`` None) and SQLAlchemy's exceptions (``IntegrityError``,
    ``OperationalError`` with the driver's error as ``orig``), and a connection found lost is
    invalidated. Not kept: SQLAlchemy's ``echo`` log and its other execution events. Other
    databases go through SQLAlchemy's ``exec_driver_sql``.
    """
    if conn.dialect.name != "postgresql":
        return [tuple(r) for r in conn.exec_driver_sql(sql, params)]
    if not conn.in_transaction():
        conn.begin()  # as SQLAlchemy's own execute would (autobegin)
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor: Any = psycopg.RawCursor(driver)
    if conn.dispatch.before_cursor_execute:
        conn.dispatch.before_cursor_execute(conn, cursor, sql, params, None, False)
    lazy: LazyTransaction | None = conn.info.get(LAZY)
    native, names = _native(sql)
    try:
        cursor.execute(native, [params[name] for name in names])
        if lazy is not None and lazy.last and not lazy.begun:
            lazy.done = True  # in autocommit: the statement committed
        # The result's status, not ``cursor.description``: that builds a Column object per
        # column of the result, a few percent of an order's CPU for nothing read here.
        result = cursor.pgresult
        rows = result is not None and result.status == pq.ExecStatus.TUPLES_OK
        return cursor.fetchall() if rows else []
    except conn.dialect.loaded_dbapi.Error as e:
        gone = conn.dialect.is_disconnect(e, driver, cursor)
        if gone:
            conn.invalidate(e)
        raise sa.exc.DBAPIError.instance(
            sql,
            params,
            e,
            conn.dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=conn.dialect,
        ) from e
    finally:
        if lazy is not None:
            lazy.last = False
        cursor.close()


# driver_rows' statements in PostgreSQL's own placeholders ($1, $2, ...), with the names of
# their parameters in that order. psycopg converts ``%(name)s`` at every execute and keeps
# the result only for texts of at most 4 KB; an order's one write is longer than that, and
# splitting it cost about a tenth of the server's CPU per order (docs/benchmarks.md). The
# texts are a few per statement shape, built once each (lru_cache'd builders).
_NATIVE: dict[str, tuple[bytes, tuple[str, ...]]] = {}
_NATIVE_KEPT = 512


def _native(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """``sql`` (``%(name)s`` parameters, ``%%`` for a percent sign) with ``$n`` placeholders
    for ``psycopg.RawCursor``, and the parameters' names in their order; converted once."""
    found = _NATIVE.get(sql)
    if found is not None:
        return found
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    found = (_PARAMETER.sub(number, sql).encode(), tuple(names))
    if len(_NATIVE) < _NATIVE_KEPT:
        _NATIVE[sql] = found
    return found


_COMPILED: dict[tuple[int, str], tuple[str, dict[str, Any]]] = {}


def driver_sql(statement: sa.ClauseElement, dialect: sa.Dialect) -> tuple[str, dict[str, Any]]:
    """A statement built with SQLAlchemy, as the driver's SQL for this dialect, compiled once,
    and the values of its literal parameters; for :func:`driver_rows`.

    Meant for statements built once (module constants, or kept in a cache) whose bound
    values need no Python-side conversion on this dialect: PostgreSQL takes aware
    datetimes, strings, numbers and lists as they are. No expanding ``IN``: bind each value.
    A statement's entry goes when the statement does, so one built per call is compiled per
    call (slow, not a leak).
    """
    key = (id(statement), dialect.name)
    found = _COMPILED.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        static = {k: v for k, v in compiled.params.items() if v is not None}
        found = _COMPILED[key] = (str(compiled), static)
        # forgotten with the statement, so its id can never stand for another statement
        weakref.finalize(statement, _COMPILED.pop, key, None)
    return found


def run_built(
    conn: Connection, statement: sa.Select[Any] | sa.UpdateBase, params: dict[str, Any]
) -> list[Any]:
    """A statement built once with SQLAlchemy, run through :func:`driver_rows` on
    PostgreSQL (see :func:`driver_sql` for what it may hold), through SQLAlchemy elsewhere."""
    if conn.dialect.name != "postgresql":
        return list(conn.execute(statement, params))
    sql, static = driver_sql(statement, conn.dialect)
    return driver_rows(conn, sql, {**static, **params})


class Read(Generic[T]):
    """A read that can share one round trip with others (:func:`read_at_once`).

    ``sql`` and ``params`` are the read in the driver's SQL for PostgreSQL (``%(name)s``
    parameters, as :func:`driver_rows` takes them). ``order_by``, names of its columns (each
    maybe followed by ``DESC``), is the order its rows come back in, if any matters.
    ``parse`` makes the read's value from its rows, tuples of column values; ``alone`` runs
    it on its own, on any database.

    Run with others, the rows cross as JSON, so ``parse`` must take what JSON gives as well
    as what the driver gives: integers, text, booleans and NULL as they are; any other
    number as a ``Decimal`` (exact: numeric as the driver gives it, a float8 where the
    driver gives a float); timestamps as ISO 8601 text; a JSON column's objects as tuples
    of their values. The reads placing an order makes are integers, text, booleans and
    coordinates: ``float(…)`` of either form is the same float, as PostgreSQL writes a
    float8 in the shortest form that reads back exactly (unless ``extra_float_digits`` is
    set below its default of 1).
    """

    __slots__ = ("_alone", "_parse", "_value", "order_by", "params", "sql")

    def __init__(
        self,
        sql: str,
        params: dict[str, Any],
        parse: Callable[[list[tuple[Any, ...]]], T],
        alone: Callable[[Connection], T],
        order_by: tuple[str, ...] = (),
    ) -> None:
        self.sql = sql
        self.params = params
        self.order_by = order_by
        self._parse = parse
        self._alone = alone
        self._value: tuple[T] | None = None

    @classmethod
    def of_built(
        cls,
        statement: sa.Select[Any],
        params: dict[str, Any],
        parse: Callable[[list[tuple[Any, ...]]], T],
        dialect: sa.Dialect,
        order_by: tuple[str, ...] = (),
    ) -> Read[T]:
        """A statement built once with SQLAlchemy (what :func:`run_built` takes) as a read;
        alone it runs through :func:`run_built`."""
        sql, static = driver_sql(statement, dialect)
        return cls(
            sql,
            {**static, **params},
            parse,
            lambda conn: parse(run_built(conn, statement, params)),
            order_by,
        )

    def set_from(self, text: str | None) -> None:
        """Its value from its column of another statement (:func:`read_column`)."""
        rows = (
            [] if text is None else json.loads(text, object_pairs_hook=_values, parse_float=Decimal)
        )
        self._value = (self._parse(rows),)

    def value(self) -> T:
        """What the read found; once :func:`read_at_once` has run it."""
        if self._value is None:
            raise RuntimeError("the read has not run yet")
        return self._value[0]


def read_at_once(conn: Connection, reads: Sequence[Read[Any]]) -> None:
    """Run reads that do not depend on one another, inside the connection's transaction.

    On PostgreSQL they go as one statement, one round trip instead of one each: every read
    is a scalar subquery that aggregates its rows as JSON text (``json_agg``, whose objects
    keep the columns' order, duplicate names included), read back into tuples here. A
    round trip cost about 0.09 ms of CPU on the database and the server together, more
    than the JSON does (docs/benchmarks.md). Elsewhere each runs alone (on SQLite a
    statement costs no round trip).
    """
    if conn.dialect.name != "postgresql":
        for read in reads:
            read._value = (read._alone(conn),)
        return
    columns, params = [], {}
    for i, read in enumerate(reads):
        column, renamed = read_column(read, f"r{i}")
        columns.append(column)
        params.update(renamed)
    with reading(conn):
        (row,) = driver_rows(conn, "SELECT " + ", ".join(columns), params)
    for read, text in zip(reads, row, strict=True):
        read.set_from(text)


@contextmanager
def reading(conn: Connection) -> Iterator[None]:
    """The statements of the block only read (plain SELECTs: no row locks, nothing a
    transaction would keep): in a unit that begins at its first write and has not begun,
    they send no BEGIN (see :meth:`UnitOfWork.begin_at_first_write`). Elsewhere nothing
    changes."""
    lazy: LazyTransaction | None = conn.info.get(LAZY)
    if lazy is None or lazy.reading:
        yield
        return
    lazy.reading = True
    try:
        yield
    finally:
        lazy.reading = False


def read_column(read: Read[Any], prefix: str) -> tuple[str, dict[str, Any]]:
    """PostgreSQL: the read as one column of another statement's select list (a scalar
    subquery that aggregates its rows as JSON text), and its parameters, renamed
    ``<prefix>_<name>`` so that they cannot meet the statement's own; the column's value
    goes to :meth:`Read.set_from`. Inside a data-modifying statement the read sees the
    database as it was before the statement, as all of a statement's parts do."""
    params = {f"{prefix}_{name}": value for name, value in read.params.items()}
    return _column(read.sql, read.order_by, prefix), params


def _values(pairs: list[tuple[str, Any]]) -> tuple[Any, ...]:
    return tuple(value for _name, value in pairs)


# a parameter, or a percent sign written twice (a literal one, left as it is)
_PARAMETER = re.compile(r"%%|%\((\w+)\)s")


@functools.lru_cache(maxsize=64)
def _column(sql: str, order_by: tuple[str, ...], prefix: str) -> str:
    """``prefix.*`` is the whole row even where a column is called ``prefix``; the order's
    columns are qualified too, so a name the read lacks is an error, not an outer value."""

    def rename(found: re.Match[str]) -> str:
        name = found.group(1)
        return "%%" if name is None else f"%({prefix}_{name})s"

    renamed = _PARAMETER.sub(rename, sql)
    order = f" ORDER BY {', '.join(f'{prefix}.{name}' for name in order_by)}" if order_by else ""
    return f"(SELECT json_agg({prefix}.*{order})::text FROM ({renamed}) AS {prefix})"


def _sqlite_engine(url: URL, *, pool_size: int, busy_timeout: float) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"timeout": busy_timeout, "check_same_thread": False},
        pool_size=pool_size,
        max_overflow=pool_size * 2,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (the pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get("oms_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


WRITER_QUEUE_TIMEOUT = 30.0  # seconds; SQLite's busy timeout has the same default

# Set by the HTTP idempotency layer for the duration of one request; the unit of work marks
# the key as used in the same transaction as the change it guards.
current_idempotency_claim: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "current_idempotency_claim", default=None
)


class CommitRecord(Protocol):
    """Something written once by the first write transaction that commits (the audit entry
    of the HTTP request that changed something)."""

    def write(self, uow: UnitOfWork) -> bool:
        """Write it (or queue it with :meth:`UnitOfWork.insert_later`) unless written
        already; True when this call wrote it."""
        ...

    def undo(self) -> None:
        """The transaction that wrote it rolled back: the next one that commits writes it."""


current_commit_record: contextvars.ContextVar[CommitRecord | None] = contextvars.ContextVar(
    "current_commit_record", default=None
)


class UnitOfWork:
    """One use case, one transaction: ``with db.uow() as uow: ... uow.commit()``.

    Leaving the block without committing rolls back. Events recorded with :meth:`record`
    are written to the outbox in the same transaction at commit.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        readonly: bool = False,
        writers: threading.Lock | None = None,
        aside: bool = False,
    ) -> None:
        self._engine = engine
        self._readonly = readonly
        self._aside = aside
        self._writers = writers
        self._holds_writers = False
        self._events: list[Event] = []
        self._later: list[tuple[sa.Table, dict[str, Any]]] = []
        self._wrote: CommitRecord | None = None
        self._conn: Connection | None = None
        self._tx: sa.RootTransaction | None = None
        self._at_first_write = False
        self._lazy: LazyTransaction | None = None
        self._lazy_info: dict[Any, Any] | None = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def database_key(self) -> int:
        """Tells databases apart within one process (for caches of their configuration)."""
        return id(self._engine)

    def __enter__(self) -> UnitOfWork:
        if self._writers is not None:
            # Past the timeout, go on without it: SQLite's own busy timeout still applies.
            self._holds_writers = self._writers.acquire(timeout=WRITER_QUEUE_TIMEOUT)
        lazy = self._lazy_here()
        try:
            conn = self._engine.connect()
        except BaseException:
            self._at_first_write = False
            self._release_writers()
            raise
        if self._readonly:
            conn = conn.execution_options(oms_readonly=True)
            if conn.dialect.name == "postgresql":
                # Under READ COMMITTED every statement sees its own snapshot, in a
                # transaction or not; without one, a read costs no BEGIN and no ROLLBACK
                # round trip. The pool sets the level back when the connection returns.
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        elif lazy:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            self._lazy = LazyTransaction()
            self._lazy_info = conn.info  # kept: a lost connection's would reconnect to reach
            self._lazy_info[LAZY] = self._lazy
        self._conn = conn
        self._tx = conn.begin()
        return self

    def begin_at_first_write(self) -> UnitOfWork:
        """On PostgreSQL, for the next ``with`` block: send no BEGIN before the first
        write, and none at all when the unit's writes are its last statement (see
        :meth:`pending_first`) or the rows written at commit: that statement then commits
        by itself, and the unit costs neither BEGIN nor COMMIT. Reads before the first
        write run outside a transaction (under READ COMMITTED each statement reads its own
        snapshot either way); any other statement sends BEGIN first, and the unit is an
        ordinary transaction from there. Not for a request that spends an idempotency key
        (its claim is marked at COMMIT) nor elsewhere: there it changes nothing."""
        self._at_first_write = True
        return self

    def _lazy_here(self) -> bool:
        """Whether this block begins at its first write; if so, the engine's connections
        (made from now on) send the BEGIN that needs (``_begin_before_write``)."""
        if not self._at_first_write or self._readonly or self._aside:
            return False
        if self._engine.dialect.name != "postgresql":
            return False
        if current_idempotency_claim.get() is not None:
            return False
        if self._engine not in _BEGINS_BEFORE_WRITES:
            with _LISTENING:
                if self._engine not in _BEGINS_BEFORE_WRITES:
                    event.listen(self._engine, "before_cursor_execute", _begin_before_write)
                    _BEGINS_BEFORE_WRITES.add(self._engine)
        return True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
                if self._wrote is not None:
                    self._wrote.undo()
        finally:
            self._wrote = None
            if self._lazy_info is not None:
                self._lazy_info.pop(LAZY, None)
                self._lazy_info = None
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._tx = None
            self._lazy = None
            self._at_first_write = False
            self._events.clear()
            self._later.clear()
            self._release_writers()

    def _release_writers(self) -> None:
        if self._holds_writers and self._writers is not None:
            self._holds_writers = False
            self._writers.release()

    def record(self, event_: Event) -> None:
        self._events.append(event_)

    def commit(self) -> None:
        from openoms.infra import idempotency  # a table of the infra layer

        if self._tx is None:
            raise RuntimeError("the unit of work is not open")
        lazy = self._lazy
        if lazy is not None and lazy.done:
            # its last statement committed: nothing may be left to write
            self._queue_commit_record()
            if self._events or self._later:
                raise RuntimeError("written after the unit of work's last statement")
            self._tx.commit()  # nothing left for the database: the driver sends nothing
            self._wrote = None
            self._begin_again()
            return
        self._queue_events()  # with the other queued rows: one statement
        if not self._readonly and not self._aside:
            claim = current_idempotency_claim.get()
            if claim is not None:
                idempotency.mark_committed(self.conn, *claim)
        if lazy is not None and not lazy.begun:
            lazy.last = True  # the rows written now are the unit's one write
        self.write_pending()
        try:
            self._tx.commit()
        except BaseException:
            if self._wrote is not None:
                self._wrote.undo()
            raise
        finally:
            self._wrote = None
        self._begin_again()

    def _begin_again(self) -> None:
        """After a commit, a unit that begins at its first write does so again: nothing
        that runs after it (the order's number read back, where notices are not sent) can
        write outside a transaction; a statement other than ``read_at_once``'s sends BEGIN
        first, and what it did is rolled back unless committed in turn."""
        if self._lazy is not None and self._lazy_info is not None:
            self._lazy = LazyTransaction()
            self._lazy_info[LAZY] = self._lazy

    def _queue_events(self) -> None:
        from openoms.infra import outbox  # a table of the infra layer

        for recorded in self._events:
            self.insert_later(outbox.outbox_events, outbox.row(recorded))
        self._events.clear()

    def _queue_commit_record(self) -> None:
        """The request's audit entry, once (again by a later transaction if this one rolls
        back)."""
        if self._readonly or self._aside or self._wrote is not None:
            return
        record = current_commit_record.get()
        if record is not None and record.write(self):
            self._wrote = record

    def insert_later(self, table: sa.Table, row: dict[str, Any]) -> None:
        """Queue a row that nothing reads back in this transaction (an audit entry, an
        outbox event, a timeline event, a fraud screening's record). Queued rows are written
        together by
        :meth:`write_pending`, or at the latest just before COMMIT: on PostgreSQL as one
        statement, so three such rows cost one round trip instead of three. Rows of one
        table with the same columns keep their order; a rollback drops them."""
        self._later.append((table, row))

    def write_pending(self) -> None:
        """Write the request's audit entry and the queued rows now: for a use case about to
        lock contended rows, which then stay locked for no statement of that kind, or about
        to read what it queued. Commit does it last."""
        self._queue_commit_record()
        self._write_later()

    def pending_first(self, *, last: bool = False) -> WritesFirst | None:
        """The request's audit entry and the queued rows, to be written by the next
        statement the caller runs instead of by one of their own (a round trip less): on
        PostgreSQL as :class:`WritesFirst`, taken off the queue, for a statement that
        takes it (``inventory.holds.hold_many``); the caller runs that statement or rolls
        back. Elsewhere, or with nothing queued, they are written now, as by
        :meth:`write_pending`, and the answer is None.

        ``last``: that statement is the unit's last write, and the events recorded so far
        go with it. In a unit that begins at its first write and has not begun, it then
        commits by itself (it must fail as a whole where it cannot do all it means to);
        :meth:`commit` then writes nothing more, and refuses to if anything was queued
        after it."""
        if last:
            self._queue_events()
            if self._lazy is not None and not self._lazy.begun:
                self._lazy.last = True
        self._queue_commit_record()
        if self.dialect != "postgresql" or not self._later:
            self._write_later()
            return None
        queued, self._later = self._later, []
        shape, document = _grouped(queued)
        commits = self._lazy is not None and self._lazy.last and not self._lazy.begun
        return WritesFirst(
            _first_ctes(shape, self.conn.dialect), {"first_doc": document}, commits=commits
        )

    def last_commits(self) -> bool:
        """Whether the unit's last statement, run now (:meth:`pending_first` with
        ``last``), would commit by itself: a unit that begins at its first write on
        PostgreSQL and has not begun."""
        return self._lazy is not None and not self._lazy.begun and not self._lazy.done

    def _write_later(self) -> None:
        if not self._later:
            return
        queued, self._later = self._later, []
        if self.dialect != "postgresql":  # a statement costs no round trip: one per shape
            for (table, _columns), rows in itertools.groupby(
                queued, key=lambda queued_row: (queued_row[0], tuple(queued_row[1]))
            ):
                self.conn.execute(_plain_insert(table), [row for _table, row in rows])
            return
        shape, document = _grouped(queued)
        driver_rows(self.conn, _inserts_at_once(shape, self.conn.dialect), {"doc": document})


Shape = tuple[tuple[sa.Table, tuple[str, ...]], ...]


def _grouped(queued: list[tuple[sa.Table, dict[str, Any]]]) -> tuple[Shape, str]:
    """Queued rows grouped by table and columns, in the order they came: the groups' shape
    and a JSON array holding each group's rows."""
    groups: dict[tuple[sa.Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for table, row in queued:
        groups.setdefault((table, tuple(row)), []).append(row)
    return tuple(groups), json_document(list(groups.values()))


@dataclass(frozen=True)
class WritesFirst:
    """PostgreSQL: rows to insert at the start of another statement, before the rest of it
    runs (:meth:`UnitOfWork.pending_first`).

    ``ctes`` go first in that statement's ``WITH`` list, in the driver's SQL with
    ``params``; :attr:`gate` is a condition, always true, that reads them: put in the
    ``WHERE`` of the statement's first part, it makes that part wait until every row is
    written (PostgreSQL runs a data-modifying CTE when it is first read, and one that
    nobody reads only after the rest of the statement).

    ``commits``: that statement is the unit's last and commits by itself. Then the caller
    may add work the statement does once its locks are taken (:meth:`then`): ``then_ctes``
    go last in its ``WITH`` list and read ``locks_taken``, a one-row CTE the statement
    defines, which is read only after it took its locks; the statement returns ``answer``
    (an expression over those CTEs) in :attr:`answered`."""

    ctes: str
    params: dict[str, Any]
    gate: str = "(SELECT count(*) FROM first_done) >= 0"
    commits: bool = False
    then_ctes: str = ""
    answer: str = "NULL"
    answered: list[Any] = field(default_factory=list, compare=False)

    def then(
        self,
        ctes: str,
        params: dict[str, Any],
        answer: str,
        *,
        before: tuple[str, str] | None = None,
    ) -> WritesFirst:
        """The same, with ``ctes`` run after the statement's locks (only for a statement
        that commits by itself: whatever they lock stays locked no longer than it).
        ``before``: (name, CTE) of a claim the statement makes before its locks, after the
        queued rows (an advisory lock, say), so that it waits for it holding nothing."""
        if not self.commits:
            raise ValueError("work after the locks rides only on a statement that commits")
        ctes_first, gate = self.ctes, self.gate
        if before is not None:
            name, cte = before
            ctes_first = f"{ctes_first}, {cte}"
            gate = f"{gate} AND (SELECT count(*) FROM {name}) >= 0"
        return replace(
            self,
            ctes=ctes_first,
            gate=gate,
            params={**self.params, **params},
            then_ctes=ctes,
            answer=answer,
            answered=[],
        )


@functools.lru_cache(maxsize=64)
def _first_ctes(shape: Shape, dialect: sa.Dialect) -> str:
    """The queued rows of :func:`_grouped` as data-modifying CTEs ``f0``, ``f1``, … over one
    parameter ``first_doc``, and ``first_done``, which reads them all."""
    inserts = [
        f"f{g} AS ({insert} RETURNING 1)"
        for g, insert in enumerate(_group_inserts(shape, dialect, "first_doc"))
    ]
    done = " UNION ALL ".join(f"SELECT 1 FROM f{g}" for g in range(len(shape)))
    return (
        f"first_doc AS (SELECT CAST(%(first_doc)s AS jsonb) AS d), {', '.join(inserts)},"
        f" first_done AS ({done})"
    )


@functools.lru_cache(maxsize=64)
def _plain_insert(table: sa.Table) -> sa.Insert:
    return table.insert()


_DOCUMENT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def json_document(value: Any) -> str:
    """``value`` (rows, or any JSON-able data with times and decimals) as JSON text for a
    parameter that PostgreSQL casts to ``jsonb``; times and decimals as
    :func:`json_column_value` writes them. orjson: the standard library's encoder cost
    about 60 µs of each order's CPU for its three documents, this one a tenth of that.
    Unlike it, orjson writes a float NaN or infinity as null (the standard library wrote
    ``NaN``, which PostgreSQL refused) and encodes enums, UUIDs and dataclasses itself."""
    try:
        return orjson.dumps(value, default=json_column_value, option=_DOCUMENT).decode()
    except orjson.JSONEncodeError as e:
        if isinstance(e.__cause__, ValueError):  # a naive time: the reason, not orjson's
            raise e.__cause__ from None
        raise


def json_column_value(value: Any) -> Any:
    """For :func:`json_document` of rows that PostgreSQL's ``jsonb_populate_record`` turns into
    column values: times as ISO 8601 with their offset (which ``timestamptz`` reads back
    exactly; naive ones refused, as ``UtcDateTime`` refuses them), decimals as text."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use openoms.shared.clock")
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a column value")


def populated_columns(table: sa.Table, names: Sequence[str], dialect: sa.Dialect) -> str:
    """The select list that takes ``names`` from a record ``r`` made by
    ``jsonb_populate_record(set)(NULL::<table>, …)``. A JSON value of null stays JSON null,
    as SQLAlchemy's JSON type writes it (the record has SQL NULL there)."""
    quote = dialect.identifier_preparer.quote
    return ", ".join(
        f"COALESCE(r.{quote(n)}, 'null'::jsonb)"
        if isinstance(table.c[n].type, sa.JSON)
        else f"r.{quote(n)}"
        for n in names
    )


@functools.lru_cache(maxsize=64)
def _inserts_at_once(shape: Shape, dialect: sa.Dialect) -> str:
    """PostgreSQL: the queued rows of several tables as one INSERT whose other INSERTs are
    data-modifying CTEs (each runs once, whether read or not), with one parameter: a JSON
    array holding each group's rows, converted to the tables' own column types by
    ``jsonb_populate_recordset``, in order. One text per shape, sent through the driver:
    bound value by value it cost SQLAlchemy more CPU than the statement cost PostgreSQL."""
    *first, last = _group_inserts(shape, dialect, "doc")
    ctes = "".join(f", w{g} AS ({statement})" for g, statement in enumerate(first))
    return f"WITH doc AS (SELECT CAST(%(doc)s AS jsonb) AS d){ctes} {last}"


def _group_inserts(shape: Shape, dialect: sa.Dialect, document: str) -> list[str]:
    """One INSERT per group of :func:`_grouped`, taking group ``g``'s rows from element
    ``g`` of the JSON array in the CTE ``document`` (its column ``d``)."""
    quote = dialect.identifier_preparer.quote
    return [
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)})"
        f" SELECT {populated_columns(table, columns, dialect)}"
        f" FROM {document} AS doc,"
        f" jsonb_populate_recordset(NULL::{quote(table.name)}, doc.d -> {g}) AS r"
        for g, (table, columns) in enumerate(shape)
    ]


class Database:
    """The engine and the two kinds of unit of work it hands out."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writers = threading.Lock() if engine.dialect.name == "sqlite" else None

    @property
    def database_key(self) -> int:
        """The key its units of work give as ``UnitOfWork.database_key``."""
        return id(self.engine)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(create_db_engine(url, **kwargs))

    def uow(self) -> UnitOfWork:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        return UnitOfWork(self.engine, writers=self._writers)

    def aside(self) -> UnitOfWork:
        """A write transaction apart from the request's change (the audit entry of a refusal,
        a token's last-used time): it neither spends the request's idempotency key nor
        writes the request's audit entry."""
        return UnitOfWork(self.engine, writers=self._writers, aside=True)

    def reader(self) -> UnitOfWork:
        """A read-only transaction: never takes SQLite's write lock."""
        return UnitOfWork(self.engine, readonly=True)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
