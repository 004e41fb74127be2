"""Bills of materials: numbered revisions per manufactured item, drafted, then activated
(the previous active revision is archived) with their standard cost rolled up."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import archiving, validation
from domain.core.errors import DomainError, NotFound, Problems
from domain.core.journal import Journal
from domain.erp.models.stock import StockItem
from domain.production import costing, structure
from domain.production.models import Bom, BomLine
from domain.production.states import BOM_MACHINE

MAX_LINES = 200
MAX_LEAD_TIME_DAYS = 365
MAX_PER_UNIT = Decimal("1000000")


@dataclass(frozen=True)
class ComponentLine:
    component_id: int
    quantity: Decimal
    scrap_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class BomRequest:
    stock_item_id: int
    lines: Sequence[ComponentLine]
    lead_time_days: int = 1
    conversion_cost: Decimal = Decimal(0)
    notes: str | None = None
    activate: bool = False


async def create(*, session: AsyncSession, journal: Journal, request: BomRequest) -> Bom:
    """Draft the item's next revision (activated at once when asked)."""
    item = await session.get(StockItem, request.stock_item_id, with_for_update=True)
    if item is None:
        raise NotFound("stock item", "stockItem")
    problems = Problems()
    archiving.check_in_use(problems, item, "stock item", "stockItem")
    _check_lines(problems, request)
    notes = validation.text(problems, "notes", request.notes, max_length=5000, required=False)
    if not 0 <= request.lead_time_days <= MAX_LEAD_TIME_DAYS:
        problems.add("leadTimeDays", f"must be between 0 and {MAX_LEAD_TIME_DAYS}")
    validation.amount(problems, "conversionCost", request.conversion_cost)
    components = {line.component_id for line in request.lines}
    found = set(await session.scalars(select(StockItem.id).where(StockItem.id.in_(components))))
    for position, line in enumerate(request.lines):
        if line.component_id not in found:
            problems.add(f"lines.{position}.component", "stock item does not exist", "NOT_FOUND")
    problems.raise_if_any()
    await _refuse_cycle(session, item.id, components)

    # The item's row is locked: revisions are numbered one after another.
    revision = (
        await session.scalar(
            select(func.coalesce(func.max(Bom.revision), 0)).where(Bom.stock_item_id == item.id)
        )
        or 0
    ) + 1
    bom = Bom(
        stock_item_id=item.id,
        revision=revision,
        status="draft",
        lead_time_days=request.lead_time_days,
        conversion_cost=request.conversion_cost,
        notes=notes,
        created_by_id=journal.actor.employee_id,
    )
    session.add(bom)
    await session.flush()
    session.add_all(
        BomLine(
            bom_id=bom.id,
            line_no=position + 1,
            component_id=line.component_id,
            quantity=line.quantity,
            scrap_percent=line.scrap_percent,
        )
        for position, line in enumerate(request.lines)
    )
    await session.flush()
    bom.rolled_up_cost = await costing.cost_of(session, bom)
    journal.record(
        "bom.created",
        entity_type="bom",
        entity_id=bom.id,
        changes={"item": item.sku, "revision": revision, "lines": len(request.lines)},
    )
    if request.activate:
        return await activate(session=session, journal=journal, bom_id=bom.id)
    return bom


async def activate(*, session: AsyncSession, journal: Journal, bom_id: int) -> Bom:
    """Make a draft the item's active revision: work orders and the plan use it from now
    on, the previous one is archived, and the item's cost (and every cost made from it)
    is rolled up again."""
    bom = await session.get(Bom, bom_id, with_for_update=True)
    if bom is None:
        raise NotFound("bill of materials", "id")
    status = BOM_MACHINE.next(bom.status, "activate")
    components = set(
        await session.scalars(select(BomLine.component_id).where(BomLine.bom_id == bom.id))
    )
    # Other revisions may have been activated since this one was drafted.
    await _refuse_cycle(session, bom.stock_item_id, components)
    previous = await session.scalar(
        select(Bom)
        .where(Bom.stock_item_id == bom.stock_item_id, Bom.status == "active")
        .with_for_update()
    )
    if previous is not None:
        previous.status = BOM_MACHINE.next(previous.status, "archive")
        await session.flush()
    bom.status = status
    bom.activated_at = datetime.now(UTC)
    await session.flush()
    await costing.roll_up(session, [bom.stock_item_id])
    journal.record(
        "bom.activated",
        entity_type="bom",
        entity_id=bom.id,
        changes={
            "revision": bom.revision,
            "rolled_up_cost": bom.rolled_up_cost,
            "replaced_revision": previous.revision if previous is not None else None,
        },
    )
    return bom


async def archive(*, session: AsyncSession, journal: Journal, bom_id: int) -> Bom:
    """Retire a revision: an item whose active revision is archived is no longer made."""
    bom = await session.get(Bom, bom_id, with_for_update=True)
    if bom is None:
        raise NotFound("bill of materials", "id")
    bom.status = BOM_MACHINE.next(bom.status, "archive")
    await session.flush()
    journal.record("bom.archived", entity_type="bom", entity_id=bom.id)
    return bom


def _check_lines(problems: Problems, request: BomRequest) -> None:
    if not request.lines:
        problems.add("lines", "a bill of materials needs at least one component", "EMPTY_BOM")
    elif len(request.lines) > MAX_LINES:
        problems.add("lines", f"at most {MAX_LINES} components (got {len(request.lines)})")
    seen: set[int] = set()
    for position, line in enumerate(request.lines[:MAX_LINES]):
        field = f"lines.{position}"
        if line.component_id in seen:
            problems.add(f"{field}.component", "listed twice: give one line per component")
        seen.add(line.component_id)
        if not _exact(line.quantity, 4) or not 0 < line.quantity <= MAX_PER_UNIT:
            problems.add(
                f"{field}.quantity",
                f"must be greater than 0 and at most {MAX_PER_UNIT:,}, with at most four "
                "decimal places",
                "INVALID_QUANTITY",
            )
        if not _exact(line.scrap_percent, 2) or not 0 <= line.scrap_percent < 100:
            problems.add(
                f"{field}.scrapPercent",
                "must be at least 0 and below 100, with at most two decimal places",
            )


def _exact(value: Decimal, places: int) -> bool:
    try:
        return value.is_finite() and value == value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return False


async def _refuse_cycle(session: AsyncSession, item_id: int, components: set[int]) -> None:
    path = await structure.cycle_through(session, item_id, components)
    if path is None:
        return
    skus = dict(
        (
            await session.execute(
                select(StockItem.id, StockItem.sku).where(StockItem.id.in_(set(path)))
            )
        ).all()
    )
    shown = " → ".join(skus[step] for step in path)
    raise DomainError("BOM_CYCLE", f"an item would be made of itself: {shown}", "lines")
