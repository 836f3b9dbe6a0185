"""The ``oms`` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openoms.entrypoints import bootstrap
from openoms.infra import migrate
from openoms.infra.settings import get_settings
from openoms.shared.errors import OmsError

app = typer.Typer(help="OpenOMS: order management.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
catalog_app = typer.Typer(help="Catalog tools.", no_args_is_help=True)
inventory_app = typer.Typer(help="Inventory tools.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(inventory_app, name="inventory")
user_app = typer.Typer(help="Staff users.", no_args_is_help=True)
app.add_typer(user_app, name="user")
console = Console()
err = Console(stderr=True)


@app.callback()
def _readable_settings() -> None:
    # a setting that cannot be read stops every command with one plain line, not a traceback
    from pydantic import ValidationError

    try:
        get_settings()
    except ValidationError as e:
        for error in e.errors():
            name = "OMS_" + "_".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            err.print(message if message.startswith(name) else f"{name}: {message}")
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default: OMS_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default: OMS_PORT")] = None,
    workers: Annotated[int, typer.Option(help="HTTP worker processes")] = 1,
    setup: Annotated[
        bool,
        typer.Option("--setup", help="first migrate, and load the demo into an empty database"),
    ] = False,
) -> None:
    """Serve the API (and run the background jobs in-process unless OMS_EMBEDDED_WORKER=0)."""
    from openoms.entrypoints.serving import serve as serve_app
    from openoms.infra.logging import configure

    settings = get_settings()
    if setup:
        db_upgrade()
        demo(if_empty=True)
    _require_schema()
    configure(settings.log_level, json=settings.log_json)
    serve_app(host or settings.host, port or settings.port, workers, settings.log_level.lower())


@app.command()
def worker() -> None:
    """Run the background jobs until interrupted (any number may run at once)."""
    from openoms.entrypoints.worker import run_forever
    from openoms.infra.logging import configure

    settings = get_settings()
    configure(settings.log_level, json=settings.log_json)
    _require_schema()
    try:
        run_forever(bootstrap.database(settings), settings)
    except KeyboardInterrupt:
        console.print("worker stopped")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database schema."""
    db = bootstrap.database()
    migrate.upgrade(db.engine, revision)
    console.print(f"database at revision {migrate.current_revision(db.engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION ('base' empties it)."""
    db = bootstrap.database()
    migrate.downgrade(db.engine, revision)
    console.print(f"database at revision {migrate.current_revision(db.engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database and of the code."""
    db = bootstrap.database()
    console.print(
        f"database: {migrate.current_revision(db.engine)}  code: {migrate.head_revision()}"
    )


@app.command()
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="only when there is no data")
    ] = False,
) -> None:
    """Load a believable demo merchant: catalog, locations with bins, and stock."""
    from openoms.entrypoints.demo import has_data, load_demo

    db = bootstrap.database()
    _require_schema()
    if if_empty and has_data(db):
        console.print("demo data: database already has data, left as it is")
        return
    with _progress() as progress:
        task = progress.add_task("demo data", total=None)
        summary = load_demo(db, progress=lambda n: progress.advance(task, n))
    console.print(
        f"demo data: {summary['skus']} SKUs, {summary['locations']} locations, "
        f"{summary['units']} units in stock, {summary['orders']} orders"
    )
    _print_demo_logins(summary["token"])


def _print_demo_logins(token: str) -> None:
    from openoms.entrypoints.demo_users import DEMO_PASSWORD, LOGINS
    from openoms.identity.model import ROLE_TITLES

    settings = get_settings()
    console.print(
        f"\n[bold]Demo logins[/] for http://{settings.host}:{settings.port}/console "
        f"(password [bold]{DEMO_PASSWORD}[/] for all):"
    )
    for login in LOGINS:
        limited = f", limited to {login.limited_to}" if login.limited_to else ""
        console.print(f"  {login.email:<34} {ROLE_TITLES[login.role]}{limited}", soft_wrap=True)
    console.print(
        f"API token (every permission; shown once, keep it): [bold]{token}[/]\n"
        "  use it as 'Authorization: Bearer <token>' or with Authorize in /docs\n",
        soft_wrap=True,
    )


