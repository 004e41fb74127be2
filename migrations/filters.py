"""What Alembic manages: our four schemas. `bi` views are written by hand in migrations."""

from domain.core.model_base import SCHEMAS


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    if type_ == "schema":
        return name in SCHEMAS
    return True
