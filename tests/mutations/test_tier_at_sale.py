"""An order keeps the tier its customer had when it was placed: revenue by tier does not
rewrite itself when a customer moves up, in the graph and in the BI view."""

import asyncpg

from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, key, place

UPGRADE = f"""mutation($id: ID!, $version: Int!) {{ customerUpdate(input: {{id: $id,
  version: $version, tier: GOLD}}) {{ customer {{ tier }} {ERRORS} }} }}"""
BY_TIER = """{ salesOrdersAggregate(groupBy: [{field: CUSTOMER_TIER}, {field: CUSTOMER__TIER}])
  { groups { key count sum { subtotal } } } }"""
VERSION = """query($id: ID!) { node(id: $id) { ... on Customer { version } } }"""
ORDER = """query($id: ID!) { node(id: $id) { ... on SalesOrder { customerTier
  customer { tier } } } }"""


async def test_an_order_keeps_the_tier_it_was_placed_at(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, tier="BRONZE", country="DE")
    item = await create_item(execute, world, sku="TIER-1", price="100.00", stock=10)
    before = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    version = (await execute(VERSION, {"id": customer["id"]}))["node"]["version"]
    upgraded = await execute(UPGRADE, {"id": customer["id"], "version": version})
    assert upgraded["customerUpdate"]["errors"] == []
    after = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]

    assert (await execute(ORDER, {"id": before["id"]}))["node"] == {
        "customerTier": "BRONZE",
        "customer": {"tier": "GOLD"},
    }
    assert (await execute(ORDER, {"id": after["id"]}))["node"]["customerTier"] == "GOLD"
    # Gold prices are lower: the second order cost less, and each is counted at its tier.
    groups = (await execute(BY_TIER))["salesOrdersAggregate"]["groups"]
    assert [(g["key"], g["count"], g["sum"]["subtotal"]) for g in groups] == [
        (["BRONZE", "GOLD"], 1, before["subtotal"]),
        (["GOLD", "GOLD"], 1, after["subtotal"]),
    ]
    assert before["subtotal"] != after["subtotal"]
    rows = await db.fetch(
        "SELECT order_id, tier_at_sale, customer_tier FROM bi.sales_order_lines ORDER BY order_id"
    )
    assert [tuple(row) for row in rows] == [
        (key(before["id"]), "bronze", "gold"),
        (key(after["id"]), "gold", "gold"),
    ]


async def test_orders_written_without_a_tier_get_their_customers(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    # Imports and bulk loads insert orders without naming the tier: the database fills it.
    customer = await create_customer(execute, tier="SILVER", country="DE")
    tier = await db.fetchval(
        "INSERT INTO erp.sales_order (number, customer_id, warehouse_id, ordered_at) "
        "VALUES ('SO-IMPORTED-1', $1, $2, now()) RETURNING customer_tier",
        key(customer["id"]),
        world.warehouse,
    )
    assert tier == "silver"
