"""Price lists and rules: set up by sales managers and finance, pricing the orders placed after."""

from datetime import date

import asyncpg

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, place

LIST = (
    "priceList { id name version isActive rules { id tier category minQuantity discountPercent } }"
)
CREATE = f"""mutation($input: PriceListCreateInput!) {{ priceListCreate(input: $input) {{
  {LIST} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: PriceListUpdateInput!) {{ priceListUpdate(input: $input) {{
  {LIST} {ERRORS} }} }}"""
SET = f"""mutation($input: PriceRuleSetInput!) {{ priceRuleSet(input: $input) {{
  {LIST} {ERRORS} }} }}"""
REMOVE = f"""mutation($input: PriceRuleRemoveInput!) {{ priceRuleRemove(input: $input) {{
  {LIST} {ERRORS} }} }}"""


async def test_a_new_list_prices_the_orders_placed_after_it(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, tier="GOLD", country="US")
    item = await create_item(execute, world, sku="PL-1", price="100.00", stock=50)
    before = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    assert before["lines"][0]["unitPrice"] == "90.00"  # the standard gold discount, 10 %

    today = date.today().isoformat()
    created = (
        await execute(
            CREATE, {"input": {"name": "Autumn deal", "currency": "EUR", "validFrom": today}}
        )
    )["priceListCreate"]
    assert created["errors"] == []
    price_list = created["priceList"]
    rule = {"tier": "GOLD", "discountPercent": "20"}
    set_ = (
        await execute(
            SET,
            {"input": {"priceList": price_list["id"], "version": price_list["version"], **rule}},
        )
    )["priceRuleSet"]
    assert set_["errors"] == []
    price_list = set_["priceList"]
    assert price_list["version"] == 2
    assert [
        (r["tier"], r["category"], r["minQuantity"], r["discountPercent"])
        for r in price_list["rules"]
    ] == [("GOLD", None, 1, "20.00")]
    after = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    assert after["lines"][0]["unitPrice"] == "80.00"
    # The order taken before keeps its price.
    kept = await db.fetchval(
        "SELECT l.unit_price::text FROM erp.sales_order_line l JOIN erp.sales_order o "
        "ON o.id = l.sales_order_id WHERE o.number = $1",
        before["number"],
    )
    assert kept == "90.00"

    off = (
        await execute(
            UPDATE,
            {
                "input": {
                    "id": price_list["id"],
                    "version": price_list["version"],
                    "isActive": False,
                }
            },
        )
    )["priceListUpdate"]
    assert (off["errors"], off["priceList"]["isActive"]) == ([], False)
    standard = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    assert standard["lines"][0]["unitPrice"] == "90.00"

    removed = (
        await execute(
            REMOVE,
            {
                "input": {
                    "rule": off["priceList"]["rules"][0]["id"],
                    "version": off["priceList"]["version"],
                }
            },
        )
    )["priceRuleRemove"]
    assert (removed["errors"], removed["priceList"]["rules"]) == ([], [])
    actions = await db.fetch(
        "SELECT action FROM ops.audit_log WHERE entity_type = 'price_list' ORDER BY id"
    )
    assert [row["action"] for row in actions] == [
        "price_list.created",
        "price_list.rule_set",
        "price_list.updated",
        "price_list.rule_removed",
    ]


async def test_a_bad_list_or_rule_is_refused_whole(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    bad = (
        await execute(
            CREATE,
            {
                "input": {
                    "name": "Tier prices",
                    "currency": "EURO",
                    "validFrom": "2026-06-01",
                    "validTo": "2026-05-01",
                }
            },
        )
    )["priceListCreate"]
    assert sorted((e["field"], e["code"]) for e in bad["errors"]) == [
        ("currency", "VALIDATION"),
        ("name", "DUPLICATE"),
        ("validTo", "VALIDATION"),
    ]
    key, version = await db.fetchrow("SELECT id, version FROM erp.price_list")
    price_list = World.gid("PriceList", key)
    for input, field, code in (
        ({"tier": "GOLD", "discountPercent": "150"}, "discountPercent", "VALIDATION"),
        (
            {"tier": "GOLD", "discountPercent": "5", "minQuantity": 0},
            "minQuantity",
            "INVALID_QUANTITY",
        ),
    ):
        refused = (
            await execute(SET, {"input": {"priceList": price_list, "version": version, **input}})
        )["priceRuleSet"]
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [(field, code)]
    stale = (
        await execute(
            SET,
            {
                "input": {
                    "priceList": price_list,
                    "version": version + 1,
                    "tier": "GOLD",
                    "discountPercent": "5",
                }
            },
        )
    )["priceRuleSet"]
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    assert await db.fetchval("SELECT version FROM erp.price_list") == version


async def test_sales_managers_and_finance_set_prices_sales_reps_do_not(
    execute: Execute, world: World
) -> None:
    document = f"""mutation($input: PriceListCreateInput!) {{ priceListCreate(input: $input) {{
      {ERRORS} }} }}"""
    for role, codes in (("sales_rep", ["FORBIDDEN"]), ("sales_manager", []), ("finance", [])):
        viewer = Viewer(world.rep_employee, "sam@example.com", frozenset({role}))
        input = {"name": f"List of {role}", "currency": "EUR", "validFrom": "2030-01-01"}
        result = await execute(document, {"input": input}, viewer=viewer)
        assert [e["code"] for e in result["priceListCreate"]["errors"]] == codes, role
