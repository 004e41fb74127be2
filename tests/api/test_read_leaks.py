"""Read leaks of the security review: a role learning what it may not read by another road.

One test per finding (L1–L5 and malformed cursors); the general check deriving every road
from the permission table is `tests/api/test_fact_matrix.py`.
"""

from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.relay import to_base64

from domain.analytics import recompute
from domain.core.database import asyncpg_dsn
from tests.api import test_authorization as matrix
from tests.api.conftest import DEMO_TODAY

Run = matrix.Run
cast = matrix.cast
run_as = matrix.run_as
forbidden = matrix.forbidden


@pytest.fixture(scope="module")
async def figures(
    cast: dict[str, Any], engine: AsyncEngine, database_url: str
) -> AsyncIterator[dict[str, Any]]:
    """Customer metrics computed by the workers' own step, and a reorder suggestion with a
    recognisable days of cover for one stock item."""
    await recompute.run_step(engine, "metrics", as_of=DEMO_TODAY)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        item = await connection.fetchval("SELECT min(id) FROM erp.stock_item")
        await connection.execute(
            "INSERT INTO analytics.demand_forecast (stock_item_id, method, daily_demand, "
            "daily_demand_sd, forecast_demand_30d, available, days_of_cover, "
            "suggested_reorder_quantity, computed_at) "
            "VALUES ($1, 'sba', 1.5, 0.5, 45, 7, 4.7, 24, now()) "
            "ON CONFLICT (stock_item_id) DO UPDATE SET days_of_cover = 4.7, "
            "suggested_reorder_quantity = 24",
            item,
        )
        balance = await connection.fetchval(
            "SELECT open_balance FROM analytics.customer_metrics WHERE customer_id = $1",
            cast["customer"],
        )
        yield {"item": item, "open_balance": balance}
    finally:
        await connection.close()


METRICS = """query($id: ID!) { customer(id: $id) { name metrics {
  lifetimeRevenue openBalance overdueBalance } } }"""


@pytest.mark.parametrize("role", ["marketing"])
async def test_l1_the_open_balance_is_closed_in_the_metrics_too(
    role: str, run_as: Callable[[str], Run], cast: dict[str, Any], figures: dict[str, Any]
) -> None:
    customer = to_base64("Customer", cast["customer"])
    seen = await run_as("finance")(METRICS, id=customer)
    assert seen.errors is None
    assert seen.data["customer"]["metrics"]["openBalance"] is not None
    result = await run_as(role)(METRICS, id=customer)
    metrics = result.data["customer"]["metrics"]
    # Revenue is theirs to read; what the customer owes is not.
    assert metrics["lifetimeRevenue"] == seen.data["customer"]["metrics"]["lifetimeRevenue"]
    assert (metrics["openBalance"], metrics["overdueBalance"]) == (None, None)
    assert sorted(forbidden(result)) == [
        ("customer", "metrics", "openBalance"),
        ("customer", "metrics", "overdueBalance"),
    ]
    assert all("receivables" in error.message for error in result.errors)


@pytest.mark.parametrize("role", ["warehouse", "support"])
async def test_l4_the_payment_state_of_an_order_is_closed_to_who_may_not_read_invoices(
    role: str, run_as: Callable[[str], Run], cast: dict[str, Any]
) -> None:
    document = "query($id: ID!) { node(id: $id) { ... on SalesOrder { number paymentStatus } } }"
    order = cast["ids"]["SalesOrder"]
    seen = await run_as("finance")(document, id=order)
    assert seen.data["node"]["paymentStatus"] is not None
    result = await run_as(role)(document, id=order)
    assert result.data == {"node": {"number": seen.data["node"]["number"], "paymentStatus": None}}
    assert forbidden(result) == [("node", "paymentStatus")]
    # The same through a page of orders: every order's state is closed.
    page = await run_as(role)("{ salesOrders(first: 5) { edges { node { paymentStatus } } } }")
    edges = page.data["salesOrders"]["edges"]
    assert edges and all(edge["node"]["paymentStatus"] is None for edge in edges)
    assert len(forbidden(page)) == len(edges)


BY_REVENUE = """query($order: CustomerOrder) {
  customers(first: 2, orderBy: $order) { totalCount edges { cursor node { name } } } }"""


@pytest.mark.parametrize("role", ["support", "warehouse"])
async def test_l2_sorting_by_revenue_is_refused_to_who_may_not_read_it(
    role: str, run_as: Callable[[str], Run], figures: dict[str, Any]
) -> None:
    order = {"field": "LIFETIME_REVENUE", "direction": "DESC"}
    allowed = await run_as("marketing")(BY_REVENUE, order=order)
    assert allowed.errors is None and allowed.data["customers"]["edges"]
    for document, variables in [
        (BY_REVENUE, {"order": order}),  # in a variable
        ("{ customers(orderBy: {field: LIFETIME_REVENUE}) { totalCount } }", {}),  # literal
    ]:
        result = await run_as(role)(document, **variables)
        assert result.data == {"customers": None}, role
        [error] = result.errors
        assert error.extensions == {"code": "FORBIDDEN", "argument": "orderBy"}
        assert error.path == ["customers"]
        assert "customer revenue" in error.message and "`orderBy`" in error.message
    # Other sorts stay open to them.
    by_name = await run_as(role)(BY_REVENUE, order={"field": "NAME"})
    assert by_name.errors is None


async def test_l2_a_refused_sort_runs_no_sql(
    run_as: Callable[[str], Run], figures: dict[str, Any], app: Any
) -> None:
    statements: list[Any] = []
    listeners = app.state.bizgraph.reads.listeners
    listeners.append(lambda *args: statements.append(args))
    try:
        await run_as("support")("{ customers(orderBy: {field: LIFETIME_REVENUE}) { totalCount } }")
    finally:
        listeners.pop()
    assert statements == []


REORDER = "{ itemsToReorder(first: 5) { totalCount edges { cursor node { sku } } } }"


@pytest.mark.parametrize("role", ["sales_manager", "sales_rep", "marketing", "support"])
async def test_l3_the_reorder_list_is_for_who_may_read_replenishment(
    role: str, run_as: Callable[[str], Run], figures: dict[str, Any]
) -> None:
    seen = await run_as("warehouse")(REORDER)
    assert seen.errors is None and seen.data["itemsToReorder"]["totalCount"] >= 1
    result = await run_as(role)(REORDER)
    assert result.data == {"itemsToReorder": None}
    assert forbidden(result) == [("itemsToReorder",)]
    assert "replenishment" in result.errors[0].message
