"""Stock items: adding products to the catalogue, changing them, and correcting counted stock."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import Conflict, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.erp import stock_ledger
from domain.erp.models.stock import STOCK_CATEGORIES, StockItem, Supplier, Warehouse

MAX_REORDER_POINT = 1_000_000


async def create(*, session: AsyncSession, journal: Journal, given: Mapping[str, Any]) -> StockItem:
    """Add an item to the catalogue; its SKU must be new."""
    problems = Problems()
    sku = validation.text(problems, "sku", given.get("sku"), max_length=40)
    defaults = {"reorder_point": 0, "pack_size": 1, "description": None, "supplier_id": None}
    values = await _validated(session, {**defaults, **given}, problems)
    currency = validation.currency(problems, "currency", given.get("currency") or "EUR")
    if sku and await session.scalar(select(StockItem.id).where(StockItem.sku == sku)):
        problems.add("sku", f"{sku} already exists", "DUPLICATE")
    problems.raise_if_any()
    item = StockItem(sku=sku, currency=currency, **values)
    session.add(item)
    await session.flush()
    journal.record(
        "stock_item.created",
        entity_type="stock_item",
        entity_id=item.id,
        changes={"sku": sku, "name": item.name, "unit_price": item.unit_price},
    )
    return item


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    stock_item_id: int,
    version: int,
    given: Mapping[str, Any],
) -> StockItem:
    """Change an item's catalogue data (price, cost, reorder point, supplier, whether it is
    still sold); refuses a stale `version`. The SKU and currency stay: orders refer to them."""
    item = await session.get(StockItem, stock_item_id, with_for_update=True)
    if item is None:
        raise NotFound("stock item", "id")
    if item.version != version:
        raise Conflict("stock item")
    problems = Problems()
    values = await _validated(session, given, problems)
    problems.raise_if_any()
    changes = apply_changes(item, values)
    if changes:
        item.version += 1
        await session.flush()
        journal.record(
            "stock_item.updated", entity_type="stock_item", entity_id=item.id, changes=changes
        )
    return item


async def _validated(
    session: AsyncSession, given: Mapping[str, Any], problems: Problems
) -> dict[str, Any]:
    """The catalogue values `given` names, checked: one set of rules for create and update."""
    values = checked(problems, given)
    if "supplier_id" in given:
        supplier_id = given["supplier_id"]
        if supplier_id is not None and await session.get(Supplier, supplier_id) is None:
            problems.add("supplier", "supplier does not exist", "NOT_FOUND")
        values["supplier_id"] = supplier_id
    return values


def checked(problems: Problems, given: Mapping[str, Any]) -> dict[str, Any]:
    """The catalogue values `given` names that need no lookup, checked (problems collected):
    the rules every way of writing a stock item shares, imports included."""
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = validation.text(problems, "name", given["name"], max_length=200)
    if "description" in given:
        values["description"] = validation.text(
            problems, "description", given["description"], max_length=5000, required=False
        )
    if "category" in given:
        if given["category"] not in STOCK_CATEGORIES:
            problems.add("category", f"must be one of {', '.join(STOCK_CATEGORIES)}")
        values["category"] = given["category"]
    for name, field in (("unit_price", "unitPrice"), ("unit_cost", "unitCost")):
        if name in given:
            if given[name] is None:
                problems.add(field, "must not be empty")
            values[name] = validation.amount(problems, field, given[name])
    if "reorder_point" in given:
        reorder_point = given["reorder_point"]
        if reorder_point is None or not 0 <= reorder_point <= MAX_REORDER_POINT:
            problems.add("reorderPoint", f"must be between 0 and {MAX_REORDER_POINT:,}")
        values["reorder_point"] = reorder_point
    if "pack_size" in given:
        values["pack_size"] = validation.quantity(problems, "packSize", given["pack_size"] or 0)
    if "is_active" in given:
        if given["is_active"] is None:
            problems.add("isActive", "must not be empty")
        values["is_active"] = given["is_active"]
    return values


async def adjust(
    *,
    session: AsyncSession,
    journal: Journal,
    stock_item_id: int,
    warehouse_id: int,
    quantity: int,
    reason: str,
) -> StockItem:
    """Correct stock after a count, damage or loss; never below what is reserved."""
    problems = Problems()
    cleaned = validation.text(problems, "reason", reason, max_length=500)
    if quantity == 0 or abs(quantity) > validation.MAX_QUANTITY:
        problems.add(
            "quantity", "must be a non-zero change of at most 1,000,000 units", "INVALID_QUANTITY"
        )
    item = await session.get(StockItem, stock_item_id)
    if item is None:
        problems.collect(NotFound("stock item", "stockItem"))
    if await session.get(Warehouse, warehouse_id) is None:
        problems.collect(NotFound("warehouse", "warehouse"))
    problems.raise_if_any()
    assert item is not None and cleaned is not None
    value = await stock_ledger.move(
        session=session,
        kind="adjustment",
        changes=[stock_ledger.StockChange(item.id, warehouse_id, quantity, 0, field="quantity")],
        reference=stock_ledger.Reference(cleaned, employee_id=journal.actor.employee_id),
    )
    journal.record(
        "stock.adjusted",
        entity_type="stock_item",
        entity_id=item.id,
        changes={
            "warehouse_id": warehouse_id,
            "quantity": quantity,
            "reason": cleaned,
            "stock_value": value,
        },
    )
    return item
