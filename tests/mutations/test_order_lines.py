"""Editing an open order's lines: priced today, reservations and totals kept right, and refused
once anything has shipped."""

from typing import Any

import asyncpg

from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, place

ORDER = "salesOrder { id status version subtotal discountTotal taxTotal total lines { id lineNo quantity unitPrice discountPercent lineTotal } }"
ADD = f"""mutation($input: SalesOrderLineAddInput!) {{ salesOrderLineAdd(input: $input) {{
  {ORDER} {ERRORS} }} }}"""
CHANGE = f"""mutation($input: SalesOrderLineChangeInput!) {{ salesOrderLineChange(input: $input) {{
  {ORDER} {ERRORS} }} }}"""
REMOVE = f"""mutation($input: SalesOrderLineRemoveInput!) {{ salesOrderLineRemove(input: $input) {{
  {ORDER} {ERRORS} }} }}"""
SHIP = f"""mutation($id: ID!) {{ deliveryCreate(input: {{salesOrder: $id}}) {{ {ERRORS} }} }}"""
RESERVED = """query($id: ID!) { node(id: $id) { ... on StockItem { reserved } } }"""


async def reserved(execute: Execute, item: str) -> int:
    return int((await execute(RESERVED, {"id": item}))["node"]["reserved"])


async def edit(execute: Execute, document: str, **input: Any) -> dict[str, Any]:
    result = await execute(document, {"input": input})
    [payload] = result.values()
    return payload  # type: ignore[no-any-return]


async def test_lines_are_added_changed_and_removed_with_prices_totals_and_reservations(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, tier="GOLD", country="DE")
    pump = await create_item(execute, world, sku="LN-PUMP", price="100.00", stock=100)
    hose = await create_item(execute, world, sku="LN-HOSE", price="20.00", stock=100)
    order = (await place(execute, world, customer["id"], [(pump, 2)]))["salesOrder"]
    assert (order["total"], await reserved(execute, pump)) == ("214.20", 2)

    # Gold: 10 % off; 10 units or more: 12.5 %. German VAT 19 %.
    added = await edit(
        execute, ADD, order=order["id"], version=order["version"], stockItem=hose, quantity=10
    )
    assert added["errors"] == []
    order = added["salesOrder"]
    hose_line = order["lines"][1]
    assert (hose_line["lineNo"], hose_line["unitPrice"], hose_line["lineTotal"]) == (
        2,
        "17.50",
        "175.00",
    )
    assert (order["subtotal"], order["taxTotal"], order["total"]) == ("355.00", "67.45", "422.45")
    assert await reserved(execute, hose) == 10

    # Fewer units: the quantity break no longer applies, and 6 units are released.
    changed = await edit(
        execute, CHANGE, line=hose_line["id"], version=order["version"], quantity=4
    )
    assert changed["errors"] == []
    order = changed["salesOrder"]
    assert (order["lines"][1]["unitPrice"], order["lines"][1]["lineTotal"]) == ("18.00", "72.00")
    assert (order["subtotal"], order["total"]) == ("252.00", "299.88")
    assert await reserved(execute, hose) == 4

    removed = await edit(execute, REMOVE, line=order["lines"][0]["id"], version=order["version"])
    assert removed["errors"] == []
    order = removed["salesOrder"]
    assert [(line["lineNo"], line["quantity"]) for line in order["lines"]] == [(2, 4)]
    assert (order["subtotal"], order["total"]) == ("72.00", "85.68")
    assert (await reserved(execute, pump), await reserved(execute, hose)) == (0, 4)

    last = await edit(execute, REMOVE, line=order["lines"][0]["id"], version=order["version"])
    assert last["errors"] == [
        {
            "field": "line",
            "message": "an order keeps at least one line; cancel the order instead",
            "code": "EMPTY_ORDER",
        }
    ]
    actions = await db.fetch(
        "SELECT action, changes FROM ops.audit_log WHERE entity_type = 'sales_order' "
        "AND action LIKE 'sales_order.line_%' ORDER BY id"
    )
    assert [row["action"] for row in actions] == [
        "sales_order.line_added",
        "sales_order.line_changed",
        "sales_order.line_removed",
    ]


