"""The material plan of one warehouse: CRM demand (weighted open deals), ERP demand (orders
not reserved yet, planned work orders) and the demand forecast, netted against free stock,
open purchase orders and work orders, through every level of the bills of materials
(`domain.production.netting` does the arithmetic; this module reads the facts).

Every fact is one statement over the whole catalogue, whatever the number of items, so a
plan costs the same few statements for 300 items or 3,000.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, and_, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.analytics.models import WarehouseDemand
from domain.core.errors import NotFound, Problems
from domain.core.journal import Journal
from domain.crm.models import Opportunity, OpportunityLine
from domain.crm.opportunity_stages import OPEN_STAGES
from domain.erp import purchase_orders
from domain.erp.models.purchase_orders import PurchaseOrder, PurchaseOrderLine
from domain.erp.models.sales_orders import SalesOrder, SalesOrderLine
from domain.erp.models.stock import StockItem, StockLevel, Supplier, Warehouse
from domain.production import netting, structure, work_orders
from domain.production.models import Bom, BomLine, WorkOrder, WorkOrderComponent
from domain.production.states import OPEN_WORK_ORDER_STATUSES

MAX_HORIZON_DAYS = 365
WEEK = 7

Fetch = Callable[[Any], Awaitable[Sequence[Any]]]


@dataclass(frozen=True)
class MaterialPlan:
    warehouse_id: int
    horizon_days: int
    today: date
    items: int
    demands: int
    suggestions: list[netting.Suggestion]


async def material_plan(
    fetch: Fetch, *, warehouse_id: int, horizon_days: int, today: date
) -> MaterialPlan:
    """Plan `horizon_days` ahead for one warehouse; `fetch` runs a statement."""
    until = today + timedelta(days=horizon_days)
    items = await _items(fetch, warehouse_id)
    # Draft orders use up the forecast of the week they fall in: counted once.
    expected = netting.consume_forecast(
        [
            *await _unreserved_orders(fetch, warehouse_id, today),
            *await _forecast(fetch, warehouse_id, today, horizon_days),
        ]
    )
    demands = [
        *expected,
        *await _deals(fetch, warehouse_id, today, until),
        *await _planned_components(fetch, warehouse_id, today, until),
    ]
    supplies = [
        *await _purchases(fetch, warehouse_id, today, until),
        *await _production(fetch, warehouse_id, today, until),
    ]
    suggestions = [
        s for s in netting.plan(items, demands, supplies, today=today) if s.due_on <= until
    ]
    return MaterialPlan(warehouse_id, horizon_days, today, len(items), len(demands), suggestions)


async def _items(fetch: Fetch, warehouse_id: int) -> dict[int, netting.Item]:
    level = (
        select(StockLevel.stock_item_id, (StockLevel.on_hand - StockLevel.reserved).label("free"))
        .where(StockLevel.warehouse_id == warehouse_id)
        .subquery()
    )
    rows = await fetch(
        select(
            StockItem.id,
            func.coalesce(level.c.free, 0),
            StockItem.pack_size,
            func.coalesce(Supplier.lead_time_days, 0),
        )
        .outerjoin(level, level.c.stock_item_id == StockItem.id)
        .outerjoin(Supplier, Supplier.id == StockItem.supplier_id)
        .where(StockItem.archived_at.is_(None))
    )
    made = await fetch(
        select(
            Bom.stock_item_id,
            Bom.lead_time_days,
            BomLine.component_id,
            BomLine.quantity,
            BomLine.scrap_percent,
        )
        .join(BomLine, BomLine.bom_id == Bom.id)
        .where(Bom.status == "active")
        .order_by(Bom.stock_item_id, BomLine.line_no)
    )
    makes: dict[int, tuple[int, list[tuple[int, Decimal]]]] = {}
    for item_id, lead, component, quantity, scrap in made:
        makes.setdefault(item_id, (lead, []))[1].append(
            (component, structure.per_unit(quantity, scrap))
        )
    return {
        item_id: netting.Item(
            item_id,
            free=int(free),
            pack_size=pack,
            buy_lead_time_days=int(lead),
            make=netting.Make(*makes[item_id]) if item_id in makes else None,
        )
        for item_id, free, pack, lead in rows
    }


async def _unreserved_orders(fetch: Fetch, warehouse_id: int, today: date) -> list[netting.Demand]:
    """Draft orders hold no stock yet: their lines are demand, due now. (Placed and
    confirmed orders reserved theirs: it is out of free stock already.)"""
    rows = await fetch(
        select(SalesOrderLine.id, SalesOrderLine.stock_item_id, SalesOrderLine.quantity)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.sales_order_id)
        .where(SalesOrder.status == "draft", SalesOrder.warehouse_id == warehouse_id)
    )
    return [
        netting.Demand(item, today, Decimal(quantity), "sales_order_line", str(line))
        for line, item, quantity in rows
    ]


async def _forecast(
    fetch: Fetch, warehouse_id: int, today: date, horizon_days: int
) -> list[netting.Demand]:
    """The demand forecast the workers chose per item (by backtest), for this warehouse's
    share of it: a demand per week of the horizon."""
    rows = await fetch(
        select(WarehouseDemand.stock_item_id, WarehouseDemand.daily_demand).where(
            WarehouseDemand.warehouse_id == warehouse_id, WarehouseDemand.daily_demand > 0
        )
    )
    demands = []
    for start in range(0, horizon_days, WEEK):
        days = min(WEEK, horizon_days - start)
        on = today + timedelta(days=start)
        demands += [
            netting.Demand(item, on, Decimal(daily) * days, "forecast", on.isoformat())
            for item, daily in rows
        ]
    return demands


async def _deals(fetch: Fetch, warehouse_id: int, today: date, until: date) -> list[netting.Demand]:
    """Open deals' products, weighted by their probability, on the expected close day
    (today once it has passed): this warehouse's share of each, the share it has of the
    item's demand (all of it for the first warehouse when the item has not sold yet)."""
    first = select(func.min(Warehouse.id)).scalar_subquery()
    share = func.coalesce(WarehouseDemand.share, case((literal(warehouse_id) == first, 1), else_=0))
    closing = func.coalesce(Opportunity.expected_close_on, literal(today))
    weighted = cast(OpportunityLine.quantity, Numeric) * Opportunity.probability / 100 * share
    rows = await fetch(
        select(Opportunity.id, OpportunityLine.stock_item_id, weighted, closing)
        .join(OpportunityLine, OpportunityLine.opportunity_id == Opportunity.id)
        .outerjoin(
            WarehouseDemand,
            and_(
                WarehouseDemand.stock_item_id == OpportunityLine.stock_item_id,
                WarehouseDemand.warehouse_id == warehouse_id,
            ),
        )
        .where(Opportunity.stage.in_(OPEN_STAGES), closing <= until)
    )
    return [
        netting.Demand(item, max(on, today), Decimal(quantity), "opportunity", str(deal))
        for deal, item, quantity, on in rows
    ]


