"""Stock items and their stock per warehouse: the catalogue, its root list, adding and
changing items, correcting counted stock."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.analytics import reads as figures
from domain.erp import on_order, stock_items, stock_position
from domain.erp.models import StockItem as StockItemModel
from domain.erp.models import StockLevel as StockLevelModel
from domain.erp.models.stock import STOCK_CATEGORIES
from domain.production import reads as production
from schema.core import filters, sql
from schema.core.connections import fixed, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import enum_value, given, mutation, retry_key
from schema.core.nodes import TableNode, desc, row_value
from schema.core.relations import Children, Computed, RowOf, RowsOf, ToOne
from schema.core.text import LONG_TEXT
from schema.erp.warehouses import Warehouse

if TYPE_CHECKING:
    from schema.analytics.replenishment import Replenishment
    from schema.erp.purchase_orders import PurchaseOrder
    from schema.erp.suppliers import Supplier
    from schema.production.boms import Bom

SupplierRef = Annotated["Supplier", strawberry.lazy("schema.erp.suppliers")]
PurchaseOrderRef = Annotated["PurchaseOrder", strawberry.lazy("schema.erp.purchase_orders")]
ReplenishmentRef = Annotated["Replenishment", strawberry.lazy("schema.analytics.replenishment")]
BomRef = Annotated["Bom", strawberry.lazy("schema.production.boms")]

StockCategory = vocabulary_enum("StockCategory", STOCK_CATEGORIES, "Product category.")

# On hand, reserved and available over all warehouses, from one statement.
TOTALS = sql.row_per_key("stock_totals", stock_position.item_totals, key="stock_item_id")
ACTIVE_BOM = sql.row_per_key("active_bom", production.active_boms, key="stock_item_id")
EXPECTING = sql.rows_per_key("open_purchase_orders", on_order.orders_expecting, key="_item")
REPLENISHMENT = sql.row_per_key(
    "replenishment", figures.replenishment_of_items, key="stock_item_id"
)
WAREHOUSE_REPLENISHMENT = sql.row_per_key(
    "warehouse_replenishment", figures.replenishment_of_stock_levels, key="stock_level_id"
)


@strawberry.type(description="Stock of one item in one warehouse.")
class StockLevel(TableNode):
    MODEL = StockLevelModel
    id: relay.NodeID[int]
    on_hand: int = desc("Units physically in the warehouse.")
    reserved: int = desc("Units reserved for open orders.")

    available: int = row_value(
        stock_position.available, "Units that can still be sold (on hand minus reserved)."
    )
    warehouse: Warehouse | None = ToOne[Warehouse]("warehouse_id").field("The warehouse.")
    stock_item: "StockItem | None" = ToOne["StockItem"]("stock_item_id").field("The stock item.")
    replenishment: ReplenishmentRef | None = RowOf["Replenishment"](
        WAREHOUSE_REPLENISHMENT, present="stock_level_id"
    ).field(
        "This warehouse's part of the item's demand forecast (its share of the item's recent "
        "sales) and its own reorder suggestion; null until computed."
    )


@strawberry.type(description="A product or service the company sells.")
class StockItem(TableNode):
    MODEL = StockItemModel
    id: relay.NodeID[int]
    sku: str = desc("Stock keeping unit.")
    name: str = desc("Name.")
    category: StockCategory = desc("Category (price rules may depend on it).")
    description: str | None = desc("Description.")
    unit_price: Decimal = desc("List price before tier discounts.")
    unit_cost: Decimal | None = desc("Purchase cost (restricted to warehouse, finance, admins).")
    currency: str = desc("Currency of prices.")
    reorder_point: int = desc(
        "Reorder when available stock plus what is on order is at or below this."
    )
    pack_size: int = desc("Units per pack when reordering.")
    is_active: bool = desc("Still sold.")
    version: int = desc("Version for optimistic concurrency.")
    archived_at: datetime | None = desc(
        "When it was archived: left out of lists, kept for what refers to it; null while in use."
    )
    external_source: str | None = desc("The system it was imported from, if imported.")
    external_id: str | None = desc("Its id in that system (unique there; imports upsert by it).")

    on_hand: int = Computed(TOTALS, "on_hand", 0).field("Units on hand over all warehouses.")
    reserved: int = Computed(TOTALS, "reserved", 0).field(
        "Units reserved for open orders over all warehouses."
    )
    available: int = Computed(TOTALS, "available", 0).field(
        "Units available to sell over all warehouses."
    )
    stock_levels: list[StockLevel] = Children[StockLevel](
        "stock_item_id", order=("warehouse_id",), estimated_items=5
    ).field("Stock per warehouse.")
    supplier: SupplierRef | None = ToOne["Supplier"]("supplier_id").field("The preferred supplier.")
    replenishment: ReplenishmentRef | None = RowOf["Replenishment"](
        REPLENISHMENT, present="stock_item_id"
    ).field("Demand forecast and reorder suggestion; null until computed.")
    open_purchase_orders: list[PurchaseOrderRef] | None = RowsOf["PurchaseOrder"](
        EXPECTING, estimated_items=5
    ).field("Purchase orders still expecting this item.")
    active_bom: BomRef | None = RowOf["Bom"](ACTIVE_BOM, present="id").field(
        "The bill of materials it is made by; null for an item that is bought."
    )
    boms: list[BomRef] | None = Children["Bom"](
        "stock_item_id", order=("-revision",), estimated_items=3
    ).field("Every revision of its bill of materials, the newest first.")


@strawberry.input(description="Filters for stock items.")
class StockItemFilter:
    category: list[StockCategory] | None = filters.any_of("category", "Any of these categories.")
    search: str | None = filters.search("sku", "name", description="Text in SKU or name.")
    supplier: relay.GlobalID | None = filters.node("supplier_id", "Supplier", "Preferred supplier.")
    below_reorder_point: bool | None = filters.rule(
        stock_position.item_at_reorder_point,
        "Only items whose available stock plus what is on order is at or below their "
        "reorder point.",
        negatable=False,
    )
    active: bool | None = filters.equals(
        "is_active", "Only items still sold (true) or no longer sold (false)."
    )
    include_archived: bool | None = filters.include_archived()


@strawberry.type
class StockItemQueries:
    stock_items = root_connection(
        StockItem, description="Stock items by SKU.", sort=fixed("sku"), filter=StockItemFilter
    )


@strawberry.input(description="A new product or service in the catalogue.")
class StockItemCreateInput:
    sku: str = strawberry.field(description="Unique stock keeping unit (at most 40 characters).")
    name: str = strawberry.field(description="Name.")
    category: StockCategory = strawberry.field(description="Category (price rules use it).")
    unit_price: Decimal = strawberry.field(description="List price before tier discounts.")
    unit_cost: Decimal = strawberry.field(description="Purchase cost.")
    currency: str = strawberry.field(default="EUR", description="ISO 4217 currency of prices.")
    description: str | None = strawberry.field(
        default=None, description="Description (at most 5,000 characters).", metadata=LONG_TEXT
    )
    reorder_point: int = strawberry.field(default=0, description="Reorder below this.")
    pack_size: int = strawberry.field(default=1, description="Units per pack when reordering.")
    supplier: strawberry.ID | None = strawberry.field(default=None, description="Supplier.")
    idempotency_key: str | None = retry_key("creating a second stock item")


@strawberry.input(description="A correction of counted stock.")
class StockAdjustInput:
    stock_item: strawberry.ID = strawberry.field(description="The item.")
    warehouse: strawberry.ID = strawberry.field(description="The warehouse.")
    quantity: int = strawberry.field(
        description="Units to add (positive) or remove (negative); never below what is reserved."
    )
    reason: str = strawberry.field(description="Why (required): count, damage, loss…")
    idempotency_key: str | None = retry_key("adjusting the stock twice")


@strawberry.input(description="Changes to a catalogue item; fields left out keep their value.")
class StockItemUpdateInput:
    id: strawberry.ID = strawberry.field(description="The item.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    category: StockCategory | None = strawberry.field(
        default=strawberry.UNSET, description="Category (price rules use it)."
    )
    unit_price: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="List price before tier discounts; orders placed from now on pay it.",
    )
    unit_cost: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Purchase cost."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Description; null clears it.", metadata=LONG_TEXT
    )
    reorder_point: int | None = strawberry.field(
        default=strawberry.UNSET, description="Reorder below this."
    )
    pack_size: int | None = strawberry.field(
        default=strawberry.UNSET, description="Units per pack when reordering."
    )
    supplier: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Supplier; null clears it."
    )
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Still sold; false takes the item out of the catalogue (its history stays).",
    )


def _changes(input: StockItemUpdateInput) -> dict[str, object]:
    values = given(
        input,
        "name",
        "unit_price",
        "unit_cost",
        "description",
        "reorder_point",
        "pack_size",
        "is_active",
    )
    if input.category is not strawberry.UNSET:
        values["category"] = enum_value(input.category)
    if input.supplier is not strawberry.UNSET:
        values["supplier_id"] = decode_optional(input.supplier, "Supplier", "supplier")
    return values


def _item(input: StockItemCreateInput) -> dict[str, object]:
    return {
        "sku": input.sku,
        "name": input.name,
        "category": enum_value(input.category),
        "unit_price": input.unit_price,
        "unit_cost": input.unit_cost,
        "currency": input.currency,
        "description": input.description,
        "reorder_point": input.reorder_point,
        "pack_size": input.pack_size,
        "supplier_id": decode_optional(input.supplier, "Supplier", "supplier"),
    }


@strawberry.type
class StockItemMutations:
    stock_item_create = mutation(
        StockItemCreateInput,
        StockItem,
        "Add an item to the catalogue.",
        lambda input, session, journal: stock_items.create(
            session=session, journal=journal, given=_item(input)
        ),
    )
    stock_item_update = mutation(
        StockItemUpdateInput,
        StockItem,
        "Change a catalogue item: price, cost, reorder point, supplier, or whether it is sold.",
        lambda input, session, journal: stock_items.update(
            session=session,
            journal=journal,
            stock_item_id=decode(input.id, "StockItem", "id"),
            version=input.version,
            given=_changes(input),
        ),
    )
    stock_adjust = mutation(
        StockAdjustInput,
        StockItem,
        "Correct stock in a warehouse (a reason is required).",
        lambda input, session, journal: stock_items.adjust(
            session=session,
            journal=journal,
            stock_item_id=decode(input.stock_item, "StockItem", "stockItem"),
            warehouse_id=decode(input.warehouse, "Warehouse", "warehouse"),
            quantity=input.quantity,
            reason=input.reason,
        ),
    )
