"""Field-level write permissions: credit limit, tier and account manager are not every writer's.

Regression tests of the security issue's write-side findings W1 and W2: each replays the
reported attack and expects a FORBIDDEN payload error on the field, and nothing written.
"""

from typing import Any

import asyncpg

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import CUSTOMER_CREATE, ERRORS, create_customer, create_item

CUSTOMER_UPDATE = f"""mutation($input: CustomerUpdateInput!) {{ customerUpdate(input: $input) {{
  customer {{ tier version accountManager {{ email }} }} {ERRORS} }} }}"""


def as_role(world: World, role: str) -> Viewer:
    """Someone holding only `role` (the rep's employee record, as tokens name people)."""
    return Viewer(world.rep_employee, "sam@example.com", frozenset({role}))


async def terms(db: asyncpg.Connection, customer: str) -> tuple[Any, ...]:
    row = await db.fetchrow(
        "SELECT c.credit_limit, c.tier, e.email FROM crm.customer c "
        "LEFT JOIN erp.employee e ON e.id = c.account_manager_id WHERE c.code = $1",
        customer,
    )
    assert row is not None
    return tuple(row)


def refused(payload: dict[str, Any], *fields: str) -> bool:
    return payload["customer"] is None and sorted(
        (error["field"], error["code"]) for error in payload["errors"]
    ) == sorted((field, "FORBIDDEN") for field in fields)


async def test_marketing_neither_sets_a_credit_limit_nor_hands_an_account_over(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    """W1: marketing set a credit limit from 60,000 to 1 and moved the account to another rep."""
    customer = await create_customer(
        execute,
        creditLimit="60000.00",
        accountManager=World.gid("Employee", world.rep_employee),
    )
    before, counts = await terms(db, customer["code"]), await row_counts(db)
    marketing = as_role(world, "marketing")
    base = {"id": customer["id"], "version": customer["version"]}
    other_rep = World.gid("Employee", world.other_rep_employee)
    for change, fields in (
        ({"creditLimit": "1.00"}, ["creditLimit"]),
        ({"accountManager": other_rep}, ["accountManager"]),
        ({"creditLimit": "1.00", "accountManager": other_rep}, ["creditLimit", "accountManager"]),
        ({"name": "Renamed", "accountManager": None}, ["accountManager"]),
    ):
        result = await execute(CUSTOMER_UPDATE, {"input": {**base, **change}}, viewer=marketing)
        assert refused(result["customerUpdate"], *fields), (change, result)
    assert await terms(db, customer["code"]) == before == (60000, "bronze", "sam@example.com")
    assert await row_counts(db) == counts
    # Marketing still edits what is theirs to edit.
    renamed = await execute(
        CUSTOMER_UPDATE, {"input": {**base, "name": "Renamed"}}, viewer=marketing
    )
    assert renamed["customerUpdate"]["errors"] == []


async def test_a_sales_rep_neither_lifts_a_credit_limit_nor_raises_a_tier(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    """W2: a rep blocked by CREDIT_LIMIT_EXCEEDED set the limit to null, then tier PLATINUM."""
    customer = await create_customer(
        execute, creditLimit="100.00", accountManager=World.gid("Employee", world.rep_employee)
    )
    item = await create_item(execute, world, sku="CREDIT-1", price="80.00", stock=10)
    order = {
        "customer": customer["id"],
        "lines": [{"stockItem": item, "quantity": 2}],
        "warehouse": World.gid("Warehouse", world.warehouse),
    }
    place_order = f"""mutation($input: SalesOrderPlaceInput!) {{ salesOrderPlace(input: $input) {{
      salesOrder {{ id }} {ERRORS} }} }}"""
    blocked = await execute(place_order, {"input": order}, viewer=world.rep)
    assert [e["code"] for e in blocked["salesOrderPlace"]["errors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    before, counts = await terms(db, customer["code"]), await row_counts(db)
    base = {"id": customer["id"], "version": customer["version"]}
    for change, field in (({"creditLimit": None}, "creditLimit"), ({"tier": "PLATINUM"}, "tier")):
        result = await execute(CUSTOMER_UPDATE, {"input": {**base, **change}}, viewer=world.rep)
        assert refused(result["customerUpdate"], field), (change, result)
    again = await execute(place_order, {"input": order}, viewer=world.rep)
    assert [e["code"] for e in again["salesOrderPlace"]["errors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    assert await terms(db, customer["code"]) == before == (100, "bronze", "sam@example.com")
    assert await row_counts(db) == counts
    # Nor on a customer of their own making: a new account starts at the defaults.
    for field, value in (("tier", "PLATINUM"), ("creditLimit", None), ("creditLimit", "5.00")):
        created = await execute(
            CUSTOMER_CREATE, {"input": {"name": "Fresh", field: value}}, viewer=world.rep
        )
        assert refused(created["customerCreate"], field), (field, created)
    assert await row_counts(db) == counts


async def test_finance_keeps_credit_limits_and_sales_managers_set_tiers_and_accounts(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute)
    base = {"id": customer["id"]}
    finance, manager = as_role(world, "finance"), as_role(world, "sales_manager")
    limit = await execute(
        CUSTOMER_UPDATE,
        {"input": {**base, "version": 1, "creditLimit": "5000.00"}},
        viewer=finance,
    )
    assert limit["customerUpdate"]["errors"] == []
    tier = await execute(
        CUSTOMER_UPDATE, {"input": {**base, "version": 2, "tier": "GOLD"}}, viewer=finance
    )
    assert refused(tier["customerUpdate"], "tier")
    handover = {"tier": "GOLD", "accountManager": World.gid("Employee", world.other_rep_employee)}
    managed = await execute(
        CUSTOMER_UPDATE, {"input": {**base, "version": 2, **handover}}, viewer=manager
    )
    assert managed["customerUpdate"]["errors"] == []
    assert await terms(db, customer["code"]) == (5000, "gold", "rita@example.com")
    unlimited = await execute(
        CUSTOMER_UPDATE, {"input": {**base, "version": 3, "creditLimit": None}}, viewer=manager
    )
    assert unlimited["customerUpdate"]["errors"] == []
    assert (await terms(db, customer["code"]))[0] is None


async def test_a_sales_reps_new_customer_is_theirs_and_bronze(
    execute: Execute, world: World
) -> None:
    created = await execute(CUSTOMER_CREATE, {"input": {"name": "Own lead"}}, viewer=world.rep)
    payload = created["customerCreate"]
    assert payload["errors"] == [] and payload["customer"]["tier"] == "BRONZE"
    named = await execute(
        CUSTOMER_CREATE,
        {
            "input": {
                "name": "Own lead",
                "accountManager": World.gid("Employee", world.rep_employee),
            }
        },
        viewer=world.rep,
    )
    # Naming the account manager is a manager's call, even naming oneself.
    assert refused(named["customerCreate"], "accountManager")
