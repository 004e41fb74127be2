"""Forecasts, replenishment and campaign results as the API serves them: the stored figures,
clear errors for bad arguments, and SQL that depends on the query's shape only."""

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.settings import Settings
from domain.analytics import recompute, revenue_forecast
from domain.analytics.backtest import BacktestSettings
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import DEMO_TODAY, GraphQL, StatementCounter, Tokens

FORECAST = """query($scope: ForecastScope!, $key: String, $days: Int!) {
  revenueForecast(scope: $scope, key: $key, horizonDays: $days) {
    scope key model mase baselineMase intervalCoverage asOf historyFrom historyTo computedAt
    candidates { model mase mape intervalCoverage origins served drivers { name effect } }
    points { day revenue low high }
    accuracy { method mape mase intervalCoverage } baseline { method mape mase }
  } }"""
REORDER = """query($first: Int!) { itemsToReorder(first: $first) { totalCount edges { node {
  sku replenishment { method forecastDemand30d daysOfCover suggestedReorderQuantity
                      reorderLevel available onOrder computedAt } } } } }"""
CAMPAIGNS = """query($first: Int!) { campaigns(first: $first) { edges { node { name
  performance { targeted responded converted attributedOrders attributedRevenue
                firstTouchOrders firstTouchRevenue linearOrders linearRevenue cost roi
                attributionWindowDays computedAt } } } } }"""


