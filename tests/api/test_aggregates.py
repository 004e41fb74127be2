"""Grouped aggregates against SQL written by hand, to the cent, on the seeded demo company:
revenue by month by tier, tickets by category by ISO week, the weighted pipeline by close
month and owner, campaign responses by channel, goods shipped by category by month; their
permissions, limits and cost."""

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import GraphQL, StatementCounter, Tokens

pytestmark = pytest.mark.usefixtures("demo")

REVENUE = """{ salesOrdersAggregate(
    where: {status: {in: [PLACED, CONFIRMED, FULFILLED]}}
    groupBy: [{field: ORDERED_AT, bucket: MONTH, timeZone: "Europe/Berlin"}, {field: CUSTOMER_TIER}]
    limit: 1000) { truncated groups { key count sum { subtotal total } } } }"""
REVENUE_SQL = """
SELECT to_char(date_trunc('month', o.ordered_at AT TIME ZONE 'Europe/Berlin'), 'YYYY-MM-DD'),
       upper(o.customer_tier), count(*), sum(o.subtotal), sum(o.total)
FROM erp.sales_order o
WHERE o.status IN ('placed', 'confirmed', 'fulfilled')
GROUP BY 1, 2"""

TICKETS = """{ ticketsAggregate(groupBy: [{field: CATEGORY}, {field: OPENED_AT, bucket: WEEK}],
    limit: 1000) { groups { key count } } }"""
TICKETS_SQL = """
SELECT upper(category), to_char(date_trunc('week', opened_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'),
       count(*)
FROM crm.ticket GROUP BY 1, 2"""

PIPELINE = """{ opportunitiesAggregate(
    where: {stage: {in: [PROSPECTING, QUALIFICATION, PROPOSAL, NEGOTIATION]}}
    groupBy: [{field: EXPECTED_CLOSE_ON, bucket: MONTH}, {field: OWNER__NAME}]
    sortBy: SUM_WEIGHTED_AMOUNT, direction: DESC, limit: 1000) {
    groups { key count sum { amount weightedAmount } } } }"""
PIPELINE_SQL = """
SELECT to_char(date_trunc('month', o.expected_close_on), 'YYYY-MM-DD'), e.name, count(*),
       sum(o.amount), sum(o.amount * o.probability / 100)
FROM crm.opportunity o LEFT JOIN erp.employee e ON e.id = o.owner_id
WHERE o.stage IN ('prospecting', 'qualification', 'proposal', 'negotiation')
GROUP BY 1, 2"""

CAMPAIGNS = """{ campaignMembersAggregate(groupBy: [{field: CAMPAIGN__CHANNEL}, {field: STATUS}])
  { groups { key count } } }"""
CAMPAIGNS_SQL = """
SELECT upper(k.channel), upper(m.status), count(*)
FROM crm.campaign_member m JOIN crm.campaign k ON k.id = m.campaign_id GROUP BY 1, 2"""

SHIPPED = """{ stockMovementsAggregate(where: {kind: {eq: SHIPMENT}},
    groupBy: [{field: STOCK_ITEM__CATEGORY}, {field: OCCURRED_AT, bucket: MONTH}], limit: 1000)
    { truncated groups { key count sum { deltaOnHand value } } } }"""
SHIPPED_SQL = """
SELECT upper(i.category), to_char(date_trunc('month', m.occurred_at AT TIME ZONE 'UTC'),
       'YYYY-MM-DD'), count(*), sum(m.delta_on_hand), sum(m.value)
FROM erp.stock_movement m JOIN erp.stock_item i ON i.id = m.stock_item_id
WHERE m.kind = 'shipment' GROUP BY 1, 2"""


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