async def _planned_components(
    fetch: Fetch, warehouse_id: int, today: date, until: date
) -> list[netting.Demand]:
    """Components of planned work orders, needed on their start (released ones reserved
    theirs already)."""
    rows = await fetch(
        select(
            WorkOrder.id,
            WorkOrderComponent.component_id,
            WorkOrderComponent.quantity_required - WorkOrderComponent.quantity_reserved,
            WorkOrder.planned_start,
        )
        .join(WorkOrderComponent, WorkOrderComponent.work_order_id == WorkOrder.id)
        .where(
            WorkOrder.status == "planned",
            WorkOrder.warehouse_id == warehouse_id,
            WorkOrder.planned_start <= until,
        )
    )
    return [
        netting.Demand(item, max(start, today), Decimal(quantity), "work_order", str(order))
        for order, item, quantity, start in rows
    ]


async def _purchases(
    fetch: Fetch, warehouse_id: int, today: date, until: date
) -> list[netting.Supply]:
    expected = func.coalesce(PurchaseOrder.expected_on, literal(today))
    rows = await fetch(
        select(
            PurchaseOrder.id,
            PurchaseOrderLine.stock_item_id,
            PurchaseOrderLine.quantity - PurchaseOrderLine.quantity_received,
            expected,
        )
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(
            # Drafts count: the plan drafted them, and sends them when it is time.
            PurchaseOrder.status.in_(("draft", "ordered", "partially_received")),
            PurchaseOrder.warehouse_id == warehouse_id,
            PurchaseOrderLine.quantity > PurchaseOrderLine.quantity_received,
            expected <= until,
        )
    )
    return [
        netting.Supply(item, max(on, today), int(quantity), "purchase_order", str(order))
        for order, item, quantity, on in rows
    ]


