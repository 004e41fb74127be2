"""The one rule of archived records where they are used: nothing new may use them.

(What archiving is, and which records can be archived: `domain.flows.archiving`.)
"""

from typing import Any

from domain.core.errors import Problems


def check_in_use(problems: Problems, row: Any, entity: str, field: str) -> None:
    """A problem at `field` when `row` (a record with `archived_at`) is archived."""
    if row.archived_at is not None:
        problems.add(field, f"this {entity} is archived; restore it first")