async def test_an_edit_that_cannot_be_done_changes_nothing(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, country="US")
    item = await create_item(execute, world, sku="LN-FEW", price="50.00", stock=5)
    order = (await place(execute, world, customer["id"], [(item, 2)]))["salesOrder"]
    line, version = order["lines"][0]["id"], order["version"]
    before = await db.fetchrow("SELECT total, version FROM erp.sales_order")
    refusals = [
        # 3 of the 5 units are free: 4 more cannot be reserved.
        (CHANGE, {"line": line, "version": version, "quantity": 6}, "INSUFFICIENT_STOCK"),
        (CHANGE, {"line": line, "version": version, "quantity": 0}, "INVALID_QUANTITY"),
        (CHANGE, {"line": line, "version": version - 1, "quantity": 3}, "CONFLICT"),
        (
            ADD,
            {"order": order["id"], "version": version, "stockItem": item, "quantity": 4},
            "INSUFFICIENT_STOCK",
        ),
        (
            ADD,
            {"order": order["id"], "version": version, "stockItem": line, "quantity": 1},
            "NOT_FOUND",
        ),
    ]
    for document, input, code in refusals:
        payload = await edit(execute, document, **input)
        assert [error["code"] for error in payload["errors"]] == [code], payload
    assert await db.fetchrow("SELECT total, version FROM erp.sales_order") == before
    assert await db.fetchval("SELECT count(*) FROM erp.sales_order_line") == 1
    assert await reserved(execute, item) == 2


async def test_a_credit_limit_holds_for_a_grown_order(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, creditLimit="300.00", country="US")
    item = await create_item(execute, world, sku="LN-CRED", price="50.00", stock=50)
    order = (await place(execute, world, customer["id"], [(item, 2)]))["salesOrder"]
    grown = await edit(
        execute, CHANGE, line=order["lines"][0]["id"], version=order["version"], quantity=7
    )
    assert [error["code"] for error in grown["errors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    assert str(await db.fetchval("SELECT total FROM erp.sales_order")) == order["total"]
    assert await reserved(execute, item) == 2
    within = await edit(
        execute, CHANGE, line=order["lines"][0]["id"], version=order["version"], quantity=6
    )
    assert (within["errors"], within["salesOrder"]["total"]) == ([], "300.00")


async def test_lines_are_fixed_once_anything_shipped_or_the_order_ended(
    execute: Execute, world: World
) -> None:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="LN-SHIP", price="10.00", stock=20)
    shipped = (await place(execute, world, customer["id"], [(item, 2)]))["salesOrder"]
    assert (await execute(SHIP, {"id": shipped["id"]}))["deliveryCreate"]["errors"] == []
    version = (
        await execute(
            "query($id: ID!) { node(id: $id) { ... on SalesOrder { version } } }",
            {"id": shipped["id"]},
        )
    )["node"]["version"]
    payload = await edit(
        execute, ADD, order=shipped["id"], version=version, stockItem=item, quantity=1
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("order", "ORDER_PARTLY_SHIPPED")
    ]
    cancelled = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    cancel = f"""mutation($id: ID!) {{ salesOrderCancel(input: {{id: $id}}) {{
        salesOrder {{ version }} {ERRORS} }} }}"""
    version = (await execute(cancel, {"id": cancelled["id"]}))["salesOrderCancel"]["salesOrder"][
        "version"
    ]
    payload = await edit(
        execute, CHANGE, line=cancelled["lines"][0]["id"], version=version, quantity=2
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("line", "INVALID_TRANSITION")]


async def test_a_sales_rep_edits_only_orders_of_their_own_customers(
    execute: Execute, world: World
) -> None:
    theirs = await create_customer(
        execute, name="Rita's", accountManager=World.gid("Employee", world.other_rep_employee)
    )
    item = await create_item(execute, world, sku="LN-REP", price="10.00", stock=20)
    order = (await place(execute, world, theirs["id"], [(item, 1)]))["salesOrder"]
    payload = (
        await execute(
            CHANGE,
            {
                "input": {
                    "line": order["lines"][0]["id"],
                    "version": order["version"],
                    "quantity": 2,
                }
            },
            viewer=world.rep,
        )
    )["salesOrderLineChange"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("line", "NOT_FOUND")]
    assert await reserved(execute, item) == 1
