"""Departments: made and changed by HR, never below themselves."""

import asyncpg

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS

CREATE = f"""mutation($input: DepartmentCreateInput!) {{ departmentCreate(input: $input) {{
  department {{ id code name version parent {{ code }} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: DepartmentUpdateInput!) {{ departmentUpdate(input: $input) {{
  department {{ id name version parent {{ code }} }} {ERRORS} }} }}"""


async def test_departments_nest_but_never_below_themselves(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    ops = (await execute(CREATE, {"input": {"code": "OPS", "name": "Operations"}}))[
        "departmentCreate"
    ]["department"]
    stores = (
        await execute(CREATE, {"input": {"code": "STORES", "name": "Stores", "parent": ops["id"]}})
    )["departmentCreate"]["department"]
    assert stores["parent"] == {"code": "OPS"}
    loop = (
        await execute(
            UPDATE, {"input": {"id": ops["id"], "version": ops["version"], "parent": stores["id"]}}
        )
    )["departmentUpdate"]
    assert loop["errors"] == [
        {"field": "parent", "message": "a department cannot sit below itself", "code": "VALIDATION"}
    ]
    renamed = (
        await execute(
            UPDATE,
            {"input": {"id": stores["id"], "version": stores["version"], "name": "Warehouse"}},
        )
    )["departmentUpdate"]["department"]
    assert (renamed["name"], renamed["version"], renamed["parent"]) == (
        "Warehouse",
        stores["version"] + 1,
        {"code": "OPS"},
    )
    taken = (await execute(CREATE, {"input": {"code": "OPS", "name": "Management"}}))[
        "departmentCreate"
    ]
    assert sorted((e["field"], e["code"]) for e in taken["errors"]) == [
        ("code", "DUPLICATE"),
        ("name", "DUPLICATE"),
    ]
    assert await db.fetchval("SELECT count(*) FROM erp.department") == 4


async def test_only_hr_sets_up_departments(execute: Execute, world: World) -> None:
    viewer = Viewer(world.rep_employee, "sam@example.com", frozenset({"sales_manager"}))
    refused = (await execute(CREATE, {"input": {"code": "X", "name": "X"}}, viewer=viewer))[
        "departmentCreate"
    ]
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    hr = Viewer(world.rep_employee, "sam@example.com", frozenset({"hr"}))
    made = (await execute(CREATE, {"input": {"code": "X", "name": "X"}}, viewer=hr))[
        "departmentCreate"
    ]
    assert made["errors"] == []
