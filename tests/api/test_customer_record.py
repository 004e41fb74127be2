"""`customerRecord`: everything held about a customer, for admins only, and audited."""

import asyncpg
import pytest
from strawberry.relay import to_base64

from domain.core.sessions import asyncpg_dsn
from domain.flows.customer_records import PARTS
from tests.api.conftest import GraphQL, Tokens

RECORD = "query($id: ID!) { customerRecord(id: $id) { customer document } }"


@pytest.mark.usefixtures("demo")
async def test_an_admin_gets_every_row_held_about_the_customer(
    graphql: GraphQL, tokens: Tokens, database_url: str
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        customer = await connection.fetchval(
            "SELECT customer_id FROM erp.payment GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
        expected = {
            name: await connection.fetchval(f"SELECT count(*) FROM ({rows}) p", customer)
            for name, rows in ((n, q.replace(":c", "$1")) for n, q in PARTS.items())
        }
        audited_before = await connection.fetchval(
            "SELECT count(*) FROM ops.audit_log WHERE action = 'customer.exported'"
        )
    finally:
        await connection.close()
    global_id = to_base64("Customer", customer)
    answer = await graphql(RECORD, {"id": global_id})
    record = answer["data"]["customerRecord"]
    assert record["customer"] == global_id
    document = record["document"]
    assert document["customer"]["id"] == customer
    assert {name: len(document[name]) for name in PARTS} == expected
    assert expected["invoices"] > 0 and expected["payments"] > 0
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        audited = await connection.fetchval(
            "SELECT count(*) FROM ops.audit_log WHERE action = 'customer.exported'"
        )
    finally:
        await connection.close()
    assert audited > audited_before

    manager = tokens.mint(await tokens.first_active_employee(), "sales_manager")
    refused = await graphql(RECORD, {"id": global_id}, token=manager)
    assert refused["data"]["customerRecord"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
