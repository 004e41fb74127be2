"""Saved segments: their live figures against SQL by hand, `customers(segment:)` and
`Customer.segments`, and the reader's permissions and record rules applied to them."""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from strawberry.relay import from_base64, to_base64

from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import GraphQL, Tokens
from tests.api.test_where import CUSTOMERS, ids, rep_token

pytestmark = pytest.mark.usefixtures("demo")

CREATE = """mutation($input: SegmentCreateInput!) { segmentCreate(input: $input) {
  segment { id name definition } errors { field code message } } }"""
FIGURES = """query($id: ID!) { node(id: $id) { ... on Segment { name figures { members
  revenue12m revenue12mShare expectedRevenue90d expectedRevenue90dShare } } } }"""
IN_SEGMENT = """query($segment: ID, $after: String) { customers(first: 100, after: $after,
  segment: $segment) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
SEGMENTS_OF = """query($id: ID!) { customer(id: $id) { segments { name } } }"""

GOLD_OWING = {"tier": {"eq": "GOLD"}, "openBalance": {"gt": "0"}}
GOLD_OWING_SQL = """
SELECT c.id FROM crm.customer c WHERE c.archived_at IS NULL AND c.tier = 'gold'
  AND (SELECT coalesce(sum(greatest(i.total
        - coalesce((SELECT sum(amount) FROM erp.payment p WHERE p.invoice_id = i.id), 0)
        - coalesce((SELECT sum(total) FROM erp.credit_note n WHERE n.invoice_id = i.id), 0), 0)), 0)
       FROM erp.invoice i WHERE i.customer_id = c.id AND i.status <> 'void') > 0"""
REVENUE_SQL = """
SELECT coalesce(sum(o.subtotal), 0) FROM erp.sales_order o
WHERE o.status IN ('placed', 'confirmed', 'fulfilled') AND o.ordered_at >= now() - interval '365 days'
  AND o.customer_id = ANY($1::bigint[])"""


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def create(graphql: GraphQL, name: str, where: dict[str, Any], **options: Any) -> Any:
    answer = await graphql(CREATE, {"input": {"name": name, "where": where}}, **options)
    return answer["data"]["segmentCreate"]


async def test_a_segment_answers_its_figures_live(graphql: GraphQL, db: asyncpg.Connection) -> None:
    created = await create(graphql, "Gold and owing", GOLD_OWING)
    assert created["errors"] == []
    segment = created["segment"]
    assert segment["definition"] == GOLD_OWING
    members = await ids_of(db, GOLD_OWING_SQL)
    assert members
    figures = (await graphql(FIGURES, {"id": segment["id"]}))["data"]["node"]["figures"]
    everyone = await ids_of(db, "SELECT id FROM crm.customer WHERE archived_at IS NULL")
    revenue = await db.fetchval(REVENUE_SQL, list(members))
    all_revenue = await db.fetchval(REVENUE_SQL, list(everyone))
    assert figures["members"] == len(members)
    assert Decimal(figures["revenue12m"]) == revenue
    assert Decimal(figures["revenue12mShare"]) == (revenue / all_revenue).quantize(
        Decimal("0.0001")
    )
    # The same customers as the same `where`, and each of them says it is in the segment.
    listed = await all_ids(graphql, IN_SEGMENT, {"segment": segment["id"]})
    assert listed == members == await ids(graphql, CUSTOMERS, GOLD_OWING)
    member = min(members)
    outsider = min(everyone - members)
    assert {"name": "Gold and owing"} in (
        await graphql(SEGMENTS_OF, {"id": gid("Customer", member)})
    )["data"]["customer"]["segments"]
    assert {"name": "Gold and owing"} not in (
        await graphql(SEGMENTS_OF, {"id": gid("Customer", outsider)})
    )["data"]["customer"]["segments"]
    # The name is the segment's: a second one is refused.
    again = await create(graphql, "Gold and owing", {"tier": {"eq": "GOLD"}})
    assert [e["code"] for e in again["errors"]] == ["DUPLICATE"]


async def test_readers_see_their_own_customers_and_only_conditions_they_may_use(
    graphql: GraphQL, db: asyncpg.Connection, tokens: Tokens
) -> None:
    created = await create(graphql, "Owing gold, again", GOLD_OWING)
    segment = created["segment"]["id"]
    token, rep = await rep_token(db, tokens)
    figures = (await graphql(FIGURES, {"id": segment}, token=token))["data"]["node"]["figures"]
    theirs = await ids_of(
        db,
        f"SELECT id FROM ({GOLD_OWING_SQL}) s WHERE id IN "
        "(SELECT id FROM crm.customer WHERE account_manager_id = $1)",
        rep,
    )
    assert figures["members"] == len(theirs)
    marketing, _ = await rep_token(db, tokens, "marketing")
    refused = await graphql(FIGURES, {"id": segment}, token=marketing)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "receivables" in refused["errors"][0]["message"]
    listed = await graphql(IN_SEGMENT, {"segment": segment}, token=marketing)
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert listed["data"]["customers"] is None


async def ids_of(db: asyncpg.Connection, sql: str, *args: Any) -> set[int]:
    return {row[0] for row in await db.fetch(sql, *args)}


async def all_ids(graphql: GraphQL, document: str, variables: dict[str, Any]) -> set[int]:
    found: set[int] = set()
    after = None
    while True:
        answer = await graphql(document, {**variables, "after": after})
        assert "errors" not in answer, answer["errors"]
        connection = answer["data"]["customers"]
        found |= {int(from_base64(e["node"]["id"])[1]) for e in connection["edges"]}
        if not connection["pageInfo"]["hasNextPage"]:
            return found
        after = connection["pageInfo"]["endCursor"]


def gid(type_name: str, key: int) -> str:
    return to_base64(type_name, key)


async def test_the_demo_segments_fit_the_schema(graphql: GraphQL) -> None:
    answer = await graphql(
        "{ segments(first: 20) { edges { node { name figures { members revenue12m } } } } }"
    )
    assert "errors" not in answer, answer["errors"]
    figures = {e["node"]["name"]: e["node"]["figures"] for e in answer["data"]["segments"]["edges"]}
    assert {"Gold and platinum, owing", "Overdue with an open deal"} <= set(figures)
    assert all(f["members"] > 0 for f in figures.values())


UPDATE = """mutation($input: SegmentUpdateInput!) { segmentUpdate(input: $input) {
  segment { name description definition version } errors { field code } } }"""
DELETE = """mutation($id: ID!) { segmentDelete(input: {id: $id}) {
  segment { id } errors { field code } } }"""
VERSION = """query($id: ID!) { node(id: $id) { ... on Segment { version } } }"""


async def test_a_segment_is_renamed_redefined_and_deleted(
    graphql: GraphQL, db: asyncpg.Connection, tokens: Tokens
) -> None:
    segment = (await create(graphql, "To be changed", GOLD_OWING))["segment"]["id"]
    version = (await graphql(VERSION, {"id": segment}))["data"]["node"]["version"]

    async def update(token: Any = None, **changes: Any) -> Any:
        options = {} if token is None else {"token": token}
        variables = {"input": {"id": segment, **changes}}
        return (await graphql(UPDATE, variables, **options))["data"]["segmentUpdate"]

    silver = {"tier": {"eq": "SILVER"}}
    changed = await update(version=version, name="Silver", description="All of them", where=silver)
    assert changed["errors"] == []
    assert changed["segment"] == {
        "name": "Silver",
        "description": "All of them",
        "definition": silver,
        "version": version + 1,
    }
    # Its members follow the new conditions on the next read.
    silver_ids = await ids_of(
        db, "SELECT id FROM crm.customer WHERE tier = 'silver' AND archived_at IS NULL"
    )
    assert await all_ids(graphql, IN_SEGMENT, {"segment": segment}) == silver_ids
    # A stale version, a taken name, no conditions, a reader who may not change segments:
    # each refused, and nothing changed.
    assert [e["code"] for e in (await update(version=version, name="x"))["errors"]] == ["CONFLICT"]
    taken = await update(version=version + 1, name="Gold and platinum, owing")
    assert [e["code"] for e in taken["errors"]] == ["DUPLICATE"]
    emptied = await update(version=version + 1, where=None)
    assert [(e["field"], e["code"]) for e in emptied["errors"]] == [("where", "VALIDATION")]
    rep, _ = await rep_token(db, tokens)
    assert [e["code"] for e in (await update(rep, version=version + 1, name="x"))["errors"]] == [
        "FORBIDDEN"
    ]
    assert (await graphql(VERSION, {"id": segment}))["data"]["node"]["version"] == version + 1

    deleted = (await graphql(DELETE, {"id": segment}))["data"]["segmentDelete"]
    assert deleted == {"segment": None, "errors": []}
    assert (await graphql(VERSION, {"id": segment}))["data"]["node"] is None
    member = min(silver_ids)
    assert {"name": "Silver"} not in (await graphql(SEGMENTS_OF, {"id": gid("Customer", member)}))[
        "data"
    ]["customer"]["segments"]
    again = (await graphql(DELETE, {"id": segment}))["data"]["segmentDelete"]
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"]
