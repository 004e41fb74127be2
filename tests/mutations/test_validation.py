"""Bad input gets a typed payload error on the right field, and nothing is written anywhere."""

from typing import Any

import asyncpg
import pytest

from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import (
    CUSTOMER_CREATE,
    ORDER_PLACE,
    create_customer,
    create_item,
)

LONG = "x" * 201


async def _order_input(execute: Execute, world: World) -> dict[str, Any]:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="VAL-1", price="5.00", stock=10)
    return {
        "customer": customer["id"],
        "lines": [{"stockItem": item, "quantity": 1}],
        "warehouse": World.gid("Warehouse", world.warehouse),
    }


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"customer": World.gid("Customer", 999_999)}, "customer", "NOT_FOUND"),
        ({"customer": "not-an-id"}, "customer", "VALIDATION"),
        ({"customer": World.gid("StockItem", 1)}, "customer", "NOT_FOUND"),
        ({"lines": []}, "lines", "EMPTY_ORDER"),
        ({"lines": "too many"}, "lines", "TOO_MANY_LINES"),
        (
            {"lines": [{"stockItem": "STOCK", "quantity": 0}]},
            "lines.0.quantity",
            "INVALID_QUANTITY",
        ),
        (
            {"lines": [{"stockItem": "STOCK", "quantity": -3}]},
            "lines.0.quantity",
            "INVALID_QUANTITY",
        ),
        (
            {"lines": [{"stockItem": World.gid("StockItem", 999_999), "quantity": 1}]},
            "lines.0.stockItem",
            "NOT_FOUND",
        ),
        ({"lines": [{"stockItem": "bm9wZQ==", "quantity": 1}]}, "lines.0.stockItem", "VALIDATION"),
        ({"notes": "n" * 2001}, "notes", "VALIDATION"),
        ({"warehouse": World.gid("Warehouse", 999_999)}, "warehouse", "NOT_FOUND"),
        ({"salesRep": "EMPLOYEE_WHO_LEFT"}, "salesRep", "VALIDATION"),
    ],
)
async def test_bad_orders_are_refused_on_the_right_field(
    execute: Execute,
    world: World,
    db: asyncpg.Connection,
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    order = await _order_input(execute, world)
    item = order["lines"][0]["stockItem"]
    if change.get("lines") == "too many":
        change = {"lines": [{"stockItem": item, "quantity": 1}] * 501}
    elif "lines" in change and change["lines"] and change["lines"][0]["stockItem"] == "STOCK":
        change = {"lines": [{"stockItem": item, "quantity": change["lines"][0]["quantity"]}]}
    elif change.get("salesRep") == "EMPLOYEE_WHO_LEFT":
        change = {"salesRep": World.gid("Employee", world.leaver_employee)}
    before = await row_counts(db)
    result = (await execute(ORDER_PLACE, {"input": {**order, **change}}))["salesOrderPlace"]
    assert result["salesOrder"] is None
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == (field, code)
    assert await row_counts(db) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": LONG}, "name"),
        ({"email": "not an email"}, "email"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XXX"}, "currency"),
        ({"country": "Germany"}, "country"),
        ({"creditLimit": "-1.00"}, "creditLimit"),
        ({"creditLimit": "10.001"}, "creditLimit"),
        ({"accountManager": World.gid("Employee", 999_999)}, "accountManager"),
    ],
)
async def test_bad_customers_are_refused_on_the_right_field(
    execute: Execute, world: World, db: asyncpg.Connection, change: dict[str, Any], field: str
) -> None:
    before = await row_counts(db)
    result = (await execute(CUSTOMER_CREATE, {"input": {"name": "Valid", **change}}))[
        "customerCreate"
    ]
    assert result["customer"] is None
    assert [error["field"] for error in result["errors"]] == [field]
    assert await row_counts(db) == before


async def test_every_problem_is_reported_at_once(execute: Execute, world: World) -> None:
    result = await execute(
        CUSTOMER_CREATE,
        {"input": {"name": "", "email": "@", "currency": "ABC", "country": "ZZ"}},
    )
    fields = sorted(error["field"] for error in result["customerCreate"]["errors"])
    assert fields == ["country", "currency", "email", "name"]


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (
            """mutation($d: Date!) { campaignCreate(input: {name: "Spring", channel: EMAIL,
               budget: "100.00", startsOn: $d}) { errors { field code } } }""",
            {"d": "1850-01-01"},
            "startsOn",
        ),
        (
            """mutation($d: Date!) { employeeCreate(input: {name: "N", email: "n@example.com",
               title: "T", salary: "1.00", hireDate: $d}) { errors { field code } } }""",
            {"d": "2999-01-01"},
            "hireDate",
        ),
        (
            """mutation($t: DateTime!, $c: ID!) { interactionLog(input: {customer: $c,
               channel: PHONE, subject: "Call", occurredAt: $t}) { errors { field code } } }""",
            {"t": "2999-01-01T10:00:00+00:00"},
            "occurredAt",
        ),
    ],
)
async def test_dates_out_of_range_are_refused(
    execute: Execute,
    world: World,
    db: asyncpg.Connection,
    document: str,
    variables: dict[str, Any],
    field: str,
) -> None:
    customer = await create_customer(execute)
    before = await row_counts(db)
    result = await execute(
        document, {**variables, "c": customer["id"]} if "$c" in document else variables
    )
    (payload,) = result.values()
    assert [error["field"] for error in payload["errors"]] == [field]
    assert await row_counts(db) == before