@pytest.fixture(scope="module")
async def analytics(
    demo: None, engine: AsyncEngine, database_url: str
) -> AsyncIterator[asyncpg.Connection]:
    """The demo company with every figure computed as of its last day, and three of its best
    sellers with nothing on order counted out of stock (an adjustment in the ledger)."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await connection.execute(
        """
        WITH best AS (
            SELECT l.stock_item_id FROM erp.sales_order_line l
            JOIN erp.stock_item i ON i.id = l.stock_item_id AND i.reorder_point > 0
            WHERE NOT EXISTS (SELECT 1 FROM erp.purchase_order_line p
                              WHERE p.stock_item_id = i.id AND p.quantity > p.quantity_received)
            GROUP BY 1 ORDER BY sum(l.quantity) DESC, 1 LIMIT 3
        ), counted AS (
            INSERT INTO erp.stock_movement (
                stock_item_id, warehouse_id, kind, delta_on_hand, value, reason)
            SELECT stock_item_id, warehouse_id, 'adjustment', reserved - on_hand,
                   round(stock_value * reserved / on_hand, 2) - stock_value, 'Stock count'
            FROM erp.stock_level
            WHERE stock_item_id IN (SELECT * FROM best) AND on_hand > reserved
        )
        UPDATE erp.stock_level
        SET on_hand = reserved,
            stock_value = CASE WHEN on_hand > 0
                               THEN round(stock_value * reserved / on_hand, 2) ELSE 0 END
        WHERE stock_item_id IN (SELECT * FROM best)
        """
    )
    for step in ("metrics", "customers", "campaigns", "demand"):
        await recompute.run_step(engine, step, as_of=DEMO_TODAY)
    await revenue_forecast.forecast_revenue(
        engine,
        executor=None,
        as_of=DEMO_TODAY,
        scopes=("company", "tier"),
        settings=BacktestSettings(horizon=90, window=365, step=180),
    )
    yield connection
    await connection.close()


def _errors(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["message"], e.get("extensions", {}).get("code", "")) for e in result.get("errors", [])
    ]


async def test_company_forecast_with_its_backtest(
    graphql: GraphQL, analytics: asyncpg.Connection
) -> None:
    result = await graphql(FORECAST, {"scope": "COMPANY", "days": 30})
    assert "errors" not in result, result
    forecast = result["data"]["revenueForecast"]
    run = await analytics.fetchrow(
        "SELECT * FROM analytics.forecast_run WHERE scope = 'company' AND status = 'succeeded'"
    )
    assert (forecast["scope"], forecast["key"], forecast["model"]) == (
        "COMPANY",
        None,
        run["model"],
    )
    assert forecast["asOf"] == DEMO_TODAY.isoformat()
    assert forecast["historyTo"] == (DEMO_TODAY.replace(day=29)).isoformat()
    # Served: the candidate with the lowest backtest MASE, never worse than seasonal naive.
    candidates = {c["model"]: c for c in forecast["candidates"]}
    # The demo's campaigns reach customers, so Prophet with campaigns is a candidate too,
    # the only one with a driver, whose fitted effect the run recorded.
    assert set(candidates) == {
        "seasonal_naive",
        "theta",
        "ets_damped",
        "prophet",
        "prophet_campaigns",
    }
    assert {c["model"] for c in candidates.values() if c["drivers"]} == {"prophet_campaigns"}
    effects = await analytics.fetchval(
        "SELECT effects FROM analytics.forecast_candidate "
        "WHERE run_id = $1 AND model = 'prophet_campaigns'",
        run["id"],
    )
    assert candidates["prophet_campaigns"]["drivers"] == [
        {"name": "campaign_reach", "effect": json.loads(effects)["campaign_reach"]}
    ]
    assert [c["model"] for c in forecast["candidates"] if c["served"]] == [forecast["model"]]
    assert forecast["mase"] == min(c["mase"] for c in candidates.values() if c["mase"] is not None)
    assert forecast["mase"] <= forecast["baselineMase"] == candidates["seasonal_naive"]["mase"]
    assert 0 <= forecast["intervalCoverage"] <= 1
    assert forecast["intervalCoverage"] == candidates[forecast["model"]]["intervalCoverage"]
    assert len(forecast["points"]) == 30
    assert forecast["points"][0]["day"] == DEMO_TODAY.isoformat()
    for point in forecast["points"]:
        assert Decimal(point["low"]) <= Decimal(point["revenue"]) <= Decimal(point["high"])
    assert forecast["accuracy"] == {
        "method": run["model"],
        "mape": run["mape"],
        "mase": run["mase"],
        "intervalCoverage": run["interval_coverage"],
    }
    assert forecast["baseline"]["mase"] == run["baseline_mase"]
    assert forecast["baseline"]["method"] == "seasonal_naive"
    assert forecast["computedAt"] is not None


async def test_tier_keys_are_case_insensitive_and_missing_series_are_null(
    graphql: GraphQL, analytics: asyncpg.Connection
) -> None:
    gold = await graphql(FORECAST, {"scope": "TIER", "key": "GOLD", "days": 90})
    assert gold["data"]["revenueForecast"]["key"] == "gold"
    assert len(gold["data"]["revenueForecast"]["points"]) == 90
    category = await graphql(FORECAST, {"scope": "CATEGORY", "key": "hardware", "days": 7})
    assert category == {"data": {"revenueForecast": None}}  # not forecast in this module


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"scope": "TIER", "key": "diamond", "days": 30}, "must be one of: bronze"),
        ({"scope": "TIER", "key": None, "days": 30}, "must be one of"),
        ({"scope": "COMPANY", "key": "gold", "days": 30}, "must be empty for COMPANY"),
        ({"scope": "COMPANY", "key": None, "days": 0}, "between 1 and 90"),
        ({"scope": "COMPANY", "key": None, "days": 91}, "between 1 and 90"),
    ],
)
async def test_bad_forecast_arguments_give_clear_errors(
    graphql: GraphQL, analytics: asyncpg.Connection, variables: dict[str, Any], message: str
) -> None:
    result = await graphql(FORECAST, variables)
    assert result["data"] == {"revenueForecast": None}
    [(text, code)] = _errors(result)
    assert message in text and code == "BAD_USER_INPUT"


async def test_items_to_reorder_soonest_out_of_stock_first(
    graphql: GraphQL,
    analytics: asyncpg.Connection,
    statements: StatementCounter,
    settings: Settings,
) -> None:
    expected = await analytics.fetch(
        "SELECT i.sku, f.suggested_reorder_quantity FROM analytics.demand_forecast f "
        "JOIN erp.stock_item i ON i.id = f.stock_item_id WHERE f.suggested_reorder_quantity > 0 "
        "ORDER BY coalesce(f.days_of_cover, 1e9), i.id"
    )
    assert len(expected) >= 3
    counts = []
    for first in (1, len(expected)):
        statements.reset()
        result = await graphql(REORDER, {"first": first})
        counts.append(statements.count)
        page = result["data"]["itemsToReorder"]
        assert page["totalCount"] == len(expected)
        nodes = [edge["node"] for edge in page["edges"]]
        assert [(n["sku"], n["replenishment"]["suggestedReorderQuantity"]) for n in nodes] == [
            (row["sku"], row["suggested_reorder_quantity"]) for row in expected[:first]
        ]
    # Compiled, one statement; else page, count, replenishment.
    assert counts[0] == counts[1] == (1 if settings.compiled_reads else 3)


LEVELS = """query($first: Int!) { stockItems(first: $first) { edges { node { sku
  replenishment { forecastDemand30d }
  stockLevels { warehouse { code } replenishment { forecastDemand30d available onOrder
                suggestedReorderQuantity } } } } } }"""


async def test_each_warehouse_shows_its_part_of_the_demand(
    graphql: GraphQL, analytics: asyncpg.Connection, tokens: Tokens
) -> None:
    result = await graphql(LEVELS, {"first": 20})
    assert "errors" not in result, result
    stored = {
        (row["sku"], row["code"]): row
        for row in await analytics.fetch(
            "SELECT i.sku, w.code, d.forecast_demand_30d, d.available, d.on_order, "
            "d.suggested_reorder_quantity FROM analytics.warehouse_demand d "
            "JOIN erp.stock_item i ON i.id = d.stock_item_id "
            "JOIN erp.warehouse w ON w.id = d.warehouse_id"
        )
    }
    seen = 0
    for edge in result["data"]["stockItems"]["edges"]:
        node = edge["node"]
        parts = Decimal(0)
        for level in node["stockLevels"]:
            row = stored[(node["sku"], level["warehouse"]["code"])]
            shown = level["replenishment"]
            assert Decimal(shown["forecastDemand30d"]) == row["forecast_demand_30d"]
            assert (shown["available"], shown["onOrder"], shown["suggestedReorderQuantity"]) == (
                row["available"],
                row["on_order"],
                row["suggested_reorder_quantity"],
            )
            parts += Decimal(shown["forecastDemand30d"])
            seen += 1
        if node["stockLevels"]:
            item = Decimal(node["replenishment"]["forecastDemand30d"])
            assert abs(parts - item) <= Decimal("0.01") * (len(node["stockLevels"]) + 1)
    assert seen > 0
    # Sales reads stock levels but not replenishment figures.
    email = await analytics.fetchval("SELECT email FROM erp.employee ORDER BY id LIMIT 1")
    refused = await graphql(LEVELS, {"first": 2}, token=tokens.mint(email, "sales_rep"))
    assert {e["extensions"]["code"] for e in refused["errors"]} == {"FORBIDDEN"}


async def test_campaign_performance_matches_the_stored_results(
    graphql: GraphQL,
    analytics: asyncpg.Connection,
    statements: StatementCounter,
    settings: Settings,
) -> None:
    stored = {
        row["name"]: row
        for row in await analytics.fetch(
            "SELECT c.name, m.* FROM analytics.campaign_metrics m JOIN crm.campaign c ON c.id = m.campaign_id"
        )
    }
    counts = []
    for first in (2, 20):
        statements.reset()
        result = await graphql(CAMPAIGNS, {"first": first})
        counts.append(statements.count)
        for edge in result["data"]["campaigns"]["edges"]:
            performance, row = edge["node"]["performance"], stored[edge["node"]["name"]]
            assert performance["targeted"] == row["targeted"] > 0
            assert performance["attributedRevenue"] == str(row["attributed_revenue"])
            assert performance["firstTouchRevenue"] == str(row["first_touch_revenue"])
            assert performance["linearOrders"] == str(row["linear_orders"])
            assert performance["cost"] == str(row["cost"])
            assert performance["attributionWindowDays"] == 30
    # Compiled, one statement; else campaigns page, performance.
    assert counts[0] == counts[1] == (1 if settings.compiled_reads else 2)


ACCURACY = """{ customerForecastAccuracy { asOf holdoutDays customers ordersMae
  ordersMaeBaseline revenueMae revenueMaeBaseline rankCorrelation intervalCoverage
  intervalCoverageBuyers intervalCoverageNonBuyers intervalZeroWidth computedAt
  intervalLowerPercentile intervalUpperPercentile plainIntervalCoverageBuyers
  plainIntervalCoverageNonBuyers } }"""


async def test_the_customer_forecasts_accuracy_is_the_newest_runs_holdout_check(
    graphql: GraphQL, analytics: asyncpg.Connection, tokens: Tokens
) -> None:
    result = await graphql(ACCURACY)
    assert "errors" not in result, result
    accuracy = result["data"]["customerForecastAccuracy"]
    details = json.loads(
        await analytics.fetchval(
            "SELECT details FROM ops.job_run WHERE name = 'forecast_customers' "
            "AND status = 'succeeded' ORDER BY finished_at DESC LIMIT 1"
        )
    )
    checked = details["validation"]
    assert accuracy["asOf"] == details["as_of"]
    assert accuracy["holdoutDays"] == 90
    assert accuracy["ordersMae"] == checked["orders_mae"]
    assert accuracy["revenueMaeBaseline"] == checked["revenue_mae_baseline"]
    assert -1 <= accuracy["rankCorrelation"] <= 1
    for share in (
        "intervalCoverage",
        "intervalCoverageBuyers",
        "intervalCoverageNonBuyers",
        "plainIntervalCoverageBuyers",
        "plainIntervalCoverageNonBuyers",
    ):
        assert 0 <= accuracy[share] <= 1, share
    # The percentiles the served intervals span, as the holdout calibrated them.
    assert [accuracy["intervalLowerPercentile"], accuracy["intervalUpperPercentile"]] == checked[
        "interval_levels"
    ]
    assert 0 < accuracy["intervalLowerPercentile"] < accuracy["intervalUpperPercentile"] < 1
    # Support reads no customer revenue figures.
    email = await analytics.fetchval("SELECT email FROM erp.employee ORDER BY id LIMIT 1")
    refused = await graphql(ACCURACY, token=tokens.mint(email, "support"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


OUTLOOK = """query($by: OutlookPeriod!) { revenueOutlook(scope: COMPANY, groupBy: $by) {
  model asOf groupBy periods { startsOn endsOn booked pipeline statistical expected low high }
} }"""
BOOKED_SQL = """
SELECT coalesce(sum(greatest(l.line_total - coalesce((
    SELECT sum(il.line_total) FROM erp.invoice_line il JOIN erp.invoice i ON i.id = il.invoice_id
    WHERE il.sales_order_line_id = l.id AND i.status <> 'void'), 0), 0)), 0)
