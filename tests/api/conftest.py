"""API test fixtures: the real app over ASGI, tokens, a GraphQL helper and a SQL statement counter."""

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode, OperationType, parse
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from strawberry import Schema

from api.app import create_app
from api.security.tokens import Claims, mint
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database
from tests.conftest import truncate_all

DEMO_CUSTOMERS = 120
# A demo this small has only a handful of recent orders; at this seed some confirmed ones
# still wait to ship, which the read-rule tests deliver in part (test_read_rules_agree.py).
DEMO_SEED = 21
DEMO_TODAY = date(2026, 6, 30)
TEST_SECRET = "a-test-only-secret-of-at-least-32-bytes"

GraphQL = Callable[..., Awaitable[dict[str, Any]]]
ADMIN = object()  # the `token` default of the graphql helper: an admin token


# How the app executes: compiled reads with the executor's shortcuts (as in production), the
# general path with them, and the general path without them. Every API test runs in each:
# the compiled path and the shortcuts may only skip work, never change an answer or a
# permission.
EXECUTION_MODES = {
    "compiled": {"BIZGRAPH_COMPILED_READS": True, "BIZGRAPH_EXECUTION_SHORTCUTS": True},
    "general": {"BIZGRAPH_COMPILED_READS": False, "BIZGRAPH_EXECUTION_SHORTCUTS": True},
    "plain": {"BIZGRAPH_COMPILED_READS": False, "BIZGRAPH_EXECUTION_SHORTCUTS": False},
}


def _settings(database_url: str, redis_url: str, mode: str) -> Settings:
    # The rate limit has its own tests (and app); the shared app must not throttle the suite.
    return Settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        BIZGRAPH_ENV="dev",
        BIZGRAPH_JWT_SECRET=TEST_SECRET,
        BIZGRAPH_RATE_LIMIT_PER_MINUTE=0,
        **EXECUTION_MODES[mode],
    )


@pytest.fixture(scope="session", params=list(EXECUTION_MODES))
def settings(database_url: str, redis_url: str, request: pytest.FixtureRequest) -> Settings:
    """The app's settings, in each execution mode in turn."""
    return _settings(database_url, redis_url, request.param)


@dataclass
class Tokens:
    """Mints tokens the test app accepts, for any employee and roles."""

    settings: Settings
    database_url: str

    def mint(self, email: str, *roles: str, ttl: int = 600, **claims: Any) -> str:
        secret = claims.pop("secret", TEST_SECRET)
        token = mint(
            secret,
            email=email,
            roles=roles,
            ttl_seconds=ttl,
            issuer=claims.pop("issuer", self.settings.jwt_issuer),
            audience=claims.pop("audience", self.settings.jwt_audience),
        )
        assert not claims, f"unknown options {claims}"
        return token

    async def first_active_employee(self) -> str:
        connection = await asyncpg.connect(asyncpg_dsn(self.database_url))
        try:
            email = await connection.fetchval(
                "SELECT email FROM erp.employee WHERE status = 'active' ORDER BY id LIMIT 1"
            )
        finally:
            await connection.close()
        assert email is not None, "no employee: seed data first"
        return str(email)

    async def admin(self) -> str:
        return self.mint(await self.first_active_employee(), "admin")


@pytest.fixture(scope="session")
def tokens(settings: Settings, database_url: str) -> Tokens:
    return Tokens(settings, database_url)


