"""What questions about many records cost: `where` across relations on a large company.

    .venv/bin/python -m tests.benchmarks.analytics_api --customers 100000
    .venv/bin/python -m tests.benchmarks.analytics_api --database-url postgresql://…/seeded

Seeds the demo company (`--customers`, two years) in a scratch database (DATABASE_URL's
server, or an embedded PostgreSQL), or reads one already seeded (`--database-url`). Then,
at concurrency 1, it runs each question through the schema as the API runs it (compiled
reads on), as an admin and as the sales rep managing the most customers, `--repeat` times
after one warm-up, and prints the median and 90th percentile; and it prints the plan of
each question's (`EXPLAIN (ANALYZE, BUFFERS)`, the general path's statement,
which the compiled one wraps in JSON), so the indexes used can be read off.
"""

import argparse
import asyncio
import platform
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
import orjson
import strawberry

from api.settings import Settings
from domain.core.access import Viewer
from domain.core.reads import Compiled, ReadPool, Row
from domain.core.sessions import asyncpg_dsn, create_engine, session_factory
from domain.demo.seed import seed_database
from schema.build import build_schema
from schema.core.context import AppState
from tests.benchmarks import finance
from tests.benchmarks.read_api import percentile
from tests.benchmarks.scratch import scratch_database

Run = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

QUESTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "customers with an invoice > 30 days overdue and an open deal (first 50, with count)": (
        """query($where: CustomerWhere) { customers(first: 50, where: $where) {
          totalCount edges { node { id name openBalance } } } }""",
        {
            "where": {
                "invoices": {"some": {"daysOverdue": {"gt": 30}}},
                "opportunities": {
                    "some": {"stage": {"in": ["QUALIFICATION", "PROPOSAL", "NEGOTIATION"]}}
                },
            }
        },
    ),
    "the same customers, first 50 without the count": (
        """query($where: CustomerWhere) { customers(first: 50, where: $where) {
          edges { node { id name openBalance } } } }""",
        {
            "where": {
                "invoices": {"some": {"daysOverdue": {"gt": 30}}},
                "opportunities": {
                    "some": {"stage": {"in": ["QUALIFICATION", "PROPOSAL", "NEGOTIATION"]}}
                },
            }
        },
    ),
    "revenue by month by tier, two years (orders placed, confirmed or fulfilled)": (
        """{ salesOrdersAggregate(
          where: {status: {in: [PLACED, CONFIRMED, FULFILLED]}}
          groupBy: [{field: ORDERED_AT, bucket: MONTH, timeZone: "Europe/Berlin"},
                    {field: CUSTOMER_TIER}], limit: 1000) {
          groups { key count sum { subtotal } } } }""",
        {},
    ),
    "tickets by category by ISO week": (
        """{ ticketsAggregate(groupBy: [{field: CATEGORY}, {field: OPENED_AT, bucket: WEEK}],
          limit: 1000) { groups { key count } } }""",
        {},
    ),
    "weighted pipeline by expected close month and owner": (
        """{ opportunitiesAggregate(
          where: {stage: {in: [PROSPECTING, QUALIFICATION, PROPOSAL, NEGOTIATION]}}
          groupBy: [{field: EXPECTED_CLOSE_ON, bucket: MONTH}, {field: OWNER__NAME}],
          limit: 1000) { groups { key count sum { weightedAmount } } } }""",
        {},
    ),
    "orders of GOLD customers (first 50, with count)": (
        """query($where: SalesOrderWhere) { salesOrders(first: 50, where: $where) {
          totalCount edges { node { id number total } } } }""",
        {"where": {"customer": {"tier": {"eq": "GOLD"}}}},
    ),
}


