"""The material plan through the API on a known structure: a planned work order for the
product explodes into its subassembly and parts, netted against free stock and an open
purchase order, each suggestion pegged to what it serves."""

from datetime import date, timedelta
from typing import Any

from tests.mutations.conftest import Execute, World
from tests.mutations.operations import adjust, create_customer, key
from tests.mutations.test_production import PLAN, _run, structure

__all__ = ["structure"]  # the fixture: parts A and B, subassembly S, product P

MATERIAL_PLAN = """query($warehouse: ID!, $days: Int!) {
  materialPlan(warehouse: $warehouse, horizonDays: $days) {
    horizonDays plannedOn items demands warehouse { code }
    suggestions { key action quantity startOn dueOn late stockItem { sku }
      pegs { source on quantity record reference } } } }"""
PURCHASE = """mutation($input: PurchaseOrderCreateInput!) {
  purchaseOrderCreate(input: $input) { purchaseOrder { id } errors { code } } }"""


def _day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


async def _plan(execute: Execute, world: World, **viewer: Any) -> dict[str, Any]:
    result = await execute(
        MATERIAL_PLAN, {"warehouse": World.gid("Warehouse", world.warehouse), "days": 60}, **viewer
    )
    return result["materialPlan"]  # type: ignore[no-any-return]


async def test_a_planned_work_order_explodes_into_suggestions(
    execute: Execute, world: World, structure: dict[str, str]
) -> None:
    await adjust(execute, world, structure["S"], 2)
    await adjust(execute, world, structure["B"], 10)
    order = await _run(
        execute,
        PLAN,
        stockItem=structure["P"],
        warehouse=World.gid("Warehouse", world.warehouse),
        quantity=10,
        dueOn=_day(20),
    )
    work_order = order["workOrder"]["id"]
    purchase = await execute(
        PURCHASE,
        {
            "input": {
                "supplier": World.gid("Supplier", world.supplier),
                "warehouse": World.gid("Warehouse", world.warehouse),
                "lines": [{"stockItem": structure["A"], "quantity": 5}],
                "expectedOn": _day(5),
            }
        },
    )
    assert purchase["purchaseOrderCreate"]["errors"] == []

    plan = await _plan(execute, world)
    assert (plan["horizonDays"], plan["warehouse"], plan["plannedOn"]) == (
        60,
        {"code": "W1"},
        _day(0),
    )
    found = {s["stockItem"]["sku"]: s for s in plan["suggestions"]}
    assert set(found) == {"SUB-S", "PART-A", "PART-B"}  # P is on its way: the work order
    # P starts 3 days before it is due: S (2 free) is needed then, made in 1 day.
    sub = found["SUB-S"]
    assert (sub["action"], sub["quantity"], sub["dueOn"], sub["startOn"], sub["late"]) == (
        "MAKE",
        8,
        _day(17),
        _day(16),
        False,
    )
    assert [(p["source"], p["record"], p["quantity"]) for p in sub["pegs"]] == [
        ("WORK_ORDER", work_order, "8")
    ]
    # S needs 8 × 2 × 1.1 = 17.6 A on its start; 5 arrive on day 5: buy 13, 10 days ahead.
    part_a = found["PART-A"]
    assert (part_a["action"], part_a["quantity"], part_a["dueOn"], part_a["startOn"]) == (
        "BUY",
        13,
        _day(16),
        _day(6),
    )
    assert [(p["source"], p["reference"]) for p in part_a["pegs"]] == [("SUGGESTION", sub["key"])]
    # B: 8 × 0.5 for S on day 16 from the 10 free, then 40 for P on day 17: 34 short.
    part_b = found["PART-B"]
    assert (part_b["quantity"], part_b["dueOn"]) == (34, _day(17))
    assert [(p["source"], p["quantity"]) for p in part_b["pegs"]] == [("WORK_ORDER", "34")]
    assert key(work_order) > 0


