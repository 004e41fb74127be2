"""Production in the demo company: a few manufactured products with two-level bills of
materials, work orders in every status, and open deals that would sell the products.

It is not part of the generated history (which ends at midnight): `bizgraph seed` and
`bizgraph dev` add it after loading, through the production services themselves, as what
happened first today — so stock, reservations, costs, ledger postings, audit rows and
events hold together by construction."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.access import Viewer
from domain.core.journal import Journal
from domain.core.sessions import create_engine, session_factory
from domain.crm.models import Opportunity
from domain.crm.opportunity_stages import OPEN_STAGES
from domain.erp import stock_items
from domain.erp.models.stock import StockItem, StockLevel, Warehouse
from domain.flows import deals
from domain.production import boms, work_orders

# (sku, name, price, conversion cost, [(component index, quantity, scrap %)]) — component
# indexes point into the bought parts chosen below.
SUBASSEMBLIES = (
    ("MFG-SUB-001", "Core module", "180.00", "12.00", [(0, "2", "2"), (1, "1", "0")]),
    ("MFG-SUB-002", "Power unit", "95.00", "6.50", [(2, "1", "5"), (3, "4", "0")]),
    ("MFG-SUB-003", "Sensor pack", "140.00", "9.00", [(4, "3", "1.5"), (5, "0.5", "0")]),
)
# (sku, name, price, conversion cost, lead days, [(subassembly index, quantity)],
#  [(bought part index, quantity)])
PRODUCTS = (
    ("MFG-PRD-001", "Edge station", "690.00", "35.00", 3, [(0, "1"), (1, "1")], [(6, "2")]),
    ("MFG-PRD-002", "Field gateway", "540.00", "28.00", 2, [(1, "1"), (2, "1")], [(7, "1")]),
    ("MFG-PRD-003", "Lab analyser", "1250.00", "60.00", 5, [(0, "2"), (2, "1")], [(6, "4")]),
)
PARTS_NEEDED = 8
DEALS_WITH_PRODUCTS = 12
# Units of each bought part the work orders below can use, at most.
PART_STOCK = 250


@dataclass(frozen=True)
class ProductionReport:
    boms: int
    work_orders: int
    deals: int = 0

    def __str__(self) -> str:
        return (
            f"{self.boms} bills of materials, {self.work_orders} work orders, "
            f"{self.deals} open deals with products"
        )


async def add_production(database_url: str) -> ProductionReport:
    """Bills of materials and work orders for a freshly seeded demo, in one transaction."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await seed_production(session)
    finally:
        await engine.dispose()


