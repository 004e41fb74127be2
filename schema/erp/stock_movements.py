"""The stock movement ledger: every change of on-hand or reserved units, with its value at
cost, listed and grouped (movements are written by the operations that cause them only)."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.erp.models.stock import MOVEMENT_KINDS
from domain.erp.models.stock import StockMovement as StockMovementModel
from schema.core import filters
from schema.core.aggregates import aggregate_field
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.nodes import TableNode, desc
from schema.core.relations import ToOne
from schema.erp.stock_items import StockItem
from schema.erp.warehouses import Warehouse

if TYPE_CHECKING:
    from schema.erp.deliveries import Delivery
    from schema.erp.employees import Employee
    from schema.erp.purchase_orders import PurchaseOrder
    from schema.erp.sales_orders import SalesOrder

DeliveryRef = Annotated["Delivery", strawberry.lazy("schema.erp.deliveries")]
EmployeeRef = Annotated["Employee", strawberry.lazy("schema.erp.employees")]
PurchaseOrderRef = Annotated["PurchaseOrder", strawberry.lazy("schema.erp.purchase_orders")]
SalesOrderRef = Annotated["SalesOrder", strawberry.lazy("schema.erp.sales_orders")]

MovementKind = vocabulary_enum(
    "MovementKind",
    MOVEMENT_KINDS,
    "Why stock moved: goods received, reserved for an order or released again, shipped, "
    "returned by a customer, or counted and adjusted.",
)


@strawberry.type(description="One change of stock of an item in a warehouse.")
class StockMovement(TableNode):
    MODEL = StockMovementModel
    id: relay.NodeID[int]
    kind: MovementKind = desc("Why it moved.")
    delta_on_hand: int = desc("Change of the units on hand (negative when goods leave).")
    delta_reserved: int = desc("Change of the units reserved for orders.")
    value: Decimal = desc("Change of the stock's value at cost (negative when goods leave).")
    reason: str | None = desc("Why, for an adjustment.")
    occurred_at: datetime = desc("When it happened.")

    stock_item: StockItem | None = ToOne[StockItem]("stock_item_id").field("The item.")
    warehouse: Warehouse | None = ToOne[Warehouse]("warehouse_id").field("The warehouse.")
    sales_order: SalesOrderRef | None = ToOne["SalesOrder"]("sales_order_id").field(
        "The order it reserved, released or shipped for."
    )
    delivery: DeliveryRef | None = ToOne["Delivery"]("delivery_id").field(
        "The delivery that shipped it."
    )
    purchase_order: PurchaseOrderRef | None = ToOne["PurchaseOrder"]("purchase_order_id").field(
        "The purchase order it was received on."
    )
    employee: EmployeeRef | None = ToOne["Employee"]("employee_id").field("Who recorded it.")


@strawberry.input(description="Filters for stock movements.")
class StockMovementFilter:
    kind: list[MovementKind] | None = filters.any_of("kind", "Any of these kinds.")
    stock_item: relay.GlobalID | None = filters.node("stock_item_id", "StockItem", "Of this item.")
    warehouse: relay.GlobalID | None = filters.node(
        "warehouse_id", "Warehouse", "In this warehouse."
    )
    occurred_from: datetime | None = filters.at_least("occurred_at", "At or after.")
    occurred_to: datetime | None = filters.at_most("occurred_at", "At or before.")


@strawberry.type
class StockMovementQueries:
    stock_movements = root_connection(
        StockMovement,
        description="Stock movements, newest first.",
        sort=by_date("occurred_at"),
        filter=StockMovementFilter,
    )
    stock_movements_aggregate = aggregate_field(
        StockMovement,
        "Stock movements grouped, with counts and sums of units and value per group (one "
        "statement): goods shipped per category per month, shrinkage per warehouse.",
    )