async def test_the_plan_is_for_those_who_read_costs(execute: Execute, world: World) -> None:
    result = await execute(
        """query($warehouse: ID!) { materialPlan(warehouse: $warehouse) { items } }""",
        {"warehouse": World.gid("Warehouse", world.warehouse)},
        viewer=world.rep,
        errors=True,
    )
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


OPPORTUNITY_CREATE = """mutation($input: OpportunityCreateInput!) {
  opportunityCreate(input: $input) { opportunity { id version } errors { code } } }"""
WON_WITH_ITS_PRODUCTS = """mutation($input: OpportunityWinInput!) { opportunityWin(input: $input) {
  opportunity { salesOrder { lines { quantity stockItem { sku } } } } errors { code } } }"""
SET_PRODUCTS = """mutation($input: OpportunitySetProductsInput!) {
  opportunitySetProducts(input: $input) {
    opportunity { id lines { quantity stockItem { sku } } } errors { field code } } }"""


async def test_an_open_deal_is_demand_weighted_by_its_probability(
    execute: Execute, world: World, structure: dict[str, str]
) -> None:
    customer = await create_customer(execute)
    created = await execute(
        OPPORTUNITY_CREATE,
        {
            "input": {
                "customer": customer["id"],
                "name": "Lab fit-out",
                "amount": "5000.00",
                "stage": "PROPOSAL",
                "probability": 40,
                "expectedCloseOn": _day(30),
            }
        },
    )
    deal = created["opportunityCreate"]["opportunity"]
    refused = await execute(
        SET_PRODUCTS,
        {"input": {"id": deal["id"], "lines": [{"stockItem": structure["P"], "quantity": 0}]}},
    )
    assert refused["opportunitySetProducts"]["errors"] == [
        {"field": "lines.0.quantity", "code": "INVALID_QUANTITY"}
    ]
    products = await execute(
        SET_PRODUCTS,
        {"input": {"id": deal["id"], "lines": [{"stockItem": structure["P"], "quantity": 25}]}},
    )
    assert products["opportunitySetProducts"]["opportunity"]["lines"] == [
        {"quantity": 25, "stockItem": {"sku": "PROD-P"}}
    ]
    plan = await _plan(execute, world)
    (product,) = [s for s in plan["suggestions"] if s["stockItem"]["sku"] == "PROD-P"]
    # 25 units at 40 %: 10 expected on the close day, made in 3 days.
    assert (product["action"], product["quantity"], product["dueOn"], product["startOn"]) == (
        "MAKE",
        10,
        _day(30),
        _day(27),
    )
    assert [(p["source"], p["record"], p["quantity"]) for p in product["pegs"]] == [
        ("OPPORTUNITY", deal["id"], "10")
    ]
    # Won without lines, the deal's products become the draft order's.
    won = (
        await execute(
            WON_WITH_ITS_PRODUCTS,
            {"input": {"id": deal["id"], "warehouse": World.gid("Warehouse", world.warehouse)}},
        )
    )["opportunityWin"]
    assert won["errors"] == []
    assert won["opportunity"]["salesOrder"]["lines"] == [
        {"quantity": 25, "stockItem": {"sku": "PROD-P"}}
    ]


APPLY = """mutation($input: MaterialPlanApplyInput!) { materialPlanApply(input: $input) {
  warehouse { code }
  workOrders { number status quantity dueOn plannedStart stockItem { sku } }
  purchaseOrders { number status expectedOn lines { quantity stockItem { sku } } }
  errors { field code } } }"""


