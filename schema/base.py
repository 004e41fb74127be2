"""Shared plumbing of node types: building them from rows, resolving them by global ID."""

import dataclasses
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, ClassVar, Self

import strawberry
from sqlalchemy import Table
from sqlalchemy.engine import RowMapping
from strawberry import relay
from strawberry.types import Info

from schema.loaders import Loaders


def loaders(info: Info) -> Loaders:
    return info.context.loaders


def desc(text: str) -> Any:
    """A plain attribute field with a description (no resolver: the cheapest field there is)."""
    return strawberry.field(description=text)


class TableNode(relay.Node):
    """A Relay node backed by one table; rows become instances through `from_row`."""

    TABLE: ClassVar[Table]
    ENUMS: ClassVar[dict[str, type[Enum]]] = {}
    _columns: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def _init_fields(cls) -> tuple[str, ...]:
        if cls.__dict__.get("_columns") is None:
            cls._columns = tuple(f.name for f in dataclasses.fields(cls) if f.init)
        return cls._columns  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: RowMapping) -> Self:
        values: dict[str, Any] = {}
        for name in cls._init_fields():
            value = row[name]
            enum = cls.ENUMS.get(name)
            values[name] = enum(value) if enum is not None and value is not None else value
        return cls(**values)

    @classmethod
    def from_rows(cls, rows: Iterable[RowMapping]) -> list[Self]:
        return [cls.from_row(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [_as_int(node_id) for node_id in node_ids]
        rows = await loaders(info).by_id(cls.TABLE).load_many(ids)
        return [cls.from_row(row) if row is not None else None for row in rows]

    @classmethod
    async def load(cls, info: Info, key: int | None) -> Self | None:
        """The related row of this type by id (through the per-request loader)."""
        if key is None:
            return None
        row = await loaders(info).by_id(cls.TABLE).load(key)
        return cls.from_row(row) if row is not None else None


def _as_int(node_id: str) -> int:
    try:
        return int(node_id)
    except ValueError:
        # Not a key we ever issued: behaves exactly like a missing row.
        return -1


Converter = Callable[[Any], Any]
