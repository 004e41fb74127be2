"""The Customer 360 query works verbatim, with correct data, in constant SQL per query shape."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from strawberry.relay import to_base64

from api.graphiql import CUSTOMER_360
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import GraphQL, StatementCounter
from tests.benchmarks.read_api import FLOOR_SQL

PAGE_QUERY = CUSTOMER_360.replace(
    "query Customer360($id: ID!) {\n  customer(id: $id) {",
    (
        "query Page($first: Int!) {\n  customers(first: $first, filter: {tier: [GOLD, SILVER, BRONZE, PLATINUM]},"
        " orderBy: {field: LIFETIME_REVENUE, direction: DESC}) { totalCount edges { node {"
    ),
).replace("\n  }\n}\n", "\n  } } }\n}\n")

# One statement per level and relation of the query shape (listed in the test below). The
# interactions' employees are the account managers already loaded, so the loader cache
# answers them without a statement.
PAGE_STATEMENTS = 16


async def _busiest_customer(database_url: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await connection.fetchval(  # type: ignore[no-any-return]
            "SELECT customer_id FROM erp.sales_order GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
    finally:
        await connection.close()


@pytest.mark.usefixtures("demo")
async def test_customer_360_matches_the_database(graphql: GraphQL, database_url: str) -> None:
    customer_id = await _busiest_customer(database_url)
    result = await graphql(CUSTOMER_360, {"id": to_base64("Customer", customer_id)})
    assert "errors" not in result, result.get("errors")
    customer = result["data"]["customer"]
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT c.code, c.name, upper(c.tier) AS tier, e.email FROM crm.customer c "
            "JOIN erp.employee e ON e.id = c.account_manager_id WHERE c.id = $1",
            customer_id,
        )
        orders = await connection.fetch(
            "SELECT number, total::text AS total FROM erp.sales_order WHERE customer_id = $1 "
            "ORDER BY ordered_at DESC, id DESC",
            customer_id,
        )
        balance = await connection.fetchval(
            "SELECT coalesce(sum(i.total - coalesce(p.paid, 0)), 0)::text FROM erp.invoice i "
            "LEFT JOIN (SELECT invoice_id, sum(amount) AS paid FROM erp.payment GROUP BY 1) p "
            "ON p.invoice_id = i.id WHERE i.customer_id = $1 AND i.status <> 'void'",
            customer_id,
        )
        first_lines = await connection.fetch(
            "SELECT l.quantity, l.unit_price::text AS unit_price, s.sku FROM erp.sales_order_line l "
            "JOIN erp.stock_item s ON s.id = l.stock_item_id WHERE l.sales_order_id = "
            "(SELECT id FROM erp.sales_order WHERE number = $1) ORDER BY l.line_no",
            orders[0]["number"],
        )
    finally:
        await connection.close()
    assert (customer["code"], customer["name"], customer["tier"]) == (
        row["code"],
        row["name"],
        row["tier"],
    )
    assert customer["accountManager"]["email"] == row["email"]
    assert customer["openBalance"] == balance
    page = customer["orders"]
    assert page["totalCount"] == len(orders)
    assert [edge["node"]["number"] for edge in page["edges"]] == [o["number"] for o in orders[:10]]
    assert [edge["node"]["total"] for edge in page["edges"]] == [o["total"] for o in orders[:10]]
    assert page["pageInfo"]["hasNextPage"] == (len(orders) > 10)
    lines = page["edges"][0]["node"]["lines"]
    assert [(line["quantity"], line["unitPrice"], line["stockItem"]["sku"]) for line in lines] == [
        (r["quantity"], r["unit_price"], r["sku"]) for r in first_lines
    ]
    assert customer["metrics"] is None  # nothing computed yet: null, not an error


@pytest.mark.usefixtures("demo")
async def test_statement_count_depends_on_shape_not_size(
    graphql: GraphQL, statements: StatementCounter, settings: Settings
) -> None:
    counts = []
    for first in (5, 50):
        statements.reset()
        result = await graphql(PAGE_QUERY, {"first": first})
        assert "errors" not in result, result.get("errors")
        assert len(result["data"]["customers"]["edges"]) == first
        counts.append(statements.count)
    # Compiled, the root field is one statement. On the general path: customers page + count,
    # account manager, open balance, metrics and forecast (one statement), orders page, lines,
    # stock items, deliveries, invoices, invoice amounts (amountDue), delivery and payment
    # status (one statement), interactions page, campaigns, opportunities page, tickets page.
    expected = 1 if settings.compiled_reads else PAGE_STATEMENTS
    assert counts == [expected, expected]


@pytest.mark.usefixtures("demo")
async def test_paging_through_orders_visits_every_order_once(
    graphql: GraphQL, database_url: str
) -> None:
    customer_id = await _busiest_customer(database_url)
    query = """query($id: ID!, $after: String) { customer(id: $id) { orders(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { number } } } } }"""
    seen: list[str] = []
    after = None
    while True:
        result = await graphql(query, {"id": to_base64("Customer", customer_id), "after": after})
        page = result["data"]["customer"]["orders"]
        seen += [edge["node"]["number"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"]


def _errors(result: dict[str, Any]) -> str:
    return " ".join(error["message"] for error in result.get("errors", []))


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            "query($id: ID!) { customer(id: $id) { name } }",
            {"id": to_base64("Customer", 999999)},
            "does not exist",
        ),
        (
            "query($id: ID!) { customer(id: $id) { name } }",
            {"id": "not-a-global-id"},
            "is not a global ID: an ID is the base64 of",
        ),
        (
            "query($id: ID!) { customer(id: $id) { name } }",
            {"id": to_base64("SalesOrder", 1)},
            "Customer ID",
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            {"id": to_base64("Nope", 1)},
            "unknown node type",
        ),
        ("{ customers(first: 1000) { totalCount } }", {}, "at most 100"),
        ('{ customers(first: 1, after: "garbage") { totalCount } }', {}, "not a valid cursor"),
    ],
)
async def test_bad_ids_and_arguments_give_clear_errors(
    graphql: GraphQL, query: str, variables: dict[str, Any], message: str
) -> None:
    result = await graphql(query, variables)
    assert message in _errors(result)


@pytest.mark.usefixtures("demo")
async def test_cursor_from_another_connection_is_refused(graphql: GraphQL) -> None:
    result = await graphql("{ invoices(first: 1) { pageInfo { endCursor } } }")
    cursor = result["data"]["invoices"]["pageInfo"]["endCursor"]
    refused = await graphql(
        "query($after: String) { customers(first: 1, after: $after) { totalCount } }",
        {"after": cursor},
    )
    assert "another connection" in _errors(refused)


def _difference(api: Any, floor: Any, path: str = "") -> str | None:
    """Where two JSON documents differ, reading numbers and instants by value (the floor's
    JSON writes numerics as numbers and timestamps in the server's format); None if equal."""
    if isinstance(api, dict) and isinstance(floor, dict):
        if api.keys() != floor.keys():
            return f"{path}: keys {sorted(api)} != {sorted(floor)}"
        return next((d for k in api if (d := _difference(api[k], floor[k], f"{path}.{k}"))), None)
    if isinstance(api, list) and isinstance(floor, list):
        if len(api) != len(floor):
            return f"{path}: {len(api)} items != {len(floor)}"
        pairs = enumerate(zip(api, floor, strict=True))
        return next((d for i, (a, f) in pairs if (d := _difference(a, f, f"{path}[{i}]"))), None)
    if isinstance(floor, (int, float)) and not isinstance(floor, bool) and isinstance(api, str):
        same = Decimal(api) == Decimal(str(floor))
    elif isinstance(api, str) and isinstance(floor, str) and api != floor:
        try:
            same = datetime.fromisoformat(api) == datetime.fromisoformat(floor)
        except ValueError:
            same = False
    else:
        same = api == floor
    return None if same else f"{path}: {api!r} != {floor!r}"


@pytest.mark.usefixtures("demo")
async def test_the_benchmark_floor_returns_the_same_document(
    graphql: GraphQL, database_url: str
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        ids = [
            r["id"]
            for r in await connection.fetch(
                "(SELECT customer_id AS id FROM erp.sales_order GROUP BY 1 ORDER BY count(*) DESC LIMIT 4) "
                "UNION ALL (SELECT id FROM crm.customer c WHERE NOT EXISTS "
                "(SELECT 1 FROM erp.sales_order o WHERE o.customer_id = c.id) LIMIT 1)"
            )
        ]
        floor = json.loads(await connection.fetchval(FLOOR_SQL, ids))
    finally:
        await connection.close()
    for customer_id, expected in zip(ids, floor, strict=True):
        result = await graphql(CUSTOMER_360, {"id": to_base64("Customer", customer_id)})
        customer = result["data"]["customer"]
        # Cursors are opaque: the floor only builds one of the same size.
        customer["orders"]["pageInfo"].pop("endCursor")
        expected["orders"]["pageInfo"].pop("endCursor")
        assert (customer_id, _difference(customer, expected)) == (customer_id, None)


@pytest.mark.usefixtures("demo")
async def test_the_issue_page_variant_works_verbatim(graphql: GraphQL, database_url: str) -> None:
    query = CUSTOMER_360.replace(
        "query Customer360($id: ID!) {\n  customer(id: $id) {",
        "query {\n  customers(first: 50, filter: {tier: GOLD}, orderBy: {field: LIFETIME_REVENUE, "
        "direction: DESC}) { edges { node {",
    ).replace("\n  }\n}\n", "\n  } } }\n}\n")
    result = await graphql(query)
    assert "errors" not in result, result.get("errors")
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # No metrics computed yet: every revenue sorts as zero, then by id, descending.
        expected = await connection.fetch(
            "SELECT code FROM crm.customer WHERE tier = 'gold' ORDER BY id DESC LIMIT 50"
        )
    finally:
        await connection.close()
    nodes = [edge["node"] for edge in result["data"]["customers"]["edges"]]
    assert [node["code"] for node in nodes] == [row["code"] for row in expected]
    assert {node["tier"] for node in nodes} == {"GOLD"}
