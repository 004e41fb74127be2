"""Stock items: adding products to the catalogue and correcting counted stock."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import NotFound, Problems
from domain.core.journal import Journal
from domain.erp import stock_ledger
from domain.erp.models.stock import STOCK_CATEGORIES, StockItem, Supplier, Warehouse

MAX_REORDER_POINT = 1_000_000


async def create(*, session: AsyncSession, journal: Journal, given: Mapping[str, Any]) -> StockItem:
    """Add an item to the catalogue; its SKU must be new."""
    problems = Problems()
    sku = validation.text(problems, "sku", given.get("sku"), max_length=40)
    name = validation.text(problems, "name", given.get("name"), max_length=200)
    description = validation.text(
        problems, "description", given.get("description"), max_length=5000, required=False
    )
    category = given.get("category")
    if category not in STOCK_CATEGORIES:
        problems.add("category", f"must be one of {', '.join(STOCK_CATEGORIES)}")
    unit_price = validation.amount(problems, "unitPrice", given.get("unit_price"))
    unit_cost = validation.amount(problems, "unitCost", given.get("unit_cost"))
    currency = validation.currency(problems, "currency", given.get("currency") or "EUR")
    reorder_point = int(given.get("reorder_point") or 0)
    if not 0 <= reorder_point <= MAX_REORDER_POINT:
        problems.add("reorderPoint", f"must be between 0 and {MAX_REORDER_POINT:,}")
    pack_size = validation.quantity(problems, "packSize", int(given.get("pack_size") or 1))
    supplier_id = given.get("supplier_id")
    if supplier_id is not None and await session.get(Supplier, supplier_id) is None:
        problems.add("supplier", "supplier does not exist", "NOT_FOUND")
    if sku and await session.scalar(select(StockItem.id).where(StockItem.sku == sku)):
        problems.add("sku", f"{sku} already exists", "DUPLICATE")
    problems.raise_if_any()
    item = StockItem(
        sku=sku,
        name=name,
        category=category,
        description=description,
        unit_price=unit_price if unit_price is not None else Decimal("0"),
        unit_cost=unit_cost if unit_cost is not None else Decimal("0"),
        currency=currency,
        reorder_point=reorder_point,
        pack_size=pack_size,
        supplier_id=supplier_id,
    )
    session.add(item)
    await session.flush()
    journal.record(
        "stock_item.created",
        entity_type="stock_item",
        entity_id=item.id,
        changes={"sku": sku, "name": name, "unit_price": item.unit_price},
    )
    return item


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
    await stock_ledger.move(
        session=session,
        kind="adjustment",
        changes=[stock_ledger.StockChange(item.id, warehouse_id, quantity, 0, field="quantity")],
        reference=stock_ledger.Reference(cleaned, employee_id=journal.actor.employee_id),
    )
    journal.record(
        "stock.adjusted",
        entity_type="stock_item",
        entity_id=item.id,
        changes={"warehouse_id": warehouse_id, "quantity": quantity, "reason": cleaned},
    )
    return item
