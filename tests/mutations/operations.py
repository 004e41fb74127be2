"""GraphQL documents and small builders shared by the business-operation tests."""

from decimal import Decimal
from typing import Any

from strawberry.relay import from_base64

from tests.mutations.conftest import Execute, World

ERRORS = "errors { field message code }"

CUSTOMER_CREATE = f"""mutation($input: CustomerCreateInput!) {{
  customerCreate(input: $input) {{ customer {{ id code tier status version }} {ERRORS} }} }}"""
STOCK_ITEM_CREATE = f"""mutation($input: StockItemCreateInput!) {{
  stockItemCreate(input: $input) {{ stockItem {{ id sku }} {ERRORS} }} }}"""
STOCK_ADJUST = f"""mutation($input: StockAdjustInput!) {{
  stockAdjust(input: $input) {{ stockItem {{ id onHand reserved available }} {ERRORS} }} }}"""
ORDER_PLACE = f"""mutation($input: SalesOrderPlaceInput!) {{
  salesOrderPlace(input: $input) {{
    salesOrder {{ id number status subtotal discountTotal taxTotal total version
      lines {{ id quantity listPrice discountPercent unitPrice lineTotal taxAmount }} }}
    {ERRORS} }} }}"""


def key(global_id: str) -> int:
    return int(from_base64(global_id)[1])


async def create_customer(execute: Execute, **fields: Any) -> dict[str, Any]:
    result = await execute(CUSTOMER_CREATE, {"input": {"name": "Acme GmbH", **fields}})
    payload = result["customerCreate"]
    assert payload["errors"] == [], payload["errors"]
    return payload["customer"]  # type: ignore[no-any-return]


async def create_item(
    execute: Execute,
    world: World,
    *,
    sku: str,
    price: str,
    stock: int = 0,
    category: str = "HARDWARE",
    warehouse: int | None = None,
) -> str:
    """A stock item with `stock` units counted into a warehouse; returns its global ID."""
    result = await execute(
        STOCK_ITEM_CREATE,
        {
            "input": {
                "sku": sku,
                "name": f"Item {sku}",
                "category": category,
                "unitPrice": price,
                "unitCost": str((Decimal(price) / 2).quantize(Decimal("0.01"))),
                "supplier": World.gid("Supplier", world.supplier),
            }
        },
    )
    payload = result["stockItemCreate"]
    assert payload["errors"] == [], payload["errors"]
    item_id: str = payload["stockItem"]["id"]
    if stock:
        await adjust(execute, world, item_id, stock, warehouse=warehouse)
    return item_id


async def adjust(
    execute: Execute, world: World, item_id: str, quantity: int, *, warehouse: int | None = None
) -> dict[str, Any]:
    result = await execute(
        STOCK_ADJUST,
        {
            "input": {
                "stockItem": item_id,
                "warehouse": World.gid("Warehouse", warehouse or world.warehouse),
                "quantity": quantity,
                "reason": "Stock count",
            }
        },
    )
    return result["stockAdjust"]  # type: ignore[no-any-return]


async def place(
    execute: Execute,
    world: World,
    customer_id: str,
    lines: list[tuple[str, int]],
    **extra: Any,
) -> dict[str, Any]:
    """Place an order from (item ID, quantity) pairs; returns the payload."""
    result = await execute(
        ORDER_PLACE,
        {
            "input": {
                "customer": customer_id,
                "lines": [{"stockItem": item, "quantity": qty} for item, qty in lines],
                "warehouse": World.gid("Warehouse", world.warehouse),
                **extra,
            }
        },
        viewer=extra.pop("viewer", None),
    )
    return result["salesOrderPlace"]  # type: ignore[no-any-return]
