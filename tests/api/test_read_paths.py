"""Reads beyond the Customer 360 document: prefetching and its fallback, fragments and aliases,
record rules for a sales rep, and clear errors for bad arguments."""

from typing import Any
from unittest.mock import ANY

import asyncpg
import pytest
from starlette.applications import Starlette
from strawberry.relay import to_base64
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

import schema.core.prefetch
from api.graphiql import CUSTOMER_360
from domain.core.access import Viewer
from domain.core.model_base import Base
from domain.core.sessions import asyncpg_dsn
from schema.build import build_schema
from schema.core.context import Context
from schema.core.execution import ShortcutExecutionContext
from schema.core.loaders import Loaders
from tests.api.conftest import GraphQL, StatementCounter
from tests.api.test_customer360 import PAGE_QUERY


async def _fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await connection.fetch(sql, *args)  # type: ignore[no-any-return]
    finally:
        await connection.close()


async def _busiest_customer(database_url: str) -> int:
    rows = await _fetch(
        database_url,
        "SELECT customer_id FROM erp.sales_order GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
    )
    return int(rows[0]["customer_id"])


@pytest.mark.usefixtures("demo")
async def test_without_prefetching_the_resolvers_load_the_same_data(
    graphql: GraphQL,
    statements: StatementCounter,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = {"id": to_base64("Customer", await _busiest_customer(database_url))}
    statements.reset()
    prefetched = await graphql(CUSTOMER_360, variables)
    with_prefetch = statements.count

    async def nothing(*_: Any, **__: Any) -> None:
        return None

    monkeypatch.setattr(schema.core.prefetch, "prefetch", nothing)
    statements.reset()
    resolved = await graphql(CUSTOMER_360, variables)
    assert "errors" not in resolved, resolved.get("errors")
    assert resolved == prefetched
    # Field by field, the DataLoaders still batch each relation into one statement per level.
    assert statements.count == with_prefetch


@pytest.mark.usefixtures("demo")
async def test_fragments_aliases_and_directives_are_honoured(
    graphql: GraphQL, database_url: str
) -> None:
    variables = {"id": to_base64("Customer", await _busiest_customer(database_url))}
    query = """query($id: ID!, $skip: Boolean!) { customer(id: $id) {
        ...Recent
        recent: orders(first: 2) { edges { node { number lines { quantity } } } }
        older: orders(first: 3) @include(if: true) { edges { node { number invoices { number } } } }
        hidden: tickets(first: 1) @skip(if: $skip) { totalCount }
        ... on Customer { accountManager { email } }
      } }
      fragment Recent on Customer { orders(first: 2) { edges { node { deliveries { number } } } } }"""
    result = await graphql(query, {**variables, "skip": True})
    assert "errors" not in result, result.get("errors")
    customer = result["data"]["customer"]
    assert "hidden" not in customer
    separate = await graphql(
        """query($id: ID!) { customer(id: $id) { accountManager { email } orders(first: 3) {
            edges { node { number invoices { number } deliveries { number } lines { quantity } } } } } }""",
        variables,
    )
    expected = [edge["node"] for edge in separate["data"]["customer"]["orders"]["edges"]]
    assert customer["accountManager"] == separate["data"]["customer"]["accountManager"]
    assert [e["node"] for e in customer["older"]["edges"]] == [
        {"number": o["number"], "invoices": o["invoices"]} for o in expected
    ]
    assert [e["node"] for e in customer["recent"]["edges"]] == [
        {"number": o["number"], "lines": o["lines"]} for o in expected[:2]
    ]
    assert [e["node"] for e in customer["orders"]["edges"]] == [
        {"deliveries": o["deliveries"]} for o in expected[:2]
    ]


@pytest.mark.usefixtures("demo")
async def test_a_sales_rep_reads_only_the_customers_they_manage(
    app: Starlette, database_url: str
) -> None:
    [rep] = await _fetch(
        database_url,
        "SELECT account_manager_id AS id, count(*) AS customers FROM crm.customer "
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    )
    [stranger] = await _fetch(
        database_url,
        "SELECT c.id, (SELECT o.id FROM erp.sales_order o WHERE o.customer_id = c.id LIMIT 1) "
        "AS order_id FROM crm.customer c WHERE c.account_manager_id <> $1 AND EXISTS "
        "(SELECT 1 FROM erp.sales_order o WHERE o.customer_id = c.id) LIMIT 1",
        rep["id"],
    )
    [invoices] = await _fetch(
        database_url,
        "SELECT count(*) AS n FROM erp.invoice i JOIN crm.customer c ON c.id = i.customer_id "
        "WHERE c.account_manager_id = $1",
        rep["id"],
    )
    viewer = Viewer(employee_id=rep["id"], email="rep@example.com", roles=frozenset({"sales_rep"}))
    state = app.state.bizgraph
    graph = build_schema(shortcuts=state.settings.execution_shortcuts)

    async def run(query: str, variables: dict[str, Any] | None = None) -> Any:
        context = Context(
            state=state, viewer=viewer, request_id="test", loaders=Loaders(state.reads, viewer)
        )
        return await graph.execute(query, variable_values=variables, context_value=context)

    page = await run(
        "{ customers(first: 100) { totalCount edges { node { accountManager { id } } } } }"
    )
    assert page.errors is None
    assert page.data["customers"]["totalCount"] == rep["customers"]
    managers = {edge["node"]["accountManager"]["id"] for edge in page.data["customers"]["edges"]}
    assert managers == {to_base64("Employee", rep["id"])}
    hidden = await run(
        "query($id: ID!) { node(id: $id) { id } }", {"id": to_base64("Customer", stranger["id"])}
    )
    assert "does not exist" in hidden.errors[0].message
    order = await run(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [to_base64("SalesOrder", stranger["order_id"])]},
    )
    assert order.data == {"nodes": [None]}
    counted = await run("{ invoices(first: 1) { totalCount } }")
    assert counted.data["invoices"]["totalCount"] == invoices["n"]


