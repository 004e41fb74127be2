"""Read rules of production that other contexts show: an item's active bill of materials."""

from typing import Any

from sqlalchemy import ColumnElement, Table, any_, select

from domain.production.models import Bom

BOM: Table = Bom.__table__  # type: ignore[assignment]


def active_boms(item_ids: ColumnElement[Any]) -> Any:
    """The active revision of each item in the array that is manufactured."""
    return select(BOM).where(BOM.c.stock_item_id == any_(item_ids), BOM.c.status == "active")