def groups(answer: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in answer, answer["errors"]
    [aggregate] = answer["data"].values()
    return aggregate["groups"]  # type: ignore[no-any-return]


async def by_hand(db: asyncpg.Connection, sql: str, *args: Any) -> set[tuple[Any, ...]]:
    return {tuple(row) for row in await db.fetch(sql, *args)}


async def test_revenue_by_month_by_tier(graphql: GraphQL, db: asyncpg.Connection) -> None:
    answer = await graphql(REVENUE)
    assert "errors" not in answer, answer["errors"]
    assert answer["data"]["salesOrdersAggregate"]["truncated"] is False
    found = {
        (*g["key"], g["count"], Decimal(g["sum"]["subtotal"]), Decimal(g["sum"]["total"]))
        for g in groups(answer)
    }
    expected = await by_hand(db, REVENUE_SQL)
    assert len(expected) > 40  # two years of months, four tiers
    assert found == expected
    keys = [g["key"] for g in groups(answer)]
    assert keys == sorted(keys, key=lambda k: (k[0], k[1]))  # by their keys, by default


async def test_tickets_by_category_by_iso_week(graphql: GraphQL, db: asyncpg.Connection) -> None:
    found = {(*g["key"], g["count"]) for g in groups(await graphql(TICKETS))}
    expected = await by_hand(db, TICKETS_SQL)
    assert found == expected
    # ISO weeks start on Monday.
    assert found and all(date.fromisoformat(week).isoweekday() == 1 for _, week, _ in found)


async def test_weighted_pipeline_by_close_month_and_owner(
    graphql: GraphQL, db: asyncpg.Connection
) -> None:
    answer = groups(await graphql(PIPELINE))
    found = {
        (*g["key"], g["count"], Decimal(g["sum"]["amount"]), Decimal(g["sum"]["weightedAmount"]))
        for g in answer
    }
    assert found == await by_hand(db, PIPELINE_SQL)
    weighted = [Decimal(g["sum"]["weightedAmount"]) for g in answer]
    assert weighted == sorted(weighted, reverse=True)


async def test_campaign_responses_and_conversions_by_channel(
    graphql: GraphQL, db: asyncpg.Connection
) -> None:
    found = {(*g["key"], g["count"]) for g in groups(await graphql(CAMPAIGNS))}
    expected = await by_hand(db, CAMPAIGNS_SQL)
    assert {status for _, status, _ in expected} >= {"RESPONDED", "CONVERTED"}
    assert found == expected


async def test_goods_shipped_by_category_by_month(graphql: GraphQL, db: asyncpg.Connection) -> None:
    answer = await graphql(SHIPPED)
    found = {
        (*g["key"], g["count"], int(g["sum"]["deltaOnHand"]), Decimal(g["sum"]["value"]))
        for g in groups(answer)
    }
    expected = await by_hand(db, SHIPPED_SQL)
    assert len(expected) > 20 and all(units < 0 for *_, units, _ in expected)
    assert found == expected


async def test_having_distinct_and_truncation(graphql: GraphQL, db: asyncpg.Connection) -> None:
    answer = await graphql(
        """{ salesOrdersAggregate(groupBy: [{field: CUSTOMER__COUNTRY}], distinct: [CUSTOMER__TIER],
        having: {count: {gte: 20}}, sortBy: COUNT, direction: DESC, limit: 2) {
        truncated groups { key count distinct } } }"""
    )
    top = groups(answer)
    expected = await db.fetch(
        "SELECT c.country, count(*), count(DISTINCT c.tier) FROM erp.sales_order o "
        "JOIN crm.customer c ON c.id = o.customer_id GROUP BY 1 HAVING count(*) >= 20 "
        "ORDER BY 2 DESC, 1 LIMIT 3"
    )
    assert [(g["key"][0], g["count"], g["distinct"][0]) for g in top] == [
        tuple(row) for row in expected[:2]
    ]
    assert answer["data"]["salesOrdersAggregate"]["truncated"] is (len(expected) > 2)


async def test_a_sales_rep_aggregates_only_their_own_customers_records(
    graphql: GraphQL, db: asyncpg.Connection, tokens: Tokens
) -> None:
    rep = await db.fetchrow(
        "SELECT e.id, e.email FROM erp.employee e JOIN crm.customer c "
        "ON c.account_manager_id = e.id WHERE e.email ~ '^[a-z0-9._@-]+$' "
        "GROUP BY e.id ORDER BY count(*) DESC LIMIT 1"
    )
    token = tokens.mint(rep["email"], "sales_rep")
    answer = await graphql(
        "{ invoicesAggregate(groupBy: [{field: STATUS}]) { groups { key count sum { total } } } }",
        token=token,
    )
    found = {(*g["key"], g["count"], Decimal(g["sum"]["total"])) for g in groups(answer)}
    assert found == await by_hand(
        db,
        "SELECT upper(i.status), count(*), sum(i.total) FROM erp.invoice i "
        "JOIN crm.customer c ON c.id = i.customer_id WHERE c.account_manager_id = $1 GROUP BY 1",
        rep["id"],
    )


@pytest.mark.parametrize(
    ("role", "document", "argument"),
    [
        ("support", "{ invoicesAggregate { groups { count } } }", None),
        (
            "marketing",
            "{ opportunitiesAggregate(groupBy: [{field: SALES_ORDER__STATUS}]) "
            "{ groups { count } } }",
            "groupBy",
        ),
        (
            "support",
            "{ ticketsAggregate(where: {salesOrder: {invoices: {some: {}}}}) "
            "{ groups { count } } }",
            "where",
        ),
        # Movements carry values at cost.
        ("sales_rep", "{ stockMovementsAggregate { groups { count } } }", None),
    ],
)
async def test_what_one_may_not_read_cannot_be_aggregated(
    graphql: GraphQL,
    db: asyncpg.Connection,
    tokens: Tokens,
    role: str,
    document: str,
    argument: str | None,
) -> None:
    email = await db.fetchval(
        "SELECT email FROM erp.employee WHERE email ~ '^[a-z0-9._@-]+$' ORDER BY id LIMIT 1"
    )
    answer = await graphql(document, token=tokens.mint(email, role))
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"].get("argument") == argument
    [value] = answer["data"].values()
    assert value is None


async def test_bad_and_hostile_arguments_get_typed_errors(graphql: GraphQL) -> None:
    zone = await graphql(
        '{ ticketsAggregate(groupBy: [{field: OPENED_AT, bucket: DAY, timeZone: "Mars/Base"}]) '
        "{ groups { count } } }"
    )
    assert zone["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    everything = ", ".join(
        f"{{field: {f}}}"
        for f in ("STATUS", "CATEGORY", "PRIORITY", "OPENED_AT", "RESOLVED_AT", "SUBJECT")
    )
    wide = await graphql(
        f"{{ ticketsAggregate(groupBy: [{everything}]) {{ groups {{ count }} }} }}"
    )
    assert wide["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    many = await graphql("{ ticketsAggregate(limit: 5000) { groups { count } } }")
    assert many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_one_statement_per_aggregate(graphql: GraphQL, statements: StatementCounter) -> None:
    statements.reset()
    await graphql(REVENUE)
    assert statements.count == 1
