"""Read rules of production that other contexts show: an item's active bill of materials,
and what a sales order waits for: the work orders made for its lines."""

from typing import Any

from sqlalchemy import ColumnElement, Table, any_, exists, func, select

from domain.core import literal_sql
from domain.erp.models.sales_orders import SalesOrderLine
from domain.production.models import Bom, WorkOrder
from domain.production.states import OPEN_WORK_ORDER_STATUSES

BOM: Table = Bom.__table__  # type: ignore[assignment]
WORK_ORDER: Table = WorkOrder.__table__  # type: ignore[assignment]
ORDER_LINE: Table = SalesOrderLine.__table__  # type: ignore[assignment]


def active_boms(item_ids: ColumnElement[Any]) -> Any:
    """The active revision of each item in the array that is manufactured."""
    return select(BOM).where(BOM.c.stock_item_id == any_(item_ids), BOM.c.status == "active")


def promised_on(line: Any = ORDER_LINE) -> ColumnElement[Any]:
    """The day an order line's units are promised: the due day of the open work order made
    for it (the latest, if several; `materialPlanApply` links them); null when no work
    order is under way for it."""
    return (
        select(func.max(WORK_ORDER.c.due_on))
        .where(
            WORK_ORDER.c.sales_order_line_id == line.c.id,
            literal_sql.one_of(WORK_ORDER.c.status, OPEN_WORK_ORDER_STATUSES),
        )
        .scalar_subquery()
    )


def waits_on_production(order: Any) -> ColumnElement[bool]:
    """An order waits on production while a work order made for one of its lines is open."""
    line = ORDER_LINE.alias("waiting_line")
    return exists().where(
        line.c.sales_order_id == order.c.id,
        WORK_ORDER.c.sales_order_line_id == line.c.id,
        literal_sql.one_of(WORK_ORDER.c.status, OPEN_WORK_ORDER_STATUSES),
    )
