"""How items are built from one another, through their active bills of materials: what an
item is made of, what it is used in, and the cycles that must never form."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.production.models import Bom, BomLine

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Component:
    """One line of an active BOM: units of `component_id` per unit made, scrap included."""

    component_id: int
    per_unit: Decimal


def per_unit(quantity: Decimal, scrap_percent: Decimal) -> Decimal:
    """Units consumed per unit made: the BOM's quantity plus what is lost in making."""
    return quantity * (1 + scrap_percent / HUNDRED)


async def components_of(
    session: AsyncSession, item_ids: Iterable[int]
) -> dict[int, list[Component]]:
    """The active BOM lines of each item that has one (items without are bought)."""
    rows = await session.execute(
        select(Bom.stock_item_id, BomLine.component_id, BomLine.quantity, BomLine.scrap_percent)
        .join(BomLine, BomLine.bom_id == Bom.id)
        .where(Bom.stock_item_id.in_(set(item_ids)), Bom.status == "active")
        .order_by(Bom.stock_item_id, BomLine.line_no)
    )
    found: dict[int, list[Component]] = {}
    for item_id, component_id, quantity, scrap in rows:
        found.setdefault(item_id, []).append(Component(component_id, per_unit(quantity, scrap)))
    return found


async def used_in(session: AsyncSession, item_ids: Iterable[int]) -> set[int]:
    """Items whose active BOM lists one of `item_ids` as a component."""
    rows = await session.scalars(
        select(Bom.stock_item_id)
        .join(BomLine, BomLine.bom_id == Bom.id)
        .where(BomLine.component_id.in_(set(item_ids)), Bom.status == "active")
        .distinct()
    )
    return set(rows)


async def cycle_through(
    session: AsyncSession, item_id: int, component_ids: Iterable[int]
) -> list[int] | None:
    """The path back to `item_id` if it were made of `component_ids`: each component's
    active structure explored level by level (one statement per level); None if none."""
    parent: dict[int, int] = {}
    frontier = set(component_ids)
    for component in frontier:
        parent[component] = item_id
    while frontier:
        if item_id in frontier:
            path = [item_id]
            step = parent[item_id]
            while step != item_id:
                path.append(step)
                step = parent[step]
            return [item_id, *reversed(path[1:]), item_id]
        below = await components_of(session, frontier)
        next_frontier: set[int] = set()
        for made, lines in below.items():
            for line in lines:
                if line.component_id not in parent or line.component_id == item_id:
                    parent[line.component_id] = made
                    next_frontier.add(line.component_id)
        frontier = next_frontier
    return None