FROM erp.sales_order_line l JOIN erp.sales_order o ON o.id = l.sales_order_id
WHERE o.status IN ('placed', 'confirmed')"""
PIPELINE_SQL = """
SELECT coalesce(sum(amount * probability / 100), 0) FROM crm.opportunity
WHERE stage IN ('prospecting', 'qualification', 'proposal', 'negotiation')
  AND expected_close_on <= $1"""


async def test_the_revenue_outlook_adds_booked_pipeline_and_the_forecast_beyond_them(
    graphql: GraphQL, analytics: asyncpg.Connection
) -> None:
    result = await graphql(OUTLOOK, {"by": "MONTH"})
    assert "errors" not in result, result
    outlook = result["data"]["revenueOutlook"]
    months = outlook["periods"]
    assert months[0]["startsOn"] == DEMO_TODAY.isoformat()
    last = date.fromisoformat(months[-1]["endsOn"])
    assert last == DEMO_TODAY + timedelta(days=89)
    booked = await analytics.fetchval(BOOKED_SQL)
    assert booked > 0
    assert Decimal(months[0]["booked"]) == booked.quantize(Decimal("0.01"))
    assert all(Decimal(m["booked"]) == 0 for m in months[1:])
    pipeline = await analytics.fetchval(PIPELINE_SQL, last)
    # Rounded to the cent per period.
    assert abs(sum(Decimal(m["pipeline"]) for m in months) - pipeline) <= Decimal("0.05")
    points = await analytics.fetch(
        "SELECT day, revenue FROM analytics.revenue_forecast_point WHERE run_id = (SELECT id "
        "FROM analytics.forecast_run WHERE scope = 'company' AND status = 'succeeded' "
        "ORDER BY started_at DESC LIMIT 1) ORDER BY day"
    )
    for month in months:
        start, end = date.fromisoformat(month["startsOn"]), date.fromisoformat(month["endsOn"])
        forecast = sum(p["revenue"] for p in points if start <= p["day"] <= end)
        known = Decimal(month["booked"]) + Decimal(month["pipeline"])
        assert Decimal(month["expected"]) == max(forecast, known).quantize(Decimal("0.01"))
        assert Decimal(month["low"]) <= Decimal(month["expected"]) <= Decimal(month["high"])
    weeks = (await graphql(OUTLOOK, {"by": "WEEK"}))["data"]["revenueOutlook"]["periods"]
    assert all(date.fromisoformat(w["startsOn"]).isoweekday() == 1 for w in weeks[1:])