async def _production(
    fetch: Fetch, warehouse_id: int, today: date, until: date
) -> list[netting.Supply]:
    still = WorkOrder.quantity - WorkOrder.quantity_produced - WorkOrder.quantity_scrapped
    rows = await fetch(
        select(WorkOrder.id, WorkOrder.stock_item_id, still, WorkOrder.due_on).where(
            and_(
                WorkOrder.status.in_(OPEN_WORK_ORDER_STATUSES),
                WorkOrder.warehouse_id == warehouse_id,
                WorkOrder.due_on <= until,
                still > 0,
            )
        )
    )
    return [
        netting.Supply(item, max(on, today), int(quantity), "work_order", str(order))
        for order, item, quantity, on in rows
    ]


async def apply(
    *,
    session: AsyncSession,
    journal: Journal,
    warehouse_id: int,
    horizon_days: int,
    keys: Sequence[str],
    made: list[int],
    bought: list[int],
) -> Warehouse:
    """Turn the chosen suggestions of the plan, computed afresh, into drafts: planned work
    orders, and draft purchase orders (one per supplier); their ids go to `made` and
    `bought`. A key the fresh plan no longer holds is refused (SUGGESTION_GONE)."""
    warehouse = await session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound("warehouse", "warehouse")

    async def fetch(statement: Any) -> Sequence[Any]:
        return (await session.execute(statement)).all()

    plan = await material_plan(
        fetch, warehouse_id=warehouse_id, horizon_days=horizon_days, today=date.today()
    )
    found = {suggestion.key: suggestion for suggestion in plan.suggestions}
    problems = Problems()
    if not keys:
        problems.add("suggestions", "choose at least one suggestion")
    # Each key is named by its first place in the input.
    positions = {key: position for position, key in reversed(list(enumerate(keys)))}
    chosen = []
    for key, position in sorted(positions.items(), key=lambda item: item[1]):
        if key not in found:
            problems.add(
                f"suggestions.{position}",
                f"{key} is no longer suggested: plan again",
                "SUGGESTION_GONE",
            )
        else:
            chosen.append(found[key])
    buys = [s for s in chosen if s.action == "buy"]
    suppliers: dict[int, int | None] = dict(
        (
            await session.execute(
                select(StockItem.id, StockItem.supplier_id).where(
                    StockItem.id.in_({s.item_id for s in buys})
                )
            )
        ).all()
    )
    for suggestion in buys:
        if suppliers.get(suggestion.item_id) is None:
            problems.add(
                f"suggestions.{positions[suggestion.key]}",
                "the item has no supplier to buy it from",
                "NO_SUPPLIER",
            )
    problems.raise_if_any()
    for suggestion in (s for s in chosen if s.action == "make"):
        lines = {p.reference for p in suggestion.pegs if p.source == "sales_order_line"}
        order = await work_orders.plan(
            session=session,
            journal=journal,
            request=work_orders.WorkOrderRequest(
                suggestion.item_id,
                warehouse_id,
                suggestion.quantity,
                suggestion.due_on,
                planned_start=suggestion.start_on,
                # Made for one order line alone: it says so.
                sales_order_line_id=int(next(iter(lines)))
                if len(lines) == 1 and len(suggestion.pegs) == 1
                else None,
            ),
        )
        made.append(order.id)
    per_supplier: dict[int, list[netting.Suggestion]] = {}
    for suggestion in buys:
        supplier = suppliers[suggestion.item_id]
        assert supplier is not None  # refused above
        per_supplier.setdefault(supplier, []).append(suggestion)
    for supplier_id, suggestions in sorted(per_supplier.items()):
        purchase = await purchase_orders.create(
            session=session,
            journal=journal,
            request=purchase_orders.PurchaseRequest(
                supplier_id=supplier_id,
                warehouse_id=warehouse_id,
                lines=[purchase_orders.PurchaseLine(s.item_id, s.quantity) for s in suggestions],
                # The earliest need: every line is there when the first is needed.
                expected_on=min(s.due_on for s in suggestions),
                draft=True,
            ),
        )
        bought.append(purchase.id)
    return warehouse
