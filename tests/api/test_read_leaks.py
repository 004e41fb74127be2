"""Read leaks of the security review: a role learning what it may not read by another road.

One test per finding (L1–L5 and malformed cursors); the general check deriving every road
from the permission table is `tests/api/test_fact_matrix.py`.
"""

import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.relay import to_base64

from domain.analytics import recompute
from domain.core.sessions import asyncpg_dsn
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


BY_REVENUE = """query($order: CustomerOrder, $after: String) {
  customers(first: 2, orderBy: $order, after: $after) { totalCount
    pageInfo { startCursor endCursor } edges { cursor node { name } } } }"""


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


def _readable(cursor: str) -> str:
    """What base64-decoding a cursor shows (the old cursors were base64 JSON)."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("latin-1")
    except ValueError:
        return ""


def _old_style(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


async def test_l2_cursors_are_opaque_and_cannot_be_forged(
    run_as: Callable[[str], Run], figures: dict[str, Any], database_url: str
) -> None:
    order = {"field": "LIFETIME_REVENUE", "direction": "DESC"}
    page = await run_as("marketing")(BY_REVENUE, order=order)
    assert page.errors is None
    cursors = [edge["cursor"] for edge in page.data["customers"]["edges"]]
    cursors += list(page.data["customers"]["pageInfo"].values())
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        revenues = [
            str(value)
            for (value,) in await connection.fetch(
                "SELECT lifetime_revenue FROM analytics.customer_metrics "
                "ORDER BY lifetime_revenue DESC LIMIT 2"
            )
        ]
    finally:
        await connection.close()
    for cursor in cursors:
        shown = _readable(cursor)
        assert "customers" not in shown and "lifetime_revenue" not in shown
        assert not any(revenue in shown for revenue in revenues), shown
    # A cursor written by hand to probe a revenue (binary search) is refused, not followed.
    forged = _old_style(["customers", "lifetime_revenue:desc", ["50000.00", 1]])
    probe = await run_as("marketing")(BY_REVENUE, order=order, after=forged)
    assert probe.data == {"customers": None}
    assert [error.extensions for error in probe.errors] == [
        {"code": "BAD_USER_INPUT", "argument": "after"}
    ]


async def test_l2_an_altered_cursor_does_not_open(
    run_as: Callable[[str], Run], figures: dict[str, Any]
) -> None:
    page = await run_as("admin")(BY_REVENUE, order={"field": "NAME"})
    cursor = page.data["customers"]["pageInfo"]["endCursor"]
    follow = await run_as("admin")(BY_REVENUE, order={"field": "NAME"}, after=cursor)
    assert follow.errors is None and follow.data["customers"]["edges"]
    flipped = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    altered = await run_as("admin")(BY_REVENUE, order={"field": "NAME"}, after=flipped)
    assert altered.data == {"customers": None}
    assert altered.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "after"}


async def test_l3_reorder_cursors_carry_no_days_of_cover(
    run_as: Callable[[str], Run], figures: dict[str, Any]
) -> None:
    page = await run_as("warehouse")(
        "{ itemsToReorder(first: 100) { pageInfo { endCursor } edges { cursor node { id } } } }"
    )
    listed = page.data["itemsToReorder"]
    cursors = [edge["cursor"] for edge in listed["edges"]] + [listed["pageInfo"]["endCursor"]]
    assert len(cursors) > 1
    assert not any("4.7" in _readable(c) or "cover" in _readable(c) for c in cursors)


MALFORMED = [
    _old_style(["customers", "name:asc", ["Acme", 2**63]]),  # an id above bigint
    _old_style(["customers", "name:asc", ["Acme", 2**64 + 1]]),
    _old_style(["customers", "lifetime_revenue:asc", ["Infinity", 1]]),
    _old_style(["customers", "lifetime_revenue:asc", ["1e999999", 1]]),
    _old_style(["customers", "lifetime_revenue:asc", [1e999999, 1]]),  # JSON Infinity
    _old_style(["customers", "name:asc", [None, None]]),
    _old_style({"not": "a list"}),
    "garbage",
    "////",
    "x" * 3000,  # long, yet under the limit on text inputs
    "é",
]


@pytest.mark.parametrize("cursor", MALFORMED)
async def test_malformed_cursors_are_bad_input_on_after(
    graphql: Any, figures: dict[str, Any], cursor: str
) -> None:
    """Over HTTP, through the error policy: never an internal error."""
    for order in ("NAME", "LIFETIME_REVENUE"):
        result = await graphql(
            "query($after: String, $order: CustomerOrderField!) { customers(after: $after, "
            "orderBy: {field: $order}) { totalCount } }",
            {"after": cursor, "order": order},
        )
        assert result["data"] == {"customers": None}
        [error] = result["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["argument"] == "after"
        assert "`after`" in error["message"]


def _answer(result: Any, *ids: str) -> tuple[Any, list[tuple[Any, ...]]]:
    """A response with the IDs asked for blanked out of messages: what tells rows apart."""
    errors = []
    for error in result.errors or []:
        message = error.message
        for node_id in ids:
            message = message.replace(str(node_id), "<id>")
        errors.append((message, tuple(error.path or ()), (error.extensions or {}).get("code")))
    return result.data, errors


NODE = "query($id: ID!) { node(id: $id) { id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


@pytest.mark.parametrize("role", matrix.ROLES)
async def test_l5_a_denied_type_answers_the_same_whether_the_id_exists(
    role: str, run_as: Callable[[str], Run], cast: dict[str, Any], app: Any
) -> None:
    statements: list[Any] = []
    listeners = app.state.bizgraph.reads.listeners
    listeners.append(lambda *args: statements.append(args))
    run = run_as(role)
    try:
        for name in matrix.NODE_TYPES:
            if matrix.may_read(role, name):
                continue
            existing = cast["ids"][name]
            missing = to_base64(name, 987654321)
            huge = to_base64(name, 2**70)
            first = await run(NODE, id=existing)
            assert _answer(first) == (
                {"node": None},
                [(f"your roles may not read {name}", ("node",), "FORBIDDEN")],
            )
            for other in (missing, huge):
                assert _answer(await run(NODE, id=other)) == _answer(first), (role, name)
            listed = await run(NODES, ids=[existing, missing])
            assert [path for _, path, code in _answer(listed)[1]] == [("nodes", 0), ("nodes", 1)]
            assert len({message for message, _, _ in _answer(listed)[1]}) == 1
            if name == "Customer":
                by_root = await run("query($id: ID!) { customer(id: $id) { id } }", id=existing)
                again = await run("query($id: ID!) { customer(id: $id) { id } }", id=missing)
                assert _answer(by_root) == _answer(again)
                assert _answer(by_root)[1][0][2] == "FORBIDDEN"
    finally:
        listeners.pop()
    assert statements == [], "a denied type is refused without touching the database"


async def test_l5_a_record_rule_hides_a_row_like_a_missing_id(
    run_as: Callable[[str], Run], cast: dict[str, Any], database_url: str
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        others = await connection.fetchrow(
            "SELECT c.id AS customer, min(o.id) AS sales_order FROM crm.customer c "
            "JOIN erp.sales_order o ON o.customer_id = c.id "
            "WHERE c.account_manager_id IS DISTINCT FROM $1 GROUP BY c.id ORDER BY c.id LIMIT 1",
            cast["rep"],
        )
    finally:
        await connection.close()
    run = run_as("sales_rep")
    for name, key in (("Customer", others["customer"]), ("SalesOrder", others["sales_order"])):
        hidden, missing = to_base64(name, key), to_base64(name, 987654321)
        for document in (NODE, "query($id: ID!) { customer(id: $id) { id } }"):
            if "customer(" in document and name != "Customer":
                continue
            seen = await run(document, id=hidden)
            never = await run(document, id=missing)
            assert _answer(seen, key) == _answer(never, 987654321), (name, document)
            assert _answer(seen, key)[1][0][2] == "NOT_FOUND"
        listed = await run(NODES, ids=[hidden, missing])
        assert listed.data == {"nodes": [None, None]} and listed.errors is None