def runner(schema: strawberry.Schema, state: AppState, viewer: Viewer) -> Run:
    """The books benchmark's runner, with compiled root fields' JSON text parsed."""
    run = finance.runner(schema, state, viewer)

    async def parsed(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(orjson.dumps(await run(document, variables)))
        return data

    return parsed


async def timed(run: Run, document: str, variables: dict[str, Any], repeat: int) -> list[float]:
    await run(document, variables)  # warm-up: plans cached, statements prepared
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run(document, variables)
        times.append((time.perf_counter() - started) * 1000)
    return times


class RecordingReadPool(ReadPool):
    """A read pool that keeps the last statement it ran and its values, to explain it."""

    last: tuple[Compiled, Mapping[str, Any] | None] | None = None

    async def fetch(
        self, statement: Compiled, values: Mapping[str, Any] | None = None, **options: Any
    ) -> list[Row]:
        self.last = (statement, values)
        return await super().fetch(statement, values, **options)


async def explain(database_url: str, statement: Compiled, values: Mapping[str, Any] | None) -> str:
    """The plan of a statement as it ran, with its timings and buffers."""
    # As the API's read pool runs statements: without parallel workers.
    connection = await asyncpg.connect(
        asyncpg_dsn(database_url), server_settings={"max_parallel_workers_per_gather": "0"}
    )
    try:
        rows = await connection.fetch(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement.sql,
            *statement.arguments(values or {}),
        )
    finally:
        await connection.close()
    return "\n".join(row[0] for row in rows)


OUTLOOK = """{ revenueOutlook(scope: COMPANY, groupBy: MONTH) {
  periods { startsOn booked pipeline statistical expected low high } } }"""

SEGMENT = "Gold and owing"
SEGMENT_WHERE = {"tier": {"eq": "GOLD"}, "openBalance": {"gt": "0"}}


async def segment_questions(run: Run) -> dict[str, tuple[str, dict[str, Any]]]:
    """A saved segment (made here when the database has none of that name) and its
    questions: its figures, and the first page of its customers with their count."""
    listing = "{ segments(first: 100) { edges { node { id name } } } }"
    found = [
        edge["node"]["id"]
        for edge in (await run(listing, {}))["segments"]["edges"]
        if edge["node"]["name"] == SEGMENT
    ]
    if not found:
        made = await run(
            """mutation($input: SegmentCreateInput!) { segmentCreate(input: $input) {
              segment { id } errors { code } } }""",
            {"input": {"name": SEGMENT, "where": SEGMENT_WHERE}},
        )
        found = [made["segmentCreate"]["segment"]["id"]]
    [segment] = found
    return {
        "segment GOLD and owing: figures (members)": (
            """query($id: ID!) { node(id: $id) { ... on Segment { figures { members revenue12m
              revenue12mShare expectedRevenue90d expectedRevenue90dShare } } } }""",
            {"id": segment},
        ),
        "segment GOLD and owing: customers (first 50, with count)": (
            """query($id: ID!) { customers(first: 50, segment: $id) {
              totalCount edges { node { code } } } }""",
            {"id": segment},
        ),
    }


async def measure(database_url: str, repeat: int) -> None:
    engine = create_engine(database_url, pool_size=5)
    reads = RecordingReadPool(database_url, max_size=5)
    state = AppState(
        engine=engine, sessions=session_factory(engine), reads=reads, settings=Settings()
    )
    schema = build_schema(compiled_reads=True)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rep = await connection.fetchval(
            "SELECT account_manager_id FROM crm.customer GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        customers = await connection.fetchval("SELECT count(*) FROM crm.customer")
    finally:
        await connection.close()
    viewers = {
        "admin": Viewer(employee_id=None, email="bench@example.com", roles=frozenset({"admin"})),
        "sales_rep": Viewer(
            employee_id=rep, email="rep@example.com", roles=frozenset({"sales_rep"})
        ),
    }
    print(f"machine: {platform.machine()}, {platform.python_version()}; {customers:,} customers")
    questions = {**QUESTIONS, **await segment_questions(runner(schema, state, viewers["admin"]))}
    print("| question | viewer | rows or groups | median ms | p90 ms |")
    print("|---|---|---|---|---|")
    for name, (document, variables) in questions.items():
        for label, viewer in viewers.items():
            run = runner(schema, state, viewer)
            answer = await run(document, variables)
            [value] = answer.values()
            if "figures" in value:
                value = {"totalCount": value["figures"]["members"]}
            size = value.get("totalCount", len(value.get("groups", value.get("edges", []))))
            times = await timed(run, document, variables, repeat)
            print(
                f"| {name} | {label} | {size:,} | "
                f"{statistics.median(times):.0f} | {percentile(times, 90):.0f} |"
            )
    # Read by sales managers, marketing and finance only: timed as an admin.
    outlook = runner(schema, state, viewers["admin"])
    answer = await outlook(OUTLOOK, {})
    assert answer["revenueOutlook"] is not None, "run `bizgraph recompute --what revenue` first"
    times = await timed(outlook, OUTLOOK, {}, repeat)
    print(
        f"| revenue outlook by month, company, 90 days | admin | "
        f"{len(answer['revenueOutlook']['periods'])} | {statistics.median(times):.0f} | "
        f"{percentile(times, 90):.0f} |"
    )
    for name, (document, variables) in QUESTIONS.items():
        await runner(schema, state, viewers["admin"])(document, variables)
        assert reads.last is not None
        print(
            f"\n{name}, as admin: the statement's plan\n```\n{await explain(database_url, *reads.last)}\n```"
        )
    await reads.close()
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", help="an already seeded database to read")
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(measure(args.database_url, args.repeat))
        return
    with scratch_database("analytics-bench") as database_url:
        started = time.perf_counter()
        report = asyncio.run(seed_database(database_url, customers=args.customers))
        print(f"{report} ({time.perf_counter() - started:.1f} s in all)")
        asyncio.run(measure(database_url, args.repeat))


if __name__ == "__main__":
    main()
