"""ERP operations outside the order flow: purchasing, stock corrections, employees."""

import asyncpg

from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, adjust, create_customer, create_item, place

RECEIVE = f"""mutation($id: ID!, $item: ID!, $qty: Int!) {{ purchaseOrderReceive(input: {{id: $id,
    lines: [{{stockItem: $item, quantity: $qty}}]}}) {{ purchaseOrder {{ status lines {{ quantityReceived }} }} {ERRORS} }} }}"""
EMPLOYEE_UPDATE = f"""mutation($input: EmployeeUpdateInput!) {{ employeeUpdate(input: $input) {{
    employee {{ status version }} {ERRORS} }} }}"""


async def test_partial_receipts_add_stock_until_the_order_is_received(
    execute: Execute, world: World
) -> None:
    item = await create_item(execute, world, sku="PO-1", price="8.00")
    created = (
        await execute(
            f"""mutation($s: ID!, $w: ID!, $i: ID!) {{ purchaseOrderCreate(input: {{supplier: $s,
            warehouse: $w, lines: [{{stockItem: $i, quantity: 30, unitCost: "3.25"}}]}}) {{
            purchaseOrder {{ id status total expectedOn }} {ERRORS} }} }}""",
            {
                "s": World.gid("Supplier", world.supplier),
                "w": World.gid("Warehouse", world.warehouse),
                "i": item,
            },
        )
    )["purchaseOrderCreate"]["purchaseOrder"]
    assert (created["status"], created["total"]) == ("ORDERED", "97.50")
    part = await execute(RECEIVE, {"id": created["id"], "item": item, "qty": 12})
    assert part["purchaseOrderReceive"]["purchaseOrder"] == {
        "status": "PARTIALLY_RECEIVED",
        "lines": [{"quantityReceived": 12}],
    }
    over = await execute(RECEIVE, {"id": created["id"], "item": item, "qty": 19})
    assert over["purchaseOrderReceive"]["errors"] == [
        {
            "field": "lines.0.quantity",
            "message": "1 more than is outstanding",
            "code": "OVER_RECEIPT",
        }
    ]
    rest = await execute(RECEIVE, {"id": created["id"], "item": item, "qty": 18})
    assert rest["purchaseOrderReceive"]["purchaseOrder"]["status"] == "RECEIVED"
    level = await execute(
        """query($id: ID!) { node(id: $id) { ... on StockItem { onHand openPurchaseOrders { id } } } }""",
        {"id": item},
    )
    assert level["node"] == {"onHand": 30, "openPurchaseOrders": []}


async def test_stock_cannot_be_adjusted_below_what_is_reserved(
    execute: Execute, world: World
) -> None:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="ADJ-1", price="4.00", stock=10)
    await place(execute, world, customer["id"], [(item, 7)])
    refused = await adjust(execute, world, item, -4)
    assert refused["errors"] == [
        {
            "field": "quantity",
            "message": "only 3 of ADJ-1 available (asked for 4)",
            "code": "INSUFFICIENT_STOCK",
        }
    ]
    allowed = await adjust(execute, world, item, -3)
    assert allowed["stockItem"] == {"id": item, "onHand": 7, "reserved": 7, "available": 0}
    no_reason = await execute(
        f"""mutation($i: ID!, $w: ID!) {{ stockAdjust(input: {{stockItem: $i, warehouse: $w,
            quantity: 1, reason: ""}}) {{ {ERRORS} }} }}""",
        {"i": item, "w": World.gid("Warehouse", world.warehouse)},
    )
    assert no_reason["stockAdjust"]["errors"][0]["field"] == "reason"


