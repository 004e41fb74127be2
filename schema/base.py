"""Shared plumbing of node types: building them from rows, resolving them by global ID."""

from collections.abc import Iterable
from typing import Any, ClassVar, Self

import strawberry
from sqlalchemy import Table
from strawberry import relay
from strawberry.types import Info

from domain.core.reads import Row
from schema.loaders import Loaders
from schema.relations import Relation


def loaders(info: Info) -> Loaders:
    return info.context.loaders


def desc(text: str) -> Any:
    """A plain attribute field with a description (no resolver: the cheapest field there is)."""
    return strawberry.field(description=text)


class FromRow:
    """A GraphQL object made straight from a database row.

    Rows become the instance's attributes as they are: no dataclass `__init__`, no per-field
    conversion. Enum fields keep the stored lowercase value, which the GraphQL enum serialises
    by a dictionary lookup (cheaper than building Python enum members first).
    """

    RELATIONS: ClassVar[dict[str, Relation]] = {}

    @classmethod
    def from_row(cls, row: Row) -> Self:
        obj = cls.__new__(cls)
        obj.__dict__.update(row.items())
        return obj

    @classmethod
    def from_rows(cls, rows: Iterable[Row]) -> list[Self]:
        return [cls.from_row(row) for row in rows]


class TableNode(FromRow, relay.Node):
    """A Relay node backed by one table."""

    TABLE: ClassVar[Table]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [as_key(node_id) for node_id in node_ids]
        rows = await loaders(info).by_id(cls.TABLE).load_many(ids)
        return [cls.from_row(row) if row is not None else None for row in rows]


BIGINT_MAX = 2**63 - 1
_MAX_KEY_DIGITS = len(str(BIGINT_MAX))


def parse_key(node_id: str) -> int | None:
    """The database key a node ID's key part names, or None when it cannot name one.

    Only ASCII digits, as we issue them: Python's `int()` also takes signs, spaces, `_` and
    non-ASCII digits, and keys past bigint reach the driver, which fails on them (a 500).
    """
    if not (node_id.isascii() and node_id.isdigit()) or len(node_id) > _MAX_KEY_DIGITS:
        return None
    key = int(node_id)
    return key if key <= BIGINT_MAX else None


def as_key(node_id: str) -> int:
    """The database key of a node ID's key part; -1 (no such row) for anything else."""
    key = parse_key(node_id)
    return -1 if key is None else key
