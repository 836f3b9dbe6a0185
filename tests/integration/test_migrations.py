"""The migrations build exactly the schema the code declares, and step back down."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from openoms.infra import migrate
from openoms.infra.db import Database
from openoms.infra.schema import target_metadata


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, target_metadata)
    assert diff == []
    assert migrate.is_up_to_date(db.engine)


def test_migrations_go_down_to_nothing_and_up_again(tmp_path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(db.engine)
    migrate.downgrade(db.engine, "base")
    assert migrate.current_revision(db.engine) is None
    migrate.upgrade(db.engine)
    assert migrate.is_up_to_date(db.engine)
    db.dispose()
