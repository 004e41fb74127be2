"""ERP mutations of the warehouse: the catalogue, stock corrections and purchasing."""

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.erp import purchase_orders, stock_items
from schema import enums as e
from schema.erp_nodes import PurchaseOrder, StockItem
from schema.mutations.base import INPUT, decode, decode_optional, payload, run
from schema.text import LONG_TEXT


@strawberry.input(description="A new product or service in the catalogue.")
class StockItemCreateInput:
    sku: str = strawberry.field(description="Unique stock keeping unit (at most 40 characters).")
    name: str = strawberry.field(description="Name.")
    category: e.StockCategory = strawberry.field(description="Category (price rules use it).")
    unit_price: Decimal = strawberry.field(description="List price before tier discounts.")
    unit_cost: Decimal = strawberry.field(description="Purchase cost.")
    currency: str = strawberry.field(default="EUR", description="ISO 4217 currency of prices.")
    description: str | None = strawberry.field(
        default=None, description="Description (at most 5,000 characters).", metadata=LONG_TEXT
    )
    reorder_point: int = strawberry.field(default=0, description="Reorder below this.")
    pack_size: int = strawberry.field(default=1, description="Units per pack when reordering.")
    supplier: strawberry.ID | None = strawberry.field(default=None, description="Supplier.")


@strawberry.input(description="A correction of counted stock.")
class StockAdjustInput:
    stock_item: strawberry.ID = strawberry.field(description="The item.")
    warehouse: strawberry.ID = strawberry.field(description="The warehouse.")
    quantity: int = strawberry.field(
        description="Units to add (positive) or remove (negative); never below what is reserved."
    )
    reason: str = strawberry.field(description="Why (required): count, damage, loss…")


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


@strawberry.input(description="Units that arrived.")
class ReceiptLineInput:
    stock_item: strawberry.ID = strawberry.field(description="The item.")
    quantity: int = strawberry.field(description="Units received.")


@strawberry.input(description="Goods received on a purchase order, in part or in full.")
class PurchaseOrderReceiveInput:
    id: strawberry.ID = strawberry.field(description="The purchase order.")
    lines: list[ReceiptLineInput] = strawberry.field(description="What arrived.")


StockItemCreatePayload = payload(
    "StockItemCreatePayload", "stockItem", StockItem, "Result of stockItemCreate."
)
StockAdjustPayload = payload("StockAdjustPayload", "stockItem", StockItem, "Result of stockAdjust.")
PurchaseOrderCreatePayload = payload(
    "PurchaseOrderCreatePayload", "purchaseOrder", PurchaseOrder, "Result of purchaseOrderCreate."
)
PurchaseOrderReceivePayload = payload(
    "PurchaseOrderReceivePayload",
    "purchaseOrder",
    PurchaseOrder,
    "Result of purchaseOrderReceive.",
)


@strawberry.type
class StockMutations:
    @strawberry.mutation(description="Add an item to the catalogue.")
    async def stock_item_create(
        self, info: Info, input: Annotated[StockItemCreateInput, INPUT]
    ) -> StockItemCreatePayload:
        def values() -> dict[str, object]:
            return {
                "sku": input.sku,
                "name": input.name,
                "category": input.category.value,
                "unit_price": input.unit_price,
                "unit_cost": input.unit_cost,
                "currency": input.currency,
                "description": input.description,
                "reorder_point": input.reorder_point,
                "pack_size": input.pack_size,
                "supplier_id": decode_optional(input.supplier, "Supplier", "supplier"),
            }

        return await run(
            info,
            StockItemCreatePayload,
            lambda session, journal: stock_items.create(
                session=session, journal=journal, given=values()
            ),
            input=input,
        )

    @strawberry.mutation(description="Correct stock in a warehouse (a reason is required).")
    async def stock_adjust(
        self, info: Info, input: Annotated[StockAdjustInput, INPUT]
    ) -> StockAdjustPayload:
        return await run(
            info,
            StockAdjustPayload,
            lambda session, journal: stock_items.adjust(
                session=session,
                journal=journal,
                stock_item_id=decode(input.stock_item, "StockItem", "stockItem"),
                warehouse_id=decode(input.warehouse, "Warehouse", "warehouse"),
                quantity=input.quantity,
                reason=input.reason,
            ),
            input=input,
        )

    @strawberry.mutation(description="Order stock from a supplier.")
    async def purchase_order_create(
        self, info: Info, input: Annotated[PurchaseOrderCreateInput, INPUT]
    ) -> PurchaseOrderCreatePayload:
        def request() -> purchase_orders.PurchaseRequest:
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

        return await run(
            info,
            PurchaseOrderCreatePayload,
            lambda session, journal: purchase_orders.create(
                session=session, journal=journal, request=request()
            ),
            input=input,
        )

    @strawberry.mutation(description="Receive goods into stock; partial receipts are fine.")
    async def purchase_order_receive(
        self, info: Info, input: Annotated[PurchaseOrderReceiveInput, INPUT]
    ) -> PurchaseOrderReceivePayload:
        return await run(
            info,
            PurchaseOrderReceivePayload,
            lambda session, journal: purchase_orders.receive(
                session=session,
                journal=journal,
                purchase_order_id=decode(input.id, "PurchaseOrder", "id"),
                receipts=[
                    purchase_orders.Receipt(
                        decode(line.stock_item, "StockItem", f"lines.{i}.stockItem"),
                        line.quantity,
                    )
                    for i, line in enumerate(input.lines)
                ],
            ),
            input=input,
        )