def _errors(result: dict[str, Any]) -> str:
    return " ".join(error["message"] for error in result.get("errors", []))


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ customer(id: $id) { orders(first: 1000) { totalCount } } }", "at most 100"),
        ("{ customer(id: $id) { orders(first: -1) { totalCount } } }", "must not be negative"),
        ('{ customer(id: $id) { orders(first: 1, after: "x") { totalCount } } }', "valid cursor"),
        ("{ customer(id: $id) { orders(first: 1, after: $cursor) { totalCount } } }", "another"),
        ("{ customer(id: $huge) { name } }", "does not exist"),
    ],
)
async def test_bad_nested_arguments_give_clear_errors(
    graphql: GraphQL, database_url: str, query: str, message: str
) -> None:
    first_page = await graphql("{ customers(first: 1) { pageInfo { endCursor } } }")
    variables = {
        "id": to_base64("Customer", await _busiest_customer(database_url)),
        "huge": to_base64("Customer", 10**30),
        "cursor": first_page["data"]["customers"]["pageInfo"]["endCursor"],
    }
    types = {"id": "ID!", "huge": "ID!", "cursor": "String"}
    used = [name for name in types if f"${name}" in query]
    declared = "query(" + ", ".join(f"${name}: {types[name]}" for name in used) + ") "
    result = await graphql(declared + query, {name: variables[name] for name in used})
    assert message in _errors(result)


@pytest.mark.usefixtures("demo")  # the admin token names a seeded employee
async def test_too_many_ids_are_refused(graphql: GraphQL) -> None:
    ids = [to_base64("Customer", i) for i in range(101)]
    result = await graphql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert "at most 100" in _errors(result)


def test_no_relationship_can_load_lazily() -> None:
    # The read API builds objects from Core rows; ORM relationships used by writes raise
    # instead of issuing a hidden query.
    relationships = [
        relationship for mapper in Base.registry.mappers for relationship in mapper.relationships
    ]
    assert relationships
    assert {relationship.lazy for relationship in relationships} == {"raise"}


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    ("connection", "filter", "sql"),
    [
        (
            "customers",
            '{search: "a", tier: [GOLD]}',
            "SELECT count(*) FROM crm.customer WHERE tier = 'gold' AND (name ILIKE '%a%' OR code ILIKE '%a%' OR email ILIKE '%a%')",
        ),
        (
            "salesOrders",
            '{search: "SO-2026", status: [FULFILLED, CONFIRMED]}',
            "SELECT count(*) FROM erp.sales_order WHERE number ILIKE '%SO-2026%' AND status IN ('fulfilled', 'confirmed')",
        ),
        (
            "invoices",
            '{search: "INV-0000", issuedFrom: "2026-01-01"}',
            "SELECT count(*) FROM erp.invoice WHERE number ILIKE '%INV-0000%' AND issued_on >= '2026-01-01'",
        ),
        (
            "stockItems",
            '{search: "sof", active: true}',
            "SELECT count(*) FROM erp.stock_item WHERE (sku ILIKE '%sof%' OR name ILIKE '%sof%') AND is_active",
        ),
        (
            "employees",
            '{search: "bizgraph.example", status: [ACTIVE]}',
            "SELECT count(*) FROM erp.employee WHERE (name ILIKE '%bizgraph.example%' OR email ILIKE '%bizgraph.example%') AND status = 'active'",
        ),
        (
            "campaigns",
            '{search: "email"}',
            "SELECT count(*) FROM crm.campaign WHERE name ILIKE '%email%'",
        ),
        (
            "opportunities",
            '{search: "upgrade", stage: [WON, LOST]}',
            "SELECT count(*) FROM crm.opportunity WHERE name ILIKE '%upgrade%' AND stage IN ('won', 'lost')",
        ),
        (
            "tickets",
            '{search: "device", priority: [NORMAL, HIGH, URGENT]}',
            "SELECT count(*) FROM crm.ticket WHERE (number ILIKE '%device%' OR subject ILIKE '%device%') AND priority IN ('normal', 'high', 'urgent')",
        ),
        (
            "interactions",
            '{search: "quote", occurredFrom: "2026-01-01T00:00:00+00:00"}',
            "SELECT count(*) FROM crm.interaction WHERE subject ILIKE '%quote%' AND occurred_at >= '2026-01-01T00:00:00+00:00'",
        ),
        (
            "purchaseOrders",
            '{search: "PO-000"}',
            "SELECT count(*) FROM erp.purchase_order WHERE number ILIKE '%PO-000%'",
        ),
        (
            "suppliers",
            '{search: "supplier1.example"}',
            "SELECT count(*) FROM erp.supplier WHERE name ILIKE '%supplier1.example%' OR code ILIKE '%supplier1.example%' OR email ILIKE '%supplier1.example%'",
        ),
    ],
)
async def test_every_root_connection_filters_in_sql(
    graphql: GraphQL, database_url: str, connection: str, filter: str, sql: str
) -> None:
    result = await graphql(
        f"{{ {connection}(first: 5, filter: {filter}) {{ totalCount edges {{ node {{ id }} }} }} }}"
    )
    assert "errors" not in result, result.get("errors")
    [expected] = await _fetch(database_url, sql)
    page = result["data"][connection]
    assert page["totalCount"] == expected["count"] > 0
    assert len(page["edges"]) == min(5, expected["count"])