@pytest.fixture(scope="session")
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture(scope="session")
def reference_app(database_url: str, redis_url: str) -> Starlette:
    """The app on the general path, which compiled reads are compared with."""
    return create_app(_settings(database_url, redis_url, "general"))


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def admin_client(app: Starlette, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests carry an admin token."""
    transport = httpx.ASGITransport(app=app)
    headers = bearer(await tokens.admin())
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=headers
    ) as http:
        yield http


@pytest.fixture
async def reference_client(reference_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=reference_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def graphql(
    app: Starlette,
    client: httpx.AsyncClient,
    reference_app: Starlette,
    reference_client: httpx.AsyncClient,
    settings: Settings,
    tokens: Tokens,
) -> GraphQL:
    """POST a document; as an admin by default, or with `token=` (None: no token at all).

    With compiled reads on, every query is answered by the general path too, and both
    answers must be the same (data, and errors up to their order across root fields); a
    query compiled whole is sent twice, and its second answer (api.compiled_requests) must
    be the same again.
    """

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: Any = ADMIN,
        status: int = 200,
        **headers: str,
    ) -> dict[str, Any]:
        if token is ADMIN:
            token = await tokens.admin()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = {"query": query, "variables": variables or {}}
        response = await client.post("/graphql", json=body, headers=headers)
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        compiled_requests = app.state.compiled_requests
        if compiled_requests is not None and compiled_requests.knows(query):
            # Compiled whole: the same request again is answered without strawberry
            # (api.compiled_requests), and must be answered the same.
            # The repeat is the harness's, not the test's: statement counters do not see it.
            listeners = app.state.bizgraph.reads.listeners
            counting, listeners[:] = list(listeners), []
            try:
                again = await client.post("/graphql", json=body, headers=headers)
            finally:
                listeners[:] = counting
            assert again.status_code == response.status_code, again.text
            assert comparable(again.json()) == comparable(answer), difference(
                comparable(again.json()), comparable(answer)
            )
            assert again.headers["content-type"] == response.headers["content-type"]
        if settings.compiled_reads and response.status_code == 200 and _is_query(query):
            # Who the token names is looked up anew: the tests change employees.
            reference_app.state.security.directory.forget()
            reference = await reference_client.post("/graphql", json=body, headers=headers)
            assert reference.status_code == 200, reference.text
            expected = comparable(reference.json())
            assert comparable(answer) == expected, difference(comparable(answer), expected)
        return answer

    return run


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class StatementCounter:
    count: int = 0

    def reset(self) -> None:
        self.count = 0


@pytest.fixture
async def statements(app: Starlette, tokens: Tokens) -> AsyncIterator[StatementCounter]:
    """Counts the app's SQL statements; the admin token's employee is looked up beforehand,
    so the count holds what a query costs, not who sent it (that lookup is cached 30 s)."""
    directory = app.state.security.directory
    directory.forget()
    await directory.viewer(Claims(await tokens.first_active_employee(), frozenset({"admin"})))
    counter = StatementCounter()
    engine = app.state.bizgraph.engine.sync_engine

    def count(*_: Any) -> None:
        counter.count += 1

    event.listen(engine, "before_cursor_execute", count)
    app.state.bizgraph.reads.listeners.append(count)
    yield counter
    event.remove(engine, "before_cursor_execute", count)
    app.state.bizgraph.reads.listeners.remove(count)


@pytest.fixture(scope="module")
async def demo(database_url: str, app: Starlette, engine: AsyncEngine) -> AsyncIterator[None]:
    """A freshly seeded demo company, shared by the read-only tests of a module; emptied
    afterwards, as tests that commit expect to find the database."""
    await seed_database(
        database_url, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, today=DEMO_TODAY, reset=True
    )
    app.state.security.directory.forget()  # employees were replaced
    yield
    await truncate_all(engine)


def _is_query(document: str) -> bool:
    try:
        parsed = parse(document)
    except GraphQLError:
        return False
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    return len(operations) == 1 and operations[0].operation == OperationType.QUERY


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer with its errors in one order and request ids left out: root fields run
    concurrently, so their errors come in the order they finish, on either path."""
    errors = [
        {
            **error,
            "extensions": {
                k: v for k, v in error.get("extensions", {}).items() if k != "requestId"
            },
        }
        for error in answer.get("errors", [])
    ]
    errors = [
        {k: v for k, v in e.items() if not (k == "message" and "request id" in v)} for e in errors
    ]
    return {**answer, "errors": sorted(errors, key=lambda e: json.dumps(e, sort_keys=True))}


def difference(answer: Any, expected: Any, path: str = "") -> str:
    """Where two answers first differ, for a readable failure."""
    if isinstance(answer, dict) and isinstance(expected, dict):
        for key in list(expected) + [k for k in answer if k not in expected]:
            if answer.get(key, "<absent>") != expected.get(key, "<absent>"):
                return difference(
                    answer.get(key, "<absent>"), expected.get(key, "<absent>"), f"{path}.{key}"
                )
    if isinstance(answer, list) and isinstance(expected, list) and len(answer) == len(expected):
        for index, (a, b) in enumerate(zip(answer, expected, strict=True)):
            if a != b:
                return difference(a, b, f"{path}.{index}")
    return f"at {path or '.'}: compiled {answer!r:.300} != general {expected!r:.300}"


def plain(result: ExecutionResult) -> ExecutionResult:
    """A result as clients receive it: compiled root fields hold JSON text (`orjson.Fragment`)
    until the response is encoded; here they become Python values like the others."""
    data = orjson.loads(orjson.dumps(result.data)) if result.data is not None else None
    return ExecutionResult(data, result.errors)


async def execute_compared(
    graph: Schema, reference: Schema, document: str, variables: dict[str, Any], context: Any
) -> ExecutionResult:
    """Execute a document on `graph` and, for a query, on the general path's `reference`
    too: both must answer the same (errors up to their order across root fields)."""
    result = plain(
        await graph.execute(document, variable_values=variables, context_value=context())
    )
    if graph is not reference and _is_query(document):
        expected = await reference.execute(
            document, variable_values=variables, context_value=context()
        )
        answer = comparable(
            {"data": result.data, "errors": [e.formatted for e in result.errors or []]}
        )
        wanted = comparable(
            {"data": expected.data, "errors": [e.formatted for e in expected.errors or []]}
        )
        assert answer == wanted, difference(answer, wanted)
    return result
