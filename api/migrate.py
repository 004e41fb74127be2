"""Apply Alembic migrations from code (the CLI, `bizgraph dev` and the tests use this)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Migrate the database down to `revision`."""
    command.downgrade(alembic_config(database_url), revision)


def known_revisions() -> tuple[list[str], set[str]]:
    """(head revisions, every revision) of the packaged migrations."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(""))
    return list(scripts.get_heads()), {script.revision for script in scripts.walk_revisions()}
