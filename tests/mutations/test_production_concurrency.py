"""200 work orders race for 100 units of their one component: released, started, reported
and closed all at once, exactly 100 are made, and no component's stock ever goes below
zero or out of step with its ledger."""

import asyncio
from collections import Counter
from datetime import date, timedelta

import asyncpg
import pytest

from tests.mutations.conftest import Execute, World
from tests.mutations.operations import create_item
from tests.stock_checks import LEDGER_DRIFT

ORDERS = 200
UNITS = 100
STEP = """mutation($input: {kind}Input!) {{ {name}(input: $input) {{
  workOrder {{ id status }} errors {{ code }} }} }}"""


def _step(name: str) -> str:
    return STEP.format(kind=name[0].upper() + name[1:], name=name)


async def _chain(execute: Execute, work_order: str) -> str:
    """Release, start, report one unit, close; the first refusal ends it."""
    for name, extra in (
        ("workOrderRelease", {}),
        ("workOrderStart", {}),
        ("workOrderReport", {"produced": 1}),
        ("workOrderClose", {}),
    ):
        result = await execute(_step(name), {"input": {"id": work_order, **extra}})
        errors = result[name]["errors"]
        if errors:
            return f"{name}:{errors[0]['code']}"
    return "made"


# The race is over the database; running it with and without the executor's shortcuts
# would race twice alike.
@pytest.mark.parametrize("schema", [True], indirect=True, ids=["shortcuts"])
async def test_released_and_reported_together_no_component_goes_below_zero(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    component = await create_item(execute, world, sku="RACE-C", price="2.00", stock=UNITS)
    product = await create_item(execute, world, sku="RACE-P", price="9.00")
    created = await execute(
        """mutation($input: BomCreateInput!) { bomCreate(input: $input) {
          bom { id } errors { code } } }""",
        {
            "input": {
                "stockItem": product,
                "lines": [{"component": component, "quantity": "1"}],
                "activate": True,
            }
        },
    )
    assert created["bomCreate"]["errors"] == []
    due = (date.today() + timedelta(days=30)).isoformat()
    orders = []
    for _ in range(ORDERS):
        planned = await execute(
            _step("workOrderPlan"),
            {
                "input": {
                    "stockItem": product,
                    "warehouse": World.gid("Warehouse", world.warehouse),
                    "quantity": 1,
                    "dueOn": due,
                }
            },
        )
        orders.append(planned["workOrderPlan"]["workOrder"]["id"])

    outcomes = Counter(await asyncio.gather(*(_chain(execute, order) for order in orders)))

    assert outcomes == {"made": UNITS, "workOrderRelease:INSUFFICIENT_STOCK": ORDERS - UNITS}
    levels = {
        row["sku"]: (row["on_hand"], row["reserved"])
        for row in await db.fetch(
            "SELECT i.sku, l.on_hand, l.reserved FROM erp.stock_level l "
            "JOIN erp.stock_item i ON i.id = l.stock_item_id"
        )
    }
    assert levels == {"RACE-C": (0, 0), "RACE-P": (UNITS, 0)}
    assert await db.fetchval(LEDGER_DRIFT) == 0
    # The ledger's running available never dipped below zero, movement by movement.
    lowest = await db.fetchval(
        """
        SELECT min(available) FROM (
          SELECT sum(m.delta_on_hand - m.delta_reserved) OVER (ORDER BY m.id) AS available
          FROM erp.stock_movement m JOIN erp.stock_item i ON i.id = m.stock_item_id
          WHERE i.sku = 'RACE-C') running
        """
    )
    assert lowest == 0
