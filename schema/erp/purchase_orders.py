"""Purchase orders: buying stock from suppliers and receiving it."""

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain.erp import purchase_orders
from domain.erp.models import PurchaseOrder as PurchaseOrderModel
from domain.erp.models import PurchaseOrderLine as PurchaseOrderLineModel
from domain.erp.purchase_order_states import PURCHASE_ORDER_STATUSES
from schema.core import filters
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode
from schema.core.mutations import mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import Children, ToOne
from schema.erp.stock_items import StockItem
from schema.erp.suppliers import Supplier
from schema.erp.warehouses import Warehouse

PurchaseOrderStatus = vocabulary_enum(
    "PurchaseOrderStatus", PURCHASE_ORDER_STATUSES, "Lifecycle of a purchase order."
)


@strawberry.type(description="One line of a purchase order.")
class PurchaseOrderLine(TableNode):
    MODEL = PurchaseOrderLineModel
    id: relay.NodeID[int]
    quantity: int = desc("Units ordered.")
    quantity_received: int = desc("Units received so far.")
    unit_cost: Decimal = desc("Cost per unit.")

    stock_item: StockItem | None = ToOne[StockItem]("stock_item_id").field("The item.")
    purchase_order: "PurchaseOrder | None" = ToOne["PurchaseOrder"]("purchase_order_id").field(
        "The purchase order this line belongs to."
    )


@strawberry.type(description="An order to a supplier.")
class PurchaseOrder(TableNode):
    MODEL = PurchaseOrderModel
    id: relay.NodeID[int]
    number: str = desc("Purchase order number.")
    status: PurchaseOrderStatus = desc("Lifecycle status.")
    currency: str = desc("Currency.")
    total: Decimal = desc("Total cost.")
    ordered_at: datetime = desc("When it was ordered.")
    expected_on: date | None = desc("Expected arrival.")

    supplier: Supplier | None = ToOne[Supplier]("supplier_id").field("The supplier.")
    warehouse: Warehouse | None = ToOne[Warehouse]("warehouse_id").field("The receiving warehouse.")
    lines: list[PurchaseOrderLine] = Children[PurchaseOrderLine](
        "purchase_order_id", order=("id",), estimated_items=10
    ).field("Lines.")


@strawberry.input(description="Filters for purchase orders.")
class PurchaseOrderFilter:
    status: list[PurchaseOrderStatus] | None = filters.any_of("status", "Any of these statuses.")
    supplier: relay.GlobalID | None = filters.node("supplier_id", "Supplier", "From this supplier.")
    search: str | None = filters.search("number", description="Text in the number.")
    ordered_from: datetime | None = filters.at_least("ordered_at", "Ordered at or after.")
    ordered_to: datetime | None = filters.at_most("ordered_at", "Ordered at or before.")


@strawberry.type
class PurchaseOrderQueries:
    purchase_orders = root_connection(
        PurchaseOrder,
        description="Purchase orders by order date.",
        sort=by_date("ordered_at"),
        filter=PurchaseOrderFilter,
    )


@strawberry.input(description="An item to buy.")
class PurchaseOrderLineInput:
    stock_item: strawberry.ID = strawberry.field(description="The item.")
    quantity: int = strawberry.field(description="Units.")
    unit_cost: Decimal | None = strawberry.field(
        default=None, description="Agreed cost per unit (default: the item's cost)."
    )


@strawberry.input(description="An order to a supplier.")
class PurchaseOrderCreateInput:
    supplier: strawberry.ID = strawberry.field(description="The supplier.")
    warehouse: strawberry.ID = strawberry.field(description="Receiving warehouse.")
    lines: list[PurchaseOrderLineInput] = strawberry.field(description="1 to 500 lines.")
    expected_on: date | None = strawberry.field(
        default=None, description="Expected arrival (default: today plus the lead time)."
    )
    idempotency_key: str | None = retry_key("creating a second purchase order")


@strawberry.input(description="Send a draft purchase order to its supplier.")
class PurchaseOrderPlaceInput:
    id: strawberry.ID = strawberry.field(description="The draft purchase order.")
    idempotency_key: str | None = retry_key("sending it twice")


@strawberry.input(description="Units that arrived.")
class ReceiptLineInput:
    stock_item: strawberry.ID = strawberry.field(description="The item.")
    quantity: int = strawberry.field(description="Units received.")


@strawberry.input(description="Goods received on a purchase order, in part or in full.")
class PurchaseOrderReceiveInput:
    id: strawberry.ID = strawberry.field(description="The purchase order.")
    lines: list[ReceiptLineInput] = strawberry.field(description="What arrived.")
    idempotency_key: str | None = retry_key("receiving the goods twice")


def _purchase(input: PurchaseOrderCreateInput) -> purchase_orders.PurchaseRequest:
    return purchase_orders.PurchaseRequest(
        supplier_id=decode(input.supplier, "Supplier", "supplier"),
        warehouse_id=decode(input.warehouse, "Warehouse", "warehouse"),
        lines=[
            purchase_orders.PurchaseLine(
                decode(line.stock_item, "StockItem", f"lines.{i}.stockItem"),
                line.quantity,
                line.unit_cost,
            )
            for i, line in enumerate(input.lines)
        ],
        expected_on=input.expected_on,
    )


def _receipts(input: PurchaseOrderReceiveInput) -> list[purchase_orders.Receipt]:
    return [
        purchase_orders.Receipt(
            decode(line.stock_item, "StockItem", f"lines.{i}.stockItem"), line.quantity
        )
        for i, line in enumerate(input.lines)
    ]


@strawberry.type
class PurchaseOrderMutations:
    purchase_order_create = mutation(
        PurchaseOrderCreateInput,
        PurchaseOrder,
        "Order stock from a supplier.",
        lambda input, session, journal: purchase_orders.create(
            session=session, journal=journal, request=_purchase(input)
        ),
    )
    purchase_order_place = mutation(
        PurchaseOrderPlaceInput,
        PurchaseOrder,
        "Send a draft (one the material plan suggested, say) to its supplier.",
        lambda input, session, journal: purchase_orders.place(
            session=session,
            journal=journal,
            purchase_order_id=decode(input.id, "PurchaseOrder", "id"),
        ),
    )
    purchase_order_receive = mutation(
        PurchaseOrderReceiveInput,
        PurchaseOrder,
        "Receive goods into stock; partial receipts are fine.",
        lambda input, session, journal: purchase_orders.receive(
            session=session,
            journal=journal,
            purchase_order_id=decode(input.id, "PurchaseOrder", "id"),
            receipts=_receipts(input),
        ),
    )
