"""Production through the API: bills of materials over two levels with their cost roll-up
and cycle refusal, and every step of a work order with its stock and ledger effects."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import ERRORS, adjust, create_item, key

BOM_CREATE = f"""mutation($input: BomCreateInput!) {{ bomCreate(input: $input) {{
  bom {{ id revision status rolledUpCost stockItem {{ sku unitCost }}
        lines {{ quantity scrapPercent component {{ sku }} }} }} {ERRORS} }} }}"""
BOM_ACTIVATE = f"""mutation($input: BomActivateInput!) {{ bomActivate(input: $input) {{
  bom {{ id status rolledUpCost }} {ERRORS} }} }}"""
ITEM = """query($id: ID!) { node(id: $id) { ... on StockItem {
  sku unitCost onHand reserved available
  activeBom { revision } boms { revision status } } } }"""
ITEM_UPDATE = f"""mutation($input: StockItemUpdateInput!) {{ stockItemUpdate(input: $input) {{
  stockItem {{ unitCost }} {ERRORS} }} }}"""
DUE = (date.today() + timedelta(days=60)).isoformat()
WORK_ORDER = """id number status quantity quantityProduced quantityScrapped unitCost
  materialCost conversionApplied outputValue variance version
  components { quantityRequired quantityReserved quantityConsumed component { sku } }"""


def _mutation(name: str, input_type: str) -> str:
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ "
        f"workOrder {{ {WORK_ORDER} }} {ERRORS} }} }}"
    )


PLAN = _mutation("workOrderPlan", "WorkOrderPlanInput")
RELEASE = _mutation("workOrderRelease", "WorkOrderReleaseInput")
START = _mutation("workOrderStart", "WorkOrderStartInput")
REPORT = _mutation("workOrderReport", "WorkOrderReportInput")
CLOSE = _mutation("workOrderClose", "WorkOrderCloseInput")
CANCEL = _mutation("workOrderCancel", "WorkOrderCancelInput")


async def _bom(
    execute: Execute, item: str, lines: list[tuple[str, str, str]], **extra: Any
) -> dict[str, Any]:
    result = await execute(
        BOM_CREATE,
        {
            "input": {
                "stockItem": item,
                "lines": [
                    {"component": component, "quantity": quantity, "scrapPercent": scrap}
                    for component, quantity, scrap in lines
                ],
                **extra,
            }
        },
    )
    return result["bomCreate"]  # type: ignore[no-any-return]


async def _item(execute: Execute, item: str) -> dict[str, Any]:
    return (await execute(ITEM, {"id": item}))["node"]  # type: ignore[no-any-return]


async def _cost(execute: Execute, world: World, item: str, cost: str) -> dict[str, Any]:
    version = (
        await execute(
            "query($id: ID!) { node(id: $id) { ... on StockItem { version } } }", {"id": item}
        )
    )["node"]["version"]
    result = await execute(
        ITEM_UPDATE, {"input": {"id": item, "version": version, "unitCost": cost}}
    )
    return result["stockItemUpdate"]  # type: ignore[no-any-return]


@pytest.fixture
async def structure(execute: Execute, world: World) -> dict[str, str]:
    """Two bought parts (A costs 10.00, B 4.00), a subassembly S = 2 A (10 % scrap) +
    0.5 B + 3.00 conversion, and a product P = 1 S + 4 B + 5.00 conversion."""
    items = {
        "A": await create_item(execute, world, sku="PART-A", price="20.00"),
        "B": await create_item(execute, world, sku="PART-B", price="8.00"),
        "S": await create_item(execute, world, sku="SUB-S", price="60.00"),
        "P": await create_item(execute, world, sku="PROD-P", price="120.00"),
    }
    sub = await _bom(
        execute,
        items["S"],
        [(items["A"], "2", "10"), (items["B"], "0.5", "0")],
        conversionCost="3.00",
        activate=True,
    )
    assert sub["errors"] == [], sub["errors"]
    product = await _bom(
        execute,
        items["P"],
        [(items["S"], "1", "0"), (items["B"], "4", "0")],
        conversionCost="5.00",
        leadTimeDays=3,
        activate=True,
    )
    assert product["errors"] == [], product["errors"]
    return items


async def test_costs_roll_up_through_every_level(
    execute: Execute, world: World, structure: dict[str, str]
) -> None:
    # S: 2 × 1.1 × 10 + 0.5 × 4 + 3 = 27; P: 27 + 4 × 4 + 5 = 48.
    assert (await _item(execute, structure["S"]))["unitCost"] == "27.00"
    assert (await _item(execute, structure["P"]))["unitCost"] == "48.00"
    # A bought part's cost changes: everything made from it is costed again.
    changed = await _cost(execute, world, structure["A"], "20.00")
    assert changed["errors"] == [], changed["errors"]
    assert (await _item(execute, structure["S"]))["unitCost"] == "49.00"  # 44 + 2 + 3
    assert (await _item(execute, structure["P"]))["unitCost"] == "70.00"  # 49 + 16 + 5
    # A manufactured item's own cost is its BOM's.
    refused = await _cost(execute, world, structure["P"], "1.00")
    assert [e["code"] for e in refused["errors"]] == ["ROLLED_UP_COST"]
    assert (await _item(execute, structure["P"]))["unitCost"] == "70.00"


async def test_a_new_revision_replaces_the_active_one(
    execute: Execute, world: World, structure: dict[str, str]
) -> None:
    draft = await _bom(execute, structure["S"], [(structure["A"], "1", "0")])
    assert draft["errors"] == []
    assert (draft["bom"]["revision"], draft["bom"]["status"]) == (2, "DRAFT")
    # A draft costs nothing yet: the item keeps its active revision's cost.
    assert (await _item(execute, structure["S"]))["unitCost"] == "27.00"
    activated = await execute(BOM_ACTIVATE, {"input": {"id": draft["bom"]["id"]}})
    assert activated["bomActivate"]["errors"] == []
    item = await _item(execute, structure["S"])
    assert item["activeBom"] == {"revision": 2}
    assert item["boms"] == [
        {"revision": 2, "status": "ACTIVE"},
        {"revision": 1, "status": "ARCHIVED"},
    ]
    assert item["unitCost"] == "10.00"  # 1 × 10, no conversion
    assert (await _item(execute, structure["P"]))["unitCost"] == "31.00"  # 10 + 16 + 5
    again = await execute(BOM_ACTIVATE, {"input": {"id": draft["bom"]["id"]}})
    assert [e["code"] for e in again["bomActivate"]["errors"]] == ["INVALID_TRANSITION"]


@pytest.mark.parametrize(
    ("made", "of", "path"),
    [
        ("S", ["P"], "SUB-S → PROD-P → SUB-S"),  # P is made of S
        ("A", ["P"], "PART-A → PROD-P → SUB-S → PART-A"),  # three levels down
        ("B", ["B"], "PART-B → PART-B"),
    ],
)
async def test_an_item_is_never_made_of_itself(
    execute: Execute,
    db: asyncpg.Connection,
    structure: dict[str, str],
    made: str,
    of: list[str],
    path: str,
) -> None:
    before = await row_counts(db)
    result = await _bom(execute, structure[made], [(structure[name], "1", "0") for name in of])
    assert result["bom"] is None
    assert result["errors"] == [
        {
            "field": "lines",
            "message": f"an item would be made of itself: {path}",
            "code": "BOM_CYCLE",
        }
    ]
    assert await row_counts(db) == before


async def test_bad_lines_are_refused_together(execute: Execute, structure: dict[str, str]) -> None:
    result = await _bom(
        execute,
        structure["P"],
        [(structure["A"], "0", "0"), (structure["A"], "1.00001", "100")],
        leadTimeDays=400,
    )
    assert sorted((e["field"], e["code"]) for e in result["errors"]) == [
        ("leadTimeDays", "VALIDATION"),
        ("lines.0.quantity", "INVALID_QUANTITY"),
        ("lines.1.component", "VALIDATION"),
        ("lines.1.quantity", "INVALID_QUANTITY"),
        ("lines.1.scrapPercent", "VALIDATION"),
    ]


async def _run(execute: Execute, document: str, **fields: Any) -> dict[str, Any]:
    result = await execute(document, {"input": fields})
    (payload,) = result.values()
    return payload  # type: ignore[no-any-return]


async def _plan(execute: Execute, world: World, item: str, quantity: int) -> dict[str, Any]:
    planned = await _run(
        execute,
        PLAN,
        stockItem=item,
        warehouse=World.gid("Warehouse", world.warehouse),
        quantity=quantity,
        dueOn=DUE,
    )
    assert planned["errors"] == [], planned["errors"]
    return planned["workOrder"]  # type: ignore[no-any-return]


async def _balance(db: asyncpg.Connection, purpose: str) -> Decimal:
    value = await db.fetchval(
        "SELECT coalesce(sum(l.debit - l.credit), 0) FROM finance.journal_line l "
        "JOIN finance.account a ON a.id = l.account_id WHERE a.purpose = $1",
        purpose,
    )
    return Decimal(value)


async def test_a_work_order_from_plan_to_close(
    execute: Execute, world: World, db: asyncpg.Connection, structure: dict[str, str]
) -> None:
    order = await _plan(execute, world, structure["P"], 10)
    assert (order["status"], order["unitCost"]) == ("PLANNED", "48.0000")
    assert [(c["component"]["sku"], c["quantityRequired"]) for c in order["components"]] == [
        ("SUB-S", 10),
        ("PART-B", 40),
    ]
    # Nothing there yet: both components are named, nothing is held.
    before = await row_counts(db)
    short = await _run(execute, RELEASE, id=order["id"])
    assert short["workOrder"] is None
    assert [(e["field"], e["code"], e["message"]) for e in short["errors"]] == [
        ("components.0", "INSUFFICIENT_STOCK", "only 0 of SUB-S available (asked for 10)"),
        ("components.1", "INSUFFICIENT_STOCK", "only 0 of PART-B available (asked for 40)"),
    ]
    assert await row_counts(db) == before
    await adjust(execute, world, structure["S"], 12)
    await adjust(execute, world, structure["B"], 45)
    released = await _run(execute, RELEASE, id=order["id"])
    assert released["errors"] == []
    assert [c["quantityReserved"] for c in released["workOrder"]["components"]] == [10, 40]
    assert (await _item(execute, structure["B"]))["available"] == 5
    early = await _run(execute, REPORT, id=order["id"], produced=1)
    assert [e["code"] for e in early["errors"]] == ["INVALID_TRANSITION"]
    assert (await _run(execute, START, id=order["id"]))["workOrder"]["status"] == "IN_PROGRESS"

    first = await _run(execute, REPORT, id=order["id"], produced=4, scrapped=1)
    assert first["errors"] == []
    done = first["workOrder"]
    assert [(c["quantityConsumed"], c["quantityReserved"]) for c in done["components"]] == [
        (5, 5),
        (20, 20),
    ]
    # Components at their cost (S 27, B 4): 5 × 27 + 20 × 4; conversion for the five units
    # worked on (the spoilt one too): 5 × 5; output at standard: 4 × 48.
    assert (done["materialCost"], done["conversionApplied"], done["outputValue"]) == (
        "215.00",
        "25.00",
        "192.00",
    )
    product = await _item(execute, structure["P"])
    assert (product["onHand"], product["available"]) == (4, 4)
    over = await _run(execute, REPORT, id=order["id"], produced=6)
    assert [(e["code"], e["message"]) for e in over["errors"]] == [
        ("OVER_REPORTED", "only 5 of 10 units are still to be made")
    ]
    last = await _run(execute, REPORT, id=order["id"], produced=5)
    assert [c["quantityConsumed"] for c in last["workOrder"]["components"]] == [10, 40]

    closed = await _run(execute, CLOSE, id=order["id"])
    assert closed["errors"] == []
    order = closed["workOrder"]
    # 10 S and 40 B consumed (430.00) and 10 units' conversion absorbed (50.00) for 9 good
    # units at 48 (432.00): the spoilt unit's 48.00 is the variance.
    assert (order["status"], order["materialCost"], order["outputValue"], order["variance"]) == (
        "COMPLETED",
        "430.00",
        "432.00",
        "48.00",
    )
    assert [c["quantityReserved"] for c in order["components"]] == [0, 0]
    sub = await _item(execute, structure["S"])
    assert (sub["onHand"], sub["reserved"]) == (2, 0)
    # Work in progress is empty again; the variance sits on its own account.
    assert await _balance(db, "work_in_progress") == 0
    assert await _balance(db, "production_variance") == Decimal("48.00")
    assert await _balance(db, "conversion_absorbed") == Decimal("-50.00")
    # BI tools read the same figures.
    shown = await db.fetchrow(
        "SELECT status, sku, bom_revision, quantity_produced, quantity_scrapped, "
        "material_cost, conversion_applied, output_value, variance "
        "FROM bi.work_orders WHERE number = $1",
        order["number"],
    )
    assert tuple(shown) == (
        "completed",
        "PROD-P",
        1,
        9,
        1,
        Decimal("430.00"),
        Decimal("50.00"),
        Decimal("432.00"),
        Decimal("48.00"),
    )
    kinds = await db.fetch(
        "SELECT kind, count(*) AS n FROM erp.stock_movement WHERE work_order_id = $1 "
        "GROUP BY kind ORDER BY kind",
        key(order["id"]),
    )
    assert {row["kind"]: row["n"] for row in kinds} == {
        "consumption": 4,  # two reports × two components
        "production": 2,
        "reservation": 2,
    }


async def test_cancelling_releases_what_was_reserved(
    execute: Execute, world: World, structure: dict[str, str]
) -> None:
    await adjust(execute, world, structure["S"], 3)
    await adjust(execute, world, structure["B"], 12)
    order = await _plan(execute, world, structure["P"], 3)
    assert (await _run(execute, RELEASE, id=order["id"]))["errors"] == []
    assert (await _item(execute, structure["S"]))["available"] == 0
    cancelled = await _run(execute, CANCEL, id=order["id"])
    assert cancelled["workOrder"]["status"] == "CANCELLED"
    assert (await _item(execute, structure["S"]))["available"] == 3
    # Something made: close it instead.
    other = await _plan(execute, world, structure["P"], 2)
    await _run(execute, RELEASE, id=other["id"])
    await _run(execute, START, id=other["id"])
    await _run(execute, REPORT, id=other["id"], produced=1)
    refused = await _run(execute, CANCEL, id=other["id"])
    assert [e["code"] for e in refused["errors"]] == ["ALREADY_REPORTED"]


async def test_only_manufactured_items_are_planned(
    execute: Execute, world: World, structure: dict[str, str]
) -> None:
    refused = await _run(
        execute,
        PLAN,
        stockItem=structure["A"],
        warehouse=World.gid("Warehouse", world.warehouse),
        quantity=1,
        dueOn=DUE,
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("stockItem", "NOT_MANUFACTURED")
    ]
