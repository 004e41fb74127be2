"""Production benchmark: the material plan of a warehouse over the whole catalogue.

    python -m tests.benchmarks.production --customers 100000 --days 90

A fresh database (DATABASE_URL's server, or an embedded PostgreSQL), the demo company (seed
42, two years ending today, production added), the demand forecast computed, then bills of
materials three levels deep over the catalogue: 60 products made of 40 subassemblies made
of 30 parts made of bought items (every other item). Times `materialPlan` through the
schema as an admin would ask it (the statements, the netting, the GraphQL answer), and the
netting alone.
"""

import argparse
import asyncio
import os
import platform
import statistics
import time
import uuid
from decimal import Decimal

from sqlalchemy import select
from strawberry.relay import to_base64

from api.settings import Settings
from domain.analytics import recompute
from domain.core.access import Viewer
from domain.core.journal import Journal
from domain.core.reads import ReadPool
from domain.core.sessions import create_engine, session_factory
from domain.demo.production import add_production
from domain.demo.seed import seed_database
from domain.erp.models.stock import StockItem, Warehouse
from domain.production import boms
from schema.build import build_schema
from schema.core.context import AppState, Context
from schema.core.loaders import Loaders
from tests.benchmarks.scratch import scratch_database

PLAN = """query($warehouse: ID!, $days: Int!) {
  materialPlan(warehouse: $warehouse, horizonDays: $days) {
    items demands suggestions { key action quantity dueOn startOn late stockItem { sku }
      pegs { source on quantity record reference } } } }"""
LEVELS = (60, 40, 30)  # products, subassemblies, parts: made; the rest is bought


async def build_structures(database_url: str) -> tuple[int, int]:
    """Active BOMs three levels deep over the catalogue; returns (boms, items)."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session, session.begin():
            items = list(
                await session.scalars(
                    select(StockItem.id)
                    .where(StockItem.archived_at.is_(None), ~StockItem.sku.like("MFG-%"))
                    .order_by(StockItem.sku)
                )
            )
            products, subs, parts = (
                items[: LEVELS[0]],
                items[LEVELS[0] : sum(LEVELS[:2])],
                items[sum(LEVELS[:2]) : sum(LEVELS)],
            )
            bought = items[sum(LEVELS) :]
            journal = Journal(actor=Viewer.system(), request_id="bench")
            made = 0
            made_of = (
                [(p, subs, 2) for p in products]
                + [(s, parts, 2) for s in subs]
                + [(p, [], 3) for p in parts]
            )
            for position, (item, below, bought_count) in enumerate(made_of):
                picks = [below[(position + k) % len(below)] for k in range(2)] if below else []
                picks += [bought[(position * 3 + k) % len(bought)] for k in range(bought_count)]
                await boms.create(
                    session=session,
                    journal=journal,
                    request=boms.BomRequest(
                        stock_item_id=item,
                        lines=[
                            boms.ComponentLine(c, Decimal(1 + k % 3), Decimal(2))
                            for k, c in enumerate(dict.fromkeys(picks))
                        ],
                        lead_time_days=2 + position % 4,
                        conversion_cost=Decimal("5.00"),
                        activate=True,
                    ),
                )
                made += 1
    finally:
        await engine.dispose()
    return made, len(items)


async def bench(database_url: str, customers: int, days: int, repeat: int) -> None:
    started = time.perf_counter()
    report = await seed_database(database_url, customers=customers, seed=42)
    await add_production(database_url)
    engine = create_engine(database_url, pool_size=2)
    await recompute.run_step(engine, "demand")
    made, catalogue = await build_structures(database_url)
    print(f"\n## {customers:,} customers ({report})")
    print(f"set up in {time.perf_counter() - started:.0f} s: {made} BOMs over {catalogue} items\n")
    async with engine.connect() as connection:
        warehouse = await connection.scalar(select(Warehouse.id).order_by(Warehouse.id).limit(1))
    reads = ReadPool(database_url, max_size=4)
    state = AppState(
        engine=engine, sessions=session_factory(engine), reads=reads, settings=Settings()
    )
    schema = build_schema()
    admin = Viewer(None, "bench@example.com", frozenset({"admin"}))
    variables = {"warehouse": to_base64("Warehouse", warehouse), "days": days}
    timings = []
    answer = None
    try:
        for _ in range(repeat):
            context = Context(
                state=state,
                viewer=admin,
                request_id=uuid.uuid4().hex,
                loaders=Loaders(reads, admin),
            )
            started = time.perf_counter()
            result = await schema.execute(PLAN, variable_values=variables, context_value=context)
            timings.append(time.perf_counter() - started)
            assert result.errors is None, result.errors
            answer = result.data
    finally:
        await reads.close()
        await engine.dispose()
    assert answer is not None
    plan = answer["materialPlan"]
    suggestions = plan["suggestions"]
    actions = {a: sum(s["action"] == a for s in suggestions) for a in ("MAKE", "BUY")}
    print("| figure | value |\n|---|---|")
    print(f"| items netted | {plan['items']:,} |")
    print(f"| independent demands | {plan['demands']:,} |")
    print(
        f"| suggestions (make / buy) | {len(suggestions):,} ({actions['MAKE']} / {actions['BUY']}) |"
    )
    print(f"| late suggestions | {sum(s['late'] for s in suggestions):,} |")
    print(f"| pegs | {sum(len(s['pegs']) for s in suggestions):,} |")
    print(
        f"| materialPlan({days} days), {repeat} runs | median {statistics.median(timings):.2f} s, "
        f"min {min(timings):.2f} s, max {max(timings):.2f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the material plan on the demo company.")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with scratch_database("bizgraph-bench-production") as database_url:
        asyncio.run(bench(database_url, args.customers, args.days, args.repeat))


if __name__ == "__main__":
    main()