@pytest.mark.usefixtures("demo")
async def test_executor_shortcuts_answer_like_graphql_core(
    graphql: GraphQL, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = to_base64("Customer", await _busiest_customer(database_url))
    # The second document fails inside one nullable branch only: its error and null must match.
    documents = [
        (PAGE_QUERY, {"first": 20}),
        (
            """query($id: ID!) { broken: customer(id: $id) { name
               tickets(first: 1, after: "garbage") { totalCount } }
               fine: customer(id: $id) { name orders(first: 3) { edges { node { number
               lines { quantity stockItem { sku } } invoices { amountDue isOverdue } } } } } }""",
            {"id": customer},
        ),
    ]
    shortcut = [await graphql(query, variables) for query, variables in documents]
    monkeypatch.setattr(
        ShortcutExecutionContext,
        "execute_fields",
        StrawberryGraphQLCoreExecutionContext.execute_fields,
    )
    plain = [await graphql(query, variables) for query, variables in documents]
    assert shortcut == plain
    assert "errors" not in shortcut[0]
    assert shortcut[1]["data"]["broken"] == {"name": ANY, "tickets": None}
    assert shortcut[1]["data"]["fine"]["orders"]["edges"]
    assert "not a valid cursor" in _errors(shortcut[1])


@pytest.mark.usefixtures("demo")
async def test_a_node_and_its_relations_load_together(graphql: GraphQL, database_url: str) -> None:
    customer = to_base64("Customer", await _busiest_customer(database_url))
    via_customer = await graphql(
        """query($id: ID!) { customer(id: $id) { orders(first: 1) { edges { node { id number
            deliveryStatus customer { name } lines { quantity stockItem { sku } } } } } } }""",
        {"id": customer},
    )
    order = via_customer["data"]["customer"]["orders"]["edges"][0]["node"]
    via_node = await graphql(
        """query($id: ID!) { node(id: $id) { ... on SalesOrder { id number deliveryStatus
            customer { name } lines { quantity stockItem { sku } } } } }""",
        {"id": order["id"]},
    )
    assert via_node == {"data": {"node": order}}
    missing = await graphql(
        "query($id: ID!) { customer(id: $id) { accountManager { name } orders { totalCount } } }",
        {"id": to_base64("Customer", 999_999)},
    )
    assert missing["data"] == {"customer": None}
    assert "does not exist" in _errors(missing)


@pytest.mark.usefixtures("demo")
async def test_departments_are_listed_by_name_with_their_employees(
    graphql: GraphQL, database_url: str
) -> None:
    expected = await _fetch(
        database_url,
        "SELECT d.name, count(e.id) AS staff FROM erp.department d "
        "LEFT JOIN erp.employee e ON e.department_id = d.id GROUP BY d.name ORDER BY d.name",
    )
    result = await graphql(
        "{ departments(first: 50) { totalCount edges { node { name employees { name } } } } }"
    )
    departments = result["data"]["departments"]
    assert departments["totalCount"] == len(expected) > 1
    assert [
        (edge["node"]["name"], len(edge["node"]["employees"])) for edge in departments["edges"]
    ] == [(row["name"], row["staff"]) for row in expected]