async def seed_production(session: AsyncSession) -> ProductionReport:
    today = date.today()
    journal = Journal(actor=Viewer.system(), request_id="demo-seed")
    warehouse = await session.scalar(select(Warehouse.id).order_by(Warehouse.id).limit(1))
    if warehouse is None:
        return ProductionReport(0, 0)
    # The bought parts most available in the main warehouse, the same ones every time;
    # topped up by a stock count where a small demo has too few.
    rows = await session.execute(
        select(StockItem.id, StockLevel.on_hand - StockLevel.reserved)
        .join(StockLevel, StockLevel.stock_item_id == StockItem.id)
        .where(
            StockLevel.warehouse_id == warehouse,
            StockItem.category.in_(("hardware", "accessories")),
        )
        .order_by((StockLevel.on_hand - StockLevel.reserved).desc(), StockItem.sku)
        .limit(PARTS_NEEDED)
    )
    stocked = rows.all()
    if len(stocked) < PARTS_NEEDED:
        return ProductionReport(0, 0)
    parts = [item_id for item_id, _ in stocked]
    for item_id, available in stocked:
        if available < PART_STOCK:
            await stock_items.adjust(
                session=session,
                journal=journal,
                stock_item_id=item_id,
                warehouse_id=warehouse,
                quantity=PART_STOCK - available,
                reason="Stock count before production started",
            )
    made = 0
    subassemblies = []
    for sku, name, price, conversion, lines in SUBASSEMBLIES:
        item = await _item(session, journal, sku, name, price)
        await _bom(session, journal, item, conversion, 1, [(parts[i], q, s) for i, q, s in lines])
        subassemblies.append(item)
        made += 1
    products = []
    for sku, name, price, conversion, lead, subs, bought in PRODUCTS:
        item = await _item(session, journal, sku, name, price)
        lines = [(subassemblies[i], q, "0") for i, q in subs]
        lines += [(parts[i], q, "0") for i, q in bought]
        await _bom(session, journal, item, conversion, lead, lines)
        products.append(item)
        made += 1
    # A second revision in draft: an engineering change not yet in force.
    await boms.create(
        session=session,
        journal=journal,
        request=boms.BomRequest(
            stock_item_id=products[0],
            lines=[
                boms.ComponentLine(subassemblies[0], Decimal(1)),
                boms.ComponentLine(subassemblies[1], Decimal(1)),
                boms.ComponentLine(parts[6], Decimal(1)),
            ],
            lead_time_days=3,
            conversion_cost=Decimal("38.00"),
            notes="One fewer mounting kit; awaiting sign-off.",
        ),
    )
    made += 1

    async def order(item: int, quantity: int, days: int) -> int:
        planned = await work_orders.plan(
            session=session,
            journal=journal,
            request=work_orders.WorkOrderRequest(
                item, warehouse, quantity, today + timedelta(days=days)
            ),
        )
        return planned.id

    async def run(*steps: Callable[..., Awaitable[object]], order_id: int) -> None:
        for step in steps:
            await step(session=session, journal=journal, work_order_id=order_id)

    async def report(order_id: int, produced: int, scrapped: int = 0) -> None:
        await work_orders.report(
            session=session,
            journal=journal,
            work_order_id=order_id,
            produced=produced,
            scrapped=scrapped,
        )

    release, start, close = work_orders.release, work_orders.start, work_orders.close
    count = 0
    # Subassemblies made in full (completed), so the products have what they need.
    for item, quantity in zip(subassemblies, (30, 30, 24), strict=True):
        order_id = await order(item, quantity, 7)
        await run(release, start, order_id=order_id)
        await report(order_id, quantity - 1, scrapped=1)
        await run(close, order_id=order_id)
        count += 1
    # Products: one completed, one in progress, one released, two planned, one cancelled.
    completed = await order(products[0], 8, 10)
    await run(release, start, order_id=completed)
    await report(completed, 8)
    await run(close, order_id=completed)
    running = await order(products[1], 10, 6)
    await run(release, start, order_id=running)
    await report(running, 5, scrapped=1)
    await run(release, order_id=await order(products[2], 4, 14))
    await order(products[0], 20, 21)
    await order(products[2], 6, 30)
    await run(release, work_orders.cancel, order_id=await order(products[1], 8, 12))
    count += 6
    with_products = await _deals_with_products(session, journal, products, today)
    await journal.write(session)
    return ProductionReport(made, count, with_products)


async def _deals_with_products(
    session: AsyncSession, journal: Journal, products: list[int], today: date
) -> int:
    """Open deals closing within the quarter say which products they would sell."""
    open_deals = list(
        await session.scalars(
            select(Opportunity.id)
            .where(
                Opportunity.stage.in_(OPEN_STAGES),
                Opportunity.expected_close_on.between(today, today + timedelta(days=90)),
            )
            .order_by(Opportunity.id)
            .limit(DEALS_WITH_PRODUCTS)
        )
    )
    for position, deal in enumerate(open_deals):
        await deals.set_products(
            session=session,
            journal=journal,
            opportunity_id=deal,
            lines=[(products[position % len(products)], 3 + (position * 7) % 10)],
            version=None,
        )
    return len(open_deals)


async def _item(session: AsyncSession, journal: Journal, sku: str, name: str, price: str) -> int:
    item = await stock_items.create(
        session=session,
        journal=journal,
        given={
            "sku": sku,
            "name": name,
            "category": "hardware",
            "unit_price": Decimal(price),
            "unit_cost": Decimal(0),  # rolled up from its bill of materials
            "reorder_point": 0,
        },
    )
    return item.id


async def _bom(
    session: AsyncSession,
    journal: Journal,
    item: int,
    conversion: str,
    lead: int,
    lines: list[tuple[int, str, str]],
) -> None:
    await boms.create(
        session=session,
        journal=journal,
        request=boms.BomRequest(
            stock_item_id=item,
            lines=[boms.ComponentLine(c, Decimal(q), Decimal(s)) for c, q, s in lines],
            lead_time_days=lead,
            conversion_cost=Decimal(conversion),
            activate=True,
        ),
    )