@catalog_app.command("import")
def catalog_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Upsert SKUs from a CSV file; bad rows are reported and skipped whole."""
    from openoms.catalog.importer import check_header, import_rows, read_csv

    db = bootstrap.database()
    _require_schema()
    header, rows = read_csv(file)
    header_errors = check_header(header)
    if header_errors:
        for e in header_errors:
            err.print(f"[red]{file}: column '{e.field}': {e.reason}[/red]")
        raise typer.Exit(2)
    total = max(0, sum(1 for _ in file.open(encoding="utf-8-sig")) - 1)
    with _progress() as progress:
        task = progress.add_task(f"importing {file.name}", total=total)
        report = import_rows(db, rows, progress=lambda n: progress.advance(task, n))
    console.print(
        f"{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.failed_lines} rejected"
    )
    if report.errors:
        table = Table("line", "field", "reason", title="Rejected rows")
        for e in report.errors[:200]:
            table.add_row(str(e.line), e.field, e.reason)
        err.print(table)
        if len(report.errors) > 200:
            err.print(f"... and {len(report.errors) - 200} more")
        raise typer.Exit(1)


@inventory_app.command("verify")
def inventory_verify() -> None:
    """Recompute every level from the ledger; exit 1 and list the drift if any."""
    from openoms.inventory.verify import verify_ledger

    db = bootstrap.database()
    _require_schema()
    drift = verify_ledger(db.reader())
    if not drift:
        console.print("ledger verified: every level matches its movements")
        return
    table = Table("what", "sku", "location", "field", "stored", "ledger says", title="Drift")
    for d in drift:
        table.add_row(d.what, d.sku, d.location, d.field, str(d.stored), str(d.expected))
    err.print(table)
    raise typer.Exit(1)


@inventory_app.command("expire")
def inventory_expire() -> None:
    """Release reservations whose time ran out (the worker does this on its own)."""
    from openoms.inventory.services.reservations import expire_reservations

    db = bootstrap.database()
    total = 0
    while count := expire_reservations(db.uow()):
        total += count
    console.print(f"{total} reservations expired")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)],
    role: Annotated[str, typer.Option(help="admin, manager, sales, warehouse, …")] = "admin",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
    locations: Annotated[str, typer.Option(help="comma-separated location codes; empty: all")] = "",
    channels: Annotated[str, typer.Option(help="comma-separated channel codes; empty: all")] = "",
) -> None:
    """Add a staff user (the first administrator, for one)."""
    from openoms.identity.model import Role
    from openoms.identity.services import users

    _require_schema()
    try:
        chosen = Role(role)
    except ValueError:
        err.print(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}")
        raise typer.Exit(2) from None
    spec = users.UserSpec(
        email=email,
        name=name,
        role=chosen,
        password=password,
        locations=_codes(locations),
        channels=_codes(channels),
    )
    try:
        user = users.create_user(bootstrap.database().uow(), spec, actor="cli")
    except OmsError as e:
        err.print(f"user not created: {e}")
        raise typer.Exit(1) from None
    console.print(f"user {user.email} created ({user.role.value})")


@user_app.command("list")
def user_list() -> None:
    """List the staff users."""
    from openoms.identity.services import users

    _require_schema()
    for user in users.list_users(bootstrap.database().reader()):
        state = "active" if user.is_active else "inactive"
        console.print(f"{user.id:>4}  {user.email:<40} {user.role.value:<11} {state}")


@user_app.command("set-password")
def user_set_password(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Give a user a new password (also lifts a lock-out and ends their sessions)."""
    from openoms.identity.services import users

    _require_schema()
    db = bootstrap.database()
    found = [u for u in users.list_users(db.reader()) if u.email == email.strip().lower()]
    if not found:
        err.print(f"no user {email}")
        raise typer.Exit(1)
    try:
        users.set_password(db.uow(), found[0].id, password, actor="cli")
    except OmsError as e:
        err.print(f"password not set: {e}")
        raise typer.Exit(1) from None
    console.print(f"password of {found[0].email} set")


def _codes(text: str) -> list[str] | None:
    codes = [c.strip() for c in text.split(",") if c.strip()]
    return codes or None


def _require_schema() -> None:
    db = bootstrap.database()
    if not migrate.is_up_to_date(db.engine):
        err.print(
            f"database schema is at {migrate.current_revision(db.engine)}, code needs "
            f"{migrate.head_revision()}: run 'oms db upgrade'"
        )
        raise typer.Exit(2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not sys.stderr.isatty(),
    )


if __name__ == "__main__":
    app()
