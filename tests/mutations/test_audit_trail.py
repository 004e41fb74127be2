"""The audit trail through the API: who sees which entries, and what they see of them."""

from typing import Any

import asyncpg

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import CUSTOMER_CREATE, ERRORS, create_customer

AUDIT = """query($entity: ID, $filter: AuditFilter) {
  auditLog(entity: $entity, filter: $filter, first: 50) { totalCount edges { node {
    action actor source requestId entityType entityId employee { email }
    changes { field from to restricted } } } } }"""
CUSTOMER_UPDATE = f"""mutation($input: CustomerUpdateInput!) {{
  customerUpdate(input: $input) {{ customer {{ creditLimit version }} {ERRORS} }} }}"""


async def _hire(db: asyncpg.Connection, name: str, email: str, manager: int | None) -> int:
    key: int = await db.fetchval(
        "INSERT INTO erp.employee (name, email, title, hire_date, salary, status, manager_id) "
        "VALUES ($1, $2, 'Manager', '2020-01-01', 70000, 'active', $3) RETURNING id",
        name,
        email,
        manager,
    )
    return key


async def _entries(execute: Execute, viewer: Viewer, **variables: Any) -> list[dict[str, Any]]:
    result = await execute(AUDIT, variables, viewer=viewer)
    return [edge["node"] for edge in result["auditLog"]["edges"]]


async def test_admins_read_every_entry_and_managers_their_teams(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    chief = await _hire(db, "Cleo Chief", "cleo@example.com", None)
    manager = await _hire(db, "Max Manager", "max@example.com", chief)
    await db.execute(
        "UPDATE erp.employee SET manager_id = $1 WHERE id = $2", manager, world.rep_employee
    )
    as_manager = Viewer(manager, "max@example.com", frozenset({"sales_manager"}))
    as_chief = Viewer(chief, "cleo@example.com", frozenset({"marketing"}))

    await create_customer(execute, name="Admin's Own")
    await execute(CUSTOMER_CREATE, {"input": {"name": "Sam's"}}, viewer=world.rep)
    await execute(CUSTOMER_CREATE, {"input": {"name": "Rita's"}}, viewer=world.other_rep)
    managed = (await execute(CUSTOMER_CREATE, {"input": {"name": "Max's"}}, viewer=as_manager))[
        "customerCreate"
    ]["customer"]
    updated = await execute(
        CUSTOMER_UPDATE,
        {"input": {"id": managed["id"], "version": 1, "creditLimit": "5000.00"}},
        viewer=as_manager,
    )
    assert updated["customerUpdate"]["errors"] == []

    everything = await _entries(execute, world.admin)
    actors = {entry["actor"] for entry in everything}
    assert {"ada@example.com", "sam@example.com", "rita@example.com", "max@example.com"} <= actors
    # The manager sees their own changes and their report's, not a colleague's.
    assert {e["actor"] for e in await _entries(execute, as_manager)} == {
        "max@example.com",
        "sam@example.com",
    }
    # A rep with nobody reporting to them sees only their own.
    assert {e["actor"] for e in await _entries(execute, world.rep)} == {"sam@example.com"}

    # One record's history, newest first; its credit limit is closed to a marketing chief.
    history = await _entries(execute, world.admin, entity=managed["id"])
    assert [e["action"] for e in history] == ["customer.updated", "customer.created"]
    limit = {c["field"]: c for c in history[0]["changes"]}["creditLimit"]
    assert limit == {"field": "creditLimit", "from": None, "to": "5000.00", "restricted": False}
    assert history[0]["entityType"] == "Customer" and history[0]["entityId"] == managed["id"]
    assert history[0]["source"] == "API" and history[0]["requestId"]
    assert history[0]["employee"] == {"email": "max@example.com"}
    seen_by_chief = await _entries(execute, as_chief, entity=managed["id"])
    closed = {c["field"]: c for c in seen_by_chief[0]["changes"]}["creditLimit"]
    assert closed == {"field": "creditLimit", "from": None, "to": None, "restricted": True}


async def test_filters_narrow_the_trail(execute: Execute, world: World) -> None:
    await create_customer(execute, name="One")
    await execute(CUSTOMER_CREATE, {"input": {"name": "Two"}}, viewer=world.rep)
    by_rep = await _entries(
        execute, world.admin, filter={"employee": world.gid("Employee", world.rep_employee)}
    )
    assert [e["actor"] for e in by_rep] == ["sam@example.com"]
    created = await _entries(
        execute, world.admin, filter={"action": "customer.created", "source": ["API"]}
    )
    assert len(created) == 2
    assert await _entries(execute, world.admin, filter={"source": ["IMPORT"]}) == []
    future = await _entries(execute, world.admin, filter={"occurredFrom": "2999-01-01T00:00:00Z"})
    assert future == []
