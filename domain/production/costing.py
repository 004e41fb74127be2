"""Standard cost roll-up: a manufactured item's cost is what its active BOM's components
cost, scrap included, plus conversion (labour and overhead) per unit.

The rolled-up cost becomes the item's `unit_cost`, which values its stock and the work
orders that make it; whenever an item's cost changes (a BOM activated, a bought
component's cost edited) every item made from it, directly or not, is costed again, level
by level upwards."""

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError
from domain.core.journal import Entry, Journal, in_transaction
from domain.core.money import money
from domain.erp.models.stock import StockItem
from domain.production import structure
from domain.production.models import Bom, BomLine

FOUR_PLACES = Decimal("0.0001")


def unit_cost(
    lines: Sequence[tuple[Decimal, Decimal, Decimal]], conversion_cost: Decimal
) -> Decimal:
    """Cost of one unit from (quantity, scrap %, component cost) lines, to four places."""
    materials = sum(
        (structure.per_unit(quantity, scrap) * cost for quantity, scrap, cost in lines),
        Decimal(0),
    )
    return (materials + conversion_cost).quantize(FOUR_PLACES, ROUND_HALF_UP)


async def cost_of(session: AsyncSession, bom: Bom) -> Decimal:
    """The cost of one unit made by `bom`, at its components' current costs."""
    rows = await session.execute(
        select(BomLine.quantity, BomLine.scrap_percent, StockItem.unit_cost)
        .join(StockItem, StockItem.id == BomLine.component_id)
        .where(BomLine.bom_id == bom.id)
    )
    return unit_cost([tuple(row) for row in rows], bom.conversion_cost)  # type: ignore[misc]


async def roll_up(session: AsyncSession, item_ids: Iterable[int]) -> dict[int, Decimal]:
    """Cost the active BOMs of `item_ids` again, then everything made from them; returns
    the new unit cost of each item whose cost changed."""
    changed: dict[int, Decimal] = {}
    pending = set(item_ids)
    while pending:
        boms = list(
            await session.scalars(
                select(Bom)
                .where(Bom.stock_item_id.in_(pending), Bom.status == "active")
                .order_by(Bom.stock_item_id)
                .with_for_update()
            )
        )
        moved: set[int] = set()
        for bom in boms:
            cost = await cost_of(session, bom)
            bom.rolled_up_cost = cost
            item = await session.get(StockItem, bom.stock_item_id, with_for_update=True)
            assert item is not None
            if item.unit_cost != money(cost):
                item.unit_cost = money(cost)
                changed[item.id] = cost
                moved.add(item.id)
        await session.flush()
        # Only what moved can move its parents; the structure has no cycles, so this ends.
        pending = await structure.used_in(session, moved) if moved else set()
    return changed


@in_transaction("stock_item.updated")
async def component_cost_changed(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """A component's cost was edited: everything made from it is costed again. A
    manufactured item's own cost is its BOM's: edited by hand, it is refused."""
    if "unit_cost" not in event.changes:
        return
    if await structure.components_of(session, [event.entity_id]):
        raise DomainError(
            "ROLLED_UP_COST",
            "this item is manufactured: its cost is rolled up from its active bill of "
            "materials (change the components' costs or its conversion cost)",
            "unitCost",
        )
    parents = await structure.used_in(session, [event.entity_id])
    if parents:
        await roll_up(session, parents)
