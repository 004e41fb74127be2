"""Apollo Client 4, from npm, with its default normalized cache: after an ordinary list query
selects fewer fields of the same objects, the Customer 360 still reads from the cache whole
(figures, campaign results, purchase order lines and stock levels carry ids). The same
screens without the figures' ids read as missing: what the ids prevent."""

from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.security.tokens import mint
from domain.analytics import recompute
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import DEMO_TODAY, TEST_SECRET
from tests.clients.conftest import Api, run_node
from tests.faults.processes import BizgraphProcess


async def _admin_token(database_url: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        email = await connection.fetchval(
            "SELECT email FROM erp.employee WHERE status = 'active' ORDER BY id LIMIT 1"
        )
    finally:
        await connection.close()
    return mint(
        TEST_SECRET,
        email=email,
        roles=["admin"],
        ttl_seconds=600,
        issuer="bizgraph",
        audience="bizgraph-api",
    )


@pytest.mark.usefixtures("node_packages")
async def test_the_360_still_reads_from_the_cache_after_a_list(
    api_process: tuple[BizgraphProcess, Api],
    database_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    for step in ("metrics", "customers", "campaigns"):
        await recompute.run_step(engine, step, as_of=DEMO_TODAY)
    process, api = api_process
    await process.ready(api.url.removesuffix("/graphql"))
    seen: dict[str, Any] = run_node(
        "apollo_cache.mjs", {"url": api.url, "token": await _admin_token(database_url)}, tmp_path
    )
    assert seen["customer"] is not None, "no customer with figures and campaign results"
    assert seen["customer360"] is not None, "the cached 360 reads as missing after the list"
    customer = seen["customer360"]["customer"]
    assert set(customer["metrics"]) >= {"lifetimeRevenue", "orderCount", "rfmSegment"}
    assert set(customer["forecast"]) >= {"expectedRevenue90d", "low", "high"}
    performances = [c["performance"] for c in customer["campaigns"] if c["performance"]]
    assert performances and all("targeted" in p for p in performances)
    order = seen["purchaseOrder"]
    assert order is not None, "the purchase order's lines lost fields to a second query"
    lines = order["purchaseOrders"]["edges"][0]["node"]["lines"]
    assert lines and all(line["stockItem"]["sku"] for line in lines)
    assert seen["stock"] is not None, "stock levels lost fields to a briefer query"
    kept = set(seen["cacheKeys"])
    assert {"CustomerMetrics", "CustomerForecast", "CampaignPerformance"} <= kept
    assert {"PurchaseOrderLine", "StockLevel"} <= kept
    assert seen["withoutIds"] is None, "the control did not lose the 360: the test sees nothing"
