"""Work orders: making a quantity of an item from its active bill of materials, through
plan, release, start, reports of output and scrap, and close (or cancel)."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.production import work_orders
from domain.production.models import WorkOrder as WorkOrderModel
from domain.production.models import WorkOrderComponent as WorkOrderComponentModel
from domain.production.states import WORK_ORDER_STATUSES
from schema.core import filters
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import Children, ToOne
from schema.production.boms import Bom

if TYPE_CHECKING:
    from schema.erp.employees import Employee
    from schema.erp.sales_orders import SalesOrderLine
    from schema.erp.stock_items import StockItem
    from schema.erp.warehouses import Warehouse

StockItemRef = Annotated["StockItem", strawberry.lazy("schema.erp.stock_items")]
WarehouseRef = Annotated["Warehouse", strawberry.lazy("schema.erp.warehouses")]
EmployeeRef = Annotated["Employee", strawberry.lazy("schema.erp.employees")]
SalesOrderLineRef = Annotated["SalesOrderLine", strawberry.lazy("schema.erp.sales_orders")]

WorkOrderStatus = vocabulary_enum(
    "WorkOrderStatus",
    WORK_ORDER_STATUSES,
    "Planned (nothing held), released (components reserved), in progress (output "
    "reported), completed (closed, variance recorded), cancelled.",
)


@strawberry.type(description="A component a work order needs, and what it holds and used.")
class WorkOrderComponent(TableNode):
    MODEL = WorkOrderComponentModel
    id: relay.NodeID[int]
    line_no: int = desc("Position, as in the bill of materials.")
    quantity_per_unit: Decimal = desc("Units per unit made, scrap included.")
    quantity_required: int = desc("Units for the whole work order (rounded up).")
    quantity_reserved: int = desc("Units reserved for it now, in its warehouse.")
    quantity_consumed: int = desc("Units used so far.")
    component: StockItemRef | None = ToOne["StockItem"]("component_id").field("The component.")
    work_order: "WorkOrder | None" = ToOne["WorkOrder"]("work_order_id").field("The work order.")


@strawberry.type(description="Making a quantity of a manufactured item.")
class WorkOrder(TableNode):
    MODEL = WorkOrderModel
    id: relay.NodeID[int]
    number: str = desc("Work order number.")
    status: WorkOrderStatus = desc("Lifecycle status.")
    quantity: int = desc("Units to make.")
    quantity_produced: int = desc("Units made so far (received into stock).")
    quantity_scrapped: int = desc("Units spoilt so far.")
    planned_start: date = desc("When making starts, as planned.")
    due_on: date = desc("When the units are due.")
    unit_cost: Decimal = desc("Standard cost per unit when planned: units made come in at it.")
    material_cost: Decimal = desc("Components consumed so far, at their cost.")
    conversion_applied: Decimal = desc(
        "Labour and overhead absorbed so far: the BOM's conversion cost per unit made or scrapped."
    )
    output_value: Decimal = desc("Units made so far, at the standard cost.")
    variance: Decimal | None = desc(
        "Consumed and absorbed less made, recorded at closing (positive: it cost more than "
        "standard)."
    )
    created_at: datetime = desc("When it was planned.")
    released_at: datetime | None = desc("When its components were reserved.")
    started_at: datetime | None = desc("When making started.")
    closed_at: datetime | None = desc("When it was completed or cancelled.")
    version: int = desc("Version for optimistic concurrency.")

    stock_item: StockItemRef | None = ToOne["StockItem"]("stock_item_id").field("What it makes.")
    bom: Bom | None = ToOne[Bom]("bom_id").field("The bill of materials revision it follows.")
    warehouse: WarehouseRef | None = ToOne["Warehouse"]("warehouse_id").field(
        "Where components come from and units go."
    )
    sales_order_line: SalesOrderLineRef | None = ToOne["SalesOrderLine"](
        "sales_order_line_id"
    ).field("The order line it was planned for, if any.")
    created_by: EmployeeRef | None = ToOne["Employee"]("created_by_id").field("Who planned it.")
    components: list[WorkOrderComponent] = Children[WorkOrderComponent](
        "work_order_id", order=("line_no",), estimated_items=10
    ).field("What it needs, holds and used.")


@strawberry.input(description="Filters for work orders.")
class WorkOrderFilter:
    status: list[WorkOrderStatus] | None = filters.any_of("status", "Any of these statuses.")
    stock_item: relay.GlobalID | None = filters.node(
        "stock_item_id", "StockItem", "Making this item."
    )
    warehouse: relay.GlobalID | None = filters.node(
        "warehouse_id", "Warehouse", "In this warehouse."
    )
    search: str | None = filters.search("number", description="Text in the number.")
    due_from: date | None = filters.at_least("due_on", "Due on or after.")
    due_to: date | None = filters.at_most("due_on", "Due on or before.")


@strawberry.type
class WorkOrderQueries:
    work_orders = root_connection(
        WorkOrder,
        description="Work orders, newest first.",
        sort=by_date("created_at"),
        filter=WorkOrderFilter,
    )


@strawberry.input(description="Plan making an item.")
class WorkOrderPlanInput:
    stock_item: strawberry.ID = strawberry.field(description="The item (it needs an active BOM).")
    warehouse: strawberry.ID = strawberry.field(
        description="Where components come from and units go."
    )
    quantity: int = strawberry.field(description="Units to make.")
    due_on: date = strawberry.field(description="When the units are due.")
    planned_start: date | None = strawberry.field(
        default=None, description="When to start (default: the due day less the lead time)."
    )
    sales_order_line: strawberry.ID | None = strawberry.field(
        default=None, description="The order line it is made for, if any."
    )
    idempotency_key: str | None = retry_key("planning a second work order")


@strawberry.input(description="Reserve a planned work order's components.")
class WorkOrderReleaseInput:
    id: strawberry.ID = strawberry.field(description="The work order.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("releasing it twice")


@strawberry.input(description="Start making a released work order.")
class WorkOrderStartInput:
    id: strawberry.ID = strawberry.field(description="The work order.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("starting it twice")


@strawberry.input(description="Units finished and spoilt since the last report.")
class WorkOrderReportInput:
    id: strawberry.ID = strawberry.field(description="The work order.")
    produced: int = strawberry.field(default=0, description="Units finished.")
    scrapped: int = strawberry.field(default=0, description="Units spoilt.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("reporting the same units twice")


@strawberry.input(description="Finish a work order.")
class WorkOrderCloseInput:
    id: strawberry.ID = strawberry.field(description="The work order.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("closing it twice")


@strawberry.input(description="Call off a work order before anything was made.")
class WorkOrderCancelInput:
    id: strawberry.ID = strawberry.field(description="The work order.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("cancelling it twice")


def _plan(input: WorkOrderPlanInput) -> work_orders.WorkOrderRequest:
    return work_orders.WorkOrderRequest(
        stock_item_id=decode(input.stock_item, "StockItem", "stockItem"),
        warehouse_id=decode(input.warehouse, "Warehouse", "warehouse"),
        quantity=input.quantity,
        due_on=input.due_on,
        planned_start=input.planned_start,
        sales_order_line_id=decode_optional(
            input.sales_order_line, "SalesOrderLine", "salesOrderLine"
        ),
    )


def _id(input: object) -> int:
    return decode(input.id, "WorkOrder", "id")  # type: ignore[attr-defined]


@strawberry.type
class WorkOrderMutations:
    work_order_plan = mutation(
        WorkOrderPlanInput,
        WorkOrder,
        "Plan making an item from its active bill of materials; nothing is reserved yet.",
        lambda input, session, journal: work_orders.plan(
            session=session, journal=journal, request=_plan(input)
        ),
    )
    work_order_release = mutation(
        WorkOrderReleaseInput,
        WorkOrder,
        "Reserve every component in the work order's warehouse; refused, naming each short "
        "component (INSUFFICIENT_STOCK), unless all are there.",
        lambda input, session, journal: work_orders.release(
            session=session, journal=journal, work_order_id=_id(input), version=input.version
        ),
    )
    work_order_start = mutation(
        WorkOrderStartInput,
        WorkOrder,
        "Start making: output and scrap may be reported.",
        lambda input, session, journal: work_orders.start(
            session=session, journal=journal, work_order_id=_id(input), version=input.version
        ),
    )
    work_order_report = mutation(
        WorkOrderReportInput,
        WorkOrder,
        "Report units finished and spoilt: their components are consumed, finished units "
        "come into stock at the standard cost. Partial reports add up.",
        lambda input, session, journal: work_orders.report(
            session=session,
            journal=journal,
            work_order_id=_id(input),
            produced=input.produced,
            scrapped=input.scrapped,
            version=input.version,
        ),
    )
    work_order_close = mutation(
        WorkOrderCloseInput,
        WorkOrder,
        "Complete a work order: remaining reservations are released and its variance "
        "(consumed less made) recorded and posted.",
        lambda input, session, journal: work_orders.close(
            session=session, journal=journal, work_order_id=_id(input), version=input.version
        ),
    )
    work_order_cancel = mutation(
        WorkOrderCancelInput,
        WorkOrder,
        "Call off a work order before anything was made; its reservations are released.",
        lambda input, session, journal: work_orders.cancel(
            session=session, journal=journal, work_order_id=_id(input), version=input.version
        ),
    )