async def test_employees_keep_a_sane_chain_of_command(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    hire = f"""mutation($manager: ID) {{ employeeCreate(input: {{name: "New Hire", email: "NEW@Example.com",
        title: "Analyst", salary: "48000.00", manager: $manager}}) {{
        employee {{ id email version manager {{ email }} }} {ERRORS} }} }}"""
    boss = World.gid("Employee", world.rep_employee)
    hired = (await execute(hire, {"manager": boss}))["employeeCreate"]["employee"]
    assert hired["email"] == "new@example.com"  # a login identity, compared in lower case
    assert hired["manager"] == {"email": "sam@example.com"}
    duplicate = (await execute(hire, {"manager": None}))["employeeCreate"]
    assert duplicate["errors"][0]["code"] == "DUPLICATE"
    cycle = await execute(
        EMPLOYEE_UPDATE, {"input": {"id": boss, "version": 1, "manager": hired["id"]}}
    )
    assert cycle["employeeUpdate"]["errors"][0]["field"] == "manager"
    leaves = await execute(
        EMPLOYEE_UPDATE,
        {"input": {"id": hired["id"], "version": 1, "status": "TERMINATED", "salary": "50000.00"}},
    )
    assert leaves["employeeUpdate"]["employee"] == {"status": "TERMINATED", "version": 2}
    audit = await db.fetchval(
        "SELECT changes FROM ops.audit_log WHERE action = 'employee.updated' ORDER BY id DESC LIMIT 1"
    )
    assert '"salary": "changed"' in audit and "50000" not in audit
    assert await db.fetchval(
        "SELECT terminated_at IS NOT NULL FROM erp.employee WHERE email = 'new@example.com'"
    )


ITEM_UPDATE = f"""mutation($input: StockItemUpdateInput!) {{ stockItemUpdate(input: $input) {{
    stockItem {{ sku unitPrice unitCost reorderPoint isActive version }} {ERRORS} }} }}"""


async def test_a_new_price_is_what_the_next_order_pays_and_a_stale_edit_is_a_conflict(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="UPD-1", price="10.00", stock=20)
    before = await place(execute, world, customer["id"], [(item, 1)])
    changed = (
        await execute(
            ITEM_UPDATE,
            {"input": {"id": item, "version": 1, "unitPrice": "12.50", "reorderPoint": 5}},
        )
    )["stockItemUpdate"]
    assert changed["errors"] == []
    assert changed["stockItem"] == {
        "sku": "UPD-1",
        "unitPrice": "12.50",
        "unitCost": "5.00",
        "reorderPoint": 5,
        "isActive": True,
        "version": 2,
    }
    after = await place(execute, world, customer["id"], [(item, 1)])
    assert after["salesOrder"]["lines"][0]["listPrice"] == "12.50"
    assert before["salesOrder"]["lines"][0]["listPrice"] == "10.00"  # placed orders keep theirs
    stale = (
        await execute(ITEM_UPDATE, {"input": {"id": item, "version": 1, "unitPrice": "9.00"}})
    )["stockItemUpdate"]
    assert stale["errors"] == [
        {
            "field": "version",
            "message": "stock item was changed by someone else; reload and retry",
            "code": "CONFLICT",
        }
    ]
    audit = await db.fetchval(
        "SELECT changes FROM ops.audit_log WHERE action = 'stock_item.updated' ORDER BY id DESC"
    )
    assert '"unit_price"' in audit and '"reorder_point"' in audit


async def test_an_item_update_reports_every_bad_value_and_changes_nothing(
    execute: Execute, world: World
) -> None:
    item = await create_item(execute, world, sku="UPD-2", price="10.00")
    refused = (
        await execute(
            ITEM_UPDATE,
            {
                "input": {
                    "id": item,
                    "version": 1,
                    "unitPrice": "1.005",
                    "reorderPoint": -1,
                    "packSize": 0,
                    "name": " ",
                }
            },
        )
    )["stockItemUpdate"]
    assert refused["stockItem"] is None
    assert sorted(e["field"] for e in refused["errors"]) == [
        "name",
        "packSize",
        "reorderPoint",
        "unitPrice",
    ]
    unchanged = await execute(
        """query($id: ID!) { node(id: $id) { ... on StockItem { name unitPrice version } } }""",
        {"id": item},
    )
    assert unchanged["node"] == {"name": "Item UPD-2", "unitPrice": "10.00", "version": 1}


async def test_only_whoever_keeps_the_catalogue_changes_an_item(
    execute: Execute, world: World
) -> None:
    item = await create_item(execute, world, sku="UPD-3", price="10.00")
    request = {"input": {"id": item, "version": 1, "unitPrice": "1.00"}}
    refused = (await execute(ITEM_UPDATE, request, viewer=world.rep))["stockItemUpdate"]
    assert (refused["stockItem"], [e["code"] for e in refused["errors"]]) == (None, ["FORBIDDEN"])
    kept = await execute(ITEM_UPDATE, {"input": {**request["input"], "unitPrice": "11.00"}})
    assert kept["stockItemUpdate"]["stockItem"]["unitPrice"] == "11.00"


SUPPLIER_CREATE = f"""mutation($input: SupplierCreateInput!) {{ supplierCreate(input: $input) {{
    supplier {{ id code name country leadTimeDays version }} {ERRORS} }} }}"""
SUPPLIER_UPDATE = f"""mutation($input: SupplierUpdateInput!) {{ supplierUpdate(input: $input) {{
    supplier {{ name email leadTimeDays version }} {ERRORS} }} }}"""


async def test_suppliers_are_added_and_changed_by_whoever_keeps_the_catalogue(
    execute: Execute, world: World
) -> None:
    numbered = await execute(SUPPLIER_CREATE, {"input": {"name": "Bolt & Nut", "country": "nl"}})
    supplier = numbered["supplierCreate"]["supplier"]
    assert supplier["code"].startswith("S") and supplier["country"] == "NL"
    assert (supplier["leadTimeDays"], supplier["version"]) == (14, 1)
    taken = await execute(SUPPLIER_CREATE, {"input": {"name": "Copy", "code": "S1"}})
    assert taken["supplierCreate"]["errors"] == [
        {"field": "code", "message": "S1 already exists", "code": "DUPLICATE"}
    ]
    changed = (
        await execute(
            SUPPLIER_UPDATE,
            {
                "input": {
                    "id": supplier["id"],
                    "version": 1,
                    "email": "orders@bolt.example",
                    "leadTimeDays": 21,
                }
            },
        )
    )["supplierUpdate"]
    assert changed["supplier"] == {
        "name": "Bolt & Nut",
        "email": "orders@bolt.example",
        "leadTimeDays": 21,
        "version": 2,
    }
    bad = (
        await execute(
            SUPPLIER_UPDATE, {"input": {"id": supplier["id"], "version": 2, "leadTimeDays": 400}}
        )
    )["supplierUpdate"]
    assert [e["field"] for e in bad["errors"]] == ["leadTimeDays"]
    stale = (
        await execute(SUPPLIER_UPDATE, {"input": {"id": supplier["id"], "version": 1, "name": "X"}})
    )["supplierUpdate"]
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    # A sales rep may not even read suppliers: the payload asks for its errors only.
    errors_only = f"""mutation($input: SupplierCreateInput!) {{ supplierCreate(input: $input) {{
        {ERRORS} }} }}"""
    refused = await execute(errors_only, {"input": {"name": "Side deal"}}, viewer=world.rep)
    assert [e["code"] for e in refused["supplierCreate"]["errors"]] == ["FORBIDDEN"]
