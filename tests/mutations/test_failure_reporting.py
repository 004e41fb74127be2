"""A mutation reports success exactly when its commit happened, and every failure says
whether repeating the request is safe.

Faults are real: a row lock held by another transaction, a server connection terminated
while its commit waits, a read pool whose server cannot be reached.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.types import ExecutionResult

from api.errors import ErrorPolicy
from api.settings import Settings
from domain.core.access import Viewer
from domain.core.reads import ReadPool
from domain.core.sessions import asyncpg_dsn, create_engine, session_factory
from schema.build import build_schema
from schema.core.context import AppState, Context
from schema.core.loaders import Loaders
from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import ERRORS, ORDER_PLACE, create_customer, create_item, key

LOCK_TIMEOUT_MS = 200
LOG = f"""mutation($input: InteractionLogInput!) {{ interactionLog(input: $input) {{
  interaction {{ id subject }} {ERRORS} }} }}"""
TWO_UPDATES = f"""mutation($a: CustomerUpdateInput!, $b: CustomerUpdateInput!) {{
  a: customerUpdate(input: $a) {{ customer {{ name version }} {ERRORS} }}
  b: customerUpdate(input: $b) {{ customer {{ name version }} {ERRORS} }} }}"""
CREATE = f"""mutation {{ customerCreate(input: {{name: "Nord AG", idempotencyKey: "nord"}}) {{
  customer {{ id name version status }} {ERRORS} }} }}"""


class Runner:
    """Runs documents as the admin on an engine and a read pool of the test's choosing, and
    returns the whole result (errors included)."""

    def __init__(self, schema: strawberry.Schema, engine: AsyncEngine, reads: ReadPool) -> None:
        self.schema = schema
        self.state = AppState(
            engine=engine, sessions=session_factory(engine), reads=reads, settings=Settings()
        )

    async def run(self, viewer: Viewer, query: str, **variables: Any) -> ExecutionResult:
        context = Context(
            state=self.state,
            viewer=viewer,
            request_id=uuid.uuid4().hex,
            loaders=Loaders(self.state.reads, viewer),
        )
        return await self.schema.execute(query, variable_values=variables, context_value=context)


@pytest.fixture(scope="module")
def api_schema() -> strawberry.Schema:
    """The schema with the API's error policy, which turns failures into coded errors."""
    return build_schema(extensions=[ErrorPolicy])


@pytest.fixture
async def runner(
    api_schema: strawberry.Schema, database_url: str, world: World
) -> AsyncIterator[Runner]:
    engine = create_engine(
        database_url, lock_timeout_ms=LOCK_TIMEOUT_MS, application_name="bizgraph-faulty"
    )
    reads = ReadPool(database_url, max_size=3)
    yield Runner(api_schema, engine, reads)
    await reads.close()
    await engine.dispose()


def _extensions(result: ExecutionResult) -> dict[str, Any]:
    assert result.errors is not None and len(result.errors) == 1, result.errors
    return dict(result.errors[0].extensions or {})


async def test_a_change_blocked_by_a_row_lock_is_lock_timeout_and_safe_to_retry(
    execute: Execute, world: World, db: asyncpg.Connection, runner: Runner, database_url: str
) -> None:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="HOT-1", price="5.00", stock=10)
    order = {"customer": customer["id"], "lines": [{"stockItem": item, "quantity": 1}]}
    counts = await row_counts(db)
    blocker = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await blocker.execute("BEGIN")
        await blocker.execute(
            "SELECT 1 FROM erp.stock_level WHERE stock_item_id = $1 FOR UPDATE", key(item)
        )
        blocked = await runner.run(world.admin, ORDER_PLACE, input=order)
    finally:
        await blocker.close()
    extensions = _extensions(blocked)
    assert (extensions["code"], extensions["retrySafe"]) == ("LOCK_TIMEOUT", True)
    assert "nothing was written" in blocked.errors[0].message  # type: ignore[index]
    assert await row_counts(db) == counts

    retried = await runner.run(world.admin, ORDER_PLACE, input=order)
    assert retried.errors is None
    assert retried.data is not None and retried.data["salesOrderPlace"]["errors"] == []


async def _terminate_when_committing(db: asyncpg.Connection) -> None:
    """Wait until the app's transaction sleeps inside its commit, then cut its connection."""
    for _ in range(600):
        pid = await db.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'bizgraph-faulty' "
            "AND wait_event = 'PgSleep'"
        )
        if pid is not None:
            assert await db.fetchval("SELECT pg_terminate_backend($1)", pid)
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the commit never reached the deferred trigger")


async def test_a_commit_cut_off_is_outcome_unknown_and_a_keyed_retry_writes_once(
    execute: Execute, world: World, db: asyncpg.Connection, runner: Runner
) -> None:
    customer = await create_customer(execute)
    request = {
        "customer": customer["id"],
        "channel": "PHONE",
        "subject": "Renewal call",
        "idempotencyKey": "call-7",
    }
    # A deferred constraint trigger runs inside COMMIT: the connection is cut there.
    await db.execute(
        """
        CREATE FUNCTION bizgraph_test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON crm.interaction
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bizgraph_test_slow_commit();
        """
    )
    try:
        cut, _ = await asyncio.gather(
            runner.run(world.admin, LOG, input=request), _terminate_when_committing(db)
        )
    finally:
        await db.execute(
            "DROP TRIGGER slow_commit ON crm.interaction; DROP FUNCTION bizgraph_test_slow_commit()"
        )
    extensions = _extensions(cut)
    assert (extensions["code"], extensions["retrySafe"]) == ("OUTCOME_UNKNOWN", False)
    assert "idempotencyKey" in cut.errors[0].message  # type: ignore[index]

    for _ in range(2):  # the retry the message asks for, and one more: one interaction
        retried = await runner.run(world.admin, LOG, input=request)
        assert retried.errors is None
        assert retried.data is not None and retried.data["interactionLog"]["errors"] == []
    assert await db.fetchval("SELECT count(*) FROM crm.interaction") == 1


async def test_a_second_mutation_of_a_request_sees_what_the_first_one_changed(
    execute: Execute, world: World, runner: Runner
) -> None:
    customer = await create_customer(execute)
    version = customer["version"]
    result = await runner.run(
        world.admin,
        TWO_UPDATES,
        a={"id": customer["id"], "version": version, "name": "Alpha"},
        b={"id": customer["id"], "version": version + 1, "name": "Beta"},
    )
    assert result.errors is None
    assert result.data == {
        "a": {"customer": {"name": "Alpha", "version": version + 1}, "errors": []},
        "b": {"customer": {"name": "Beta", "version": version + 2}, "errors": []},
    }


async def test_a_committed_change_is_reported_even_when_reads_fail_after_the_commit(
    api_schema: strawberry.Schema, database_url: str, world: World, db: asyncpg.Connection
) -> None:
    """The payload's node is read in the transaction: no read after the commit decides it."""
    engine = create_engine(database_url)
    unreachable = ReadPool("postgresql://postgres@127.0.0.1:9/nowhere", connect_timeout_s=0.5)
    try:
        result = await Runner(api_schema, engine, unreachable).run(world.admin, CREATE)
    finally:
        await unreachable.close()
        await engine.dispose()
    assert result.errors is None, result.errors
    assert result.data is not None
    payload = result.data["customerCreate"]
    assert (payload["errors"], payload["customer"]["name"]) == ([], "Nord AG")
    stored = await db.fetchrow("SELECT id, version FROM crm.customer WHERE name = 'Nord AG'")
    assert (key(payload["customer"]["id"]), payload["customer"]["version"]) == tuple(stored)
