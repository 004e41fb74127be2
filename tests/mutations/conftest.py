"""Fixtures for business operations: a small company to trade in, and a way to act as anyone.

Mutations run through the real schema with a chosen viewer, against committed data that is
truncated after each test.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.relay import to_base64

from api.settings import Settings
from domain.core.access import Viewer
from domain.core.reads import ReadPool
from domain.core.sessions import asyncpg_dsn, session_factory
from domain.erp.pricing import DEFAULT_PRICE_RULES
from schema.build import build_schema
from schema.core.context import AppState, Context
from schema.core.loaders import Loaders
from tests.conftest import LEFTOVERS, LEFTOVERS_FOUND

Execute = Callable[..., Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class World:
    """Ids of the fixed cast every test can rely on."""

    admin: Viewer
    rep: Viewer
    other_rep: Viewer
    warehouse: int
    second_warehouse: int
    supplier: int
    rep_employee: int
    other_rep_employee: int
    leaver_employee: int

    @staticmethod
    def gid(type_name: str, key: int) -> str:
        return to_base64(type_name, key)


@pytest.fixture(scope="session", params=[True, False], ids=["shortcuts", "no-shortcuts"])
def schema(request: pytest.FixtureRequest) -> strawberry.Schema:
    """The schema, with the executor's shortcuts and without: the same answers either way."""
    return build_schema(shortcuts=request.param)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


@pytest.fixture
async def world(clean_db: AsyncEngine, db: asyncpg.Connection) -> World:
    assert not await db.fetchval(LEFTOVERS), LEFTOVERS_FOUND
    # Departments say who does which work (assignments are checked against them).
    departments = {
        row["code"]: row["id"]
        for row in await db.fetch(
            "INSERT INTO erp.department (code, name) VALUES ('MGMT', 'Management'), "
            "('SALES', 'Sales') RETURNING id, code"
        )
    }
    employees = await db.fetch(
        """
        INSERT INTO erp.employee (name, email, title, hire_date, salary, status, department_id)
        VALUES
          ('Ada Admin', 'ada@example.com', 'Managing Director', '2020-01-01', 150000, 'active', $1),
          ('Sam Sales', 'sam@example.com', 'Account Manager', '2021-01-01', 60000, 'active', $2),
          ('Rita Rep', 'rita@example.com', 'Account Manager', '2022-01-01', 61000, 'active', $2),
          ('Lee Left', 'lee@example.com', 'Account Manager', '2019-01-01', 50000, 'terminated', $2)
        RETURNING id
        """,
        departments["MGMT"],
        departments["SALES"],
    )
    admin, rep, other, leaver = (row["id"] for row in employees)
    warehouses = await db.fetch(
        "INSERT INTO erp.warehouse (code, name, country) VALUES "
        "('W1', 'Main', 'DE'), ('W2', 'Second', 'NL') RETURNING id"
    )
    supplier = await db.fetchval(
        "INSERT INTO erp.supplier (code, name, lead_time_days) VALUES ('S1', 'Parts Ltd', 10) "
        "RETURNING id"
    )
    price_list = await db.fetchval(
        "INSERT INTO erp.price_list (name, currency, valid_from) "
        "VALUES ('Tier prices', 'EUR', '2000-01-01') RETURNING id"
    )
    await db.executemany(
        "INSERT INTO erp.price_rule (price_list_id, tier, category, min_quantity, discount_percent) "
        "VALUES ($1, $2, $3, $4, $5)",
        [
            (price_list, r.tier, r.category, r.min_quantity, r.discount_percent)
            for r in DEFAULT_PRICE_RULES
        ],
    )
    return World(
        admin=Viewer(admin, "ada@example.com", frozenset({"admin"})),
        rep=Viewer(rep, "sam@example.com", frozenset({"sales_rep"})),
        other_rep=Viewer(other, "rita@example.com", frozenset({"sales_rep"})),
        warehouse=warehouses[0]["id"],
        second_warehouse=warehouses[1]["id"],
        supplier=supplier,
        rep_employee=rep,
        other_rep_employee=other,
        leaver_employee=leaver,
    )


@pytest.fixture
async def execute(
    schema: strawberry.Schema, engine: AsyncEngine, database_url: str, world: World
) -> AsyncIterator[Execute]:
    """Run a GraphQL document as a viewer (default: the admin); fails on top-level errors."""
    reads = ReadPool(database_url, max_size=5)
    state = AppState(
        engine=engine, sessions=session_factory(engine), reads=reads, settings=Settings()
    )

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        viewer: Viewer | None = None,
        errors: bool = False,
    ) -> dict[str, Any]:
        """`errors=True`: the answer's data and errors, errors expected."""
        who = viewer or world.admin
        context = Context(
            state=state, viewer=who, request_id=uuid.uuid4().hex, loaders=Loaders(reads, who)
        )
        result = await schema.execute(query, variable_values=variables, context_value=context)
        if errors:
            assert result.errors, "errors were expected"
            return {"data": result.data, "errors": [e.formatted for e in result.errors]}
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data

    yield run
    await reads.close()


async def row_counts(db: asyncpg.Connection) -> dict[str, int]:
    """Rows in every table of the data model: a failed mutation must leave these unchanged."""
    tables = await db.fetch(
        "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables "
        "WHERE schemaname IN ('crm', 'erp', 'finance', 'production', 'analytics', 'ops')"
    )
    return {row["name"]: await db.fetchval(f"SELECT count(*) FROM {row['name']}") for row in tables}