async def test_chosen_suggestions_become_drafts_and_leave_the_plan(
    execute: Execute, world: World, structure: dict[str, str]
) -> None:
    await adjust(execute, world, structure["S"], 2)
    await adjust(execute, world, structure["B"], 10)
    await _run(
        execute,
        PLAN,
        stockItem=structure["P"],
        warehouse=World.gid("Warehouse", world.warehouse),
        quantity=10,
        dueOn=_day(20),
    )
    keys = [s["key"] for s in (await _plan(execute, world))["suggestions"]]
    assert len(keys) == 3
    warehouse = World.gid("Warehouse", world.warehouse)
    applied = (
        await execute(
            APPLY, {"input": {"warehouse": warehouse, "suggestions": keys, "horizonDays": 60}}
        )
    )["materialPlanApply"]
    assert applied["errors"] == []
    assert applied["workOrders"] == [
        {
            "number": applied["workOrders"][0]["number"],
            "status": "PLANNED",
            "quantity": 8,
            "dueOn": _day(17),
            "plannedStart": _day(16),
            "stockItem": {"sku": "SUB-S"},
        }
    ]
    (purchase,) = applied["purchaseOrders"]
    assert (purchase["status"], purchase["expectedOn"]) == ("DRAFT", _day(16))
    assert sorted((line["stockItem"]["sku"], line["quantity"]) for line in purchase["lines"]) == [
        ("PART-A", 18),  # the planned work order needs whole units: 8 × 2.2 = 17.6 → 18
        ("PART-B", 34),
    ]
    # Drafted, the suggestions are supplies now: nothing is left to suggest.
    assert (await _plan(execute, world))["suggestions"] == []
    again = (
        await execute(
            APPLY, {"input": {"warehouse": warehouse, "suggestions": keys[:1], "horizonDays": 60}}
        )
    )["materialPlanApply"]
    assert again["errors"] == [{"field": "suggestions.0", "code": "SUGGESTION_GONE"}]


WIN = """mutation($input: OpportunityWinInput!) { opportunityWin(input: $input) {
  opportunity { salesOrder { id status lines { id } } } errors { code } } }"""
ORDER = """query($id: ID!) { node(id: $id) { ... on SalesOrder {
  waitsOnProduction lines { promisedOn } customer { waiting: orders(first: 5,
    where: {waitsOnProduction: {eq: true}}) { totalCount } } } } }"""


async def test_an_order_for_a_manufactured_item_shows_when_it_is_promised(
    execute: Execute, world: World, structure: dict[str, str]
) -> None:
    customer = await create_customer(execute)
    deal = (
        await execute(
            OPPORTUNITY_CREATE,
            {
                "input": {
                    "customer": customer["id"],
                    "name": "Six analysers",
                    "amount": "720.00",
                    "stage": "NEGOTIATION",
                }
            },
        )
    )["opportunityCreate"]["opportunity"]
    won = (
        await execute(
            WIN,
            {
                "input": {
                    "id": deal["id"],
                    "lines": [{"stockItem": structure["P"], "quantity": 6}],
                    "warehouse": World.gid("Warehouse", world.warehouse),
                }
            },
        )
    )["opportunityWin"]
    assert won["errors"] == []
    order = won["opportunity"]["salesOrder"]
    assert order["status"] == "DRAFT"
    (line,) = order["lines"]
    before = (await execute(ORDER, {"id": order["id"]}))["node"]
    assert (before["waitsOnProduction"], before["lines"]) == (False, [{"promisedOn": None}])
    # The draft's 6 P, due now, are made: the suggestion is pegged to the order line.
    plan = await _plan(execute, world)
    (make,) = [s for s in plan["suggestions"] if s["stockItem"]["sku"] == "PROD-P"]
    assert [(p["source"], p["record"], p["quantity"]) for p in make["pegs"]] == [
        ("SALES_ORDER_LINE", line["id"], "6")
    ]
    # Needed now, made in three days: started today, late, due in three days.
    assert (make["startOn"], make["dueOn"], make["late"]) == (_day(0), _day(3), True)
    applied = await execute(
        APPLY,
        {
            "input": {
                "warehouse": World.gid("Warehouse", world.warehouse),
                "suggestions": [make["key"]],
                "horizonDays": 60,
            }
        },
    )
    assert applied["materialPlanApply"]["errors"] == []
    after = (await execute(ORDER, {"id": order["id"]}))["node"]
    assert after["waitsOnProduction"] is True
    assert after["lines"] == [{"promisedOn": _day(3)}]
    assert after["customer"]["waiting"]["totalCount"] == 1
