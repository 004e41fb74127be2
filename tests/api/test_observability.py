"""Request ids, the per-request log line, error masking and the JSON log format."""

import errno
import io
import json
import logging
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.errors import ErrorPolicy
from api.logs import JsonFormatter, RequestIdFilter, TextFormatter
from api.observability import RequestObservability
from domain.core.reads import ReadPool
from domain.core.sessions import asyncpg_dsn
from domain.core.telemetry import RequestStats, current_request
from tests.api.conftest import StatementCounter

QUERY = "query TopCustomers { customers(first: 5) { edges { node { name accountManager { email } } } } }"


@pytest.mark.usefixtures("demo")
async def test_a_sane_request_id_comes_back_and_is_in_the_request_line(
    admin_client: httpx.AsyncClient, statements: StatementCounter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bizgraph.request")
    response = await admin_client.post(
        "/graphql", json={"query": QUERY}, headers={"X-Request-ID": "client-7f3a:1"}
    )
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert response.headers["x-request-id"] == "client-7f3a:1"
    [line] = [r for r in caplog.records if getattr(r, "request_id", None) == "client-7f3a:1"]
    assert line.name == "bizgraph.request"
    assert (line.operation, line.status, line.statements) == ("TopCustomers", 200, statements.count)
    # The customers page with their account managers: compiled, one statement; on the general
    # path the page, then one batch of account managers.
    assert statements.count >= 1
    assert line.duration_ms >= line.sql_ms > 0


@pytest.mark.parametrize("incoming", [None, "has spaces", "x" * 65, 'quote"d'])
async def test_an_absent_or_odd_request_id_is_replaced(
    client: httpx.AsyncClient, incoming: str | None
) -> None:
    headers = {"X-Request-ID": incoming} if incoming is not None else {}
    response = await client.get("/healthz", headers=headers)
    generated = response.headers["x-request-id"]
    assert generated != incoming
    assert len(generated) == 32
    int(generated, 16)


@strawberry.type
class Probe:
    @strawberry.field
    def boom(self) -> int:
        raise ZeroDivisionError("secret detail")

    @strawberry.field
    def database(self) -> int:
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")

    @strawberry.field
    async def slow(self, info: strawberry.Info) -> int:
        # A real statement cut off by PostgreSQL's statement timeout.
        connection = await asyncpg.connect(info.context.dsn)
        try:
            await connection.execute("SET statement_timeout = 50")
            return int(await connection.fetchval("SELECT 1 FROM pg_sleep(5)"))
        finally:
            await connection.close()

    @strawberry.field
    def refused_input(self) -> int:
        raise GraphQLError("first must be positive", extensions={"code": "BAD_USER_INPUT"})


PROBE_SCHEMA = strawberry.Schema(Probe, extensions=[ErrorPolicy])


async def _probe(query: str, dsn: str = "") -> tuple[list[GraphQLError], RequestStats]:
    stats = RequestStats("rid-42")
    token = current_request.set(stats)
    try:
        result = await PROBE_SCHEMA.execute(
            query, context_value=SimpleNamespace(request_id="rid-42", dsn=dsn)
        )
    finally:
        current_request.reset(token)
    assert result.errors is not None
    return result.errors, stats


async def test_unexpected_errors_are_masked_with_the_request_id_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bizgraph.errors")
    [error], stats = await _probe("{ boom }")
    assert error.message == "Internal server error (request id rid-42)."
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "rid-42"}
    assert error.path == ["boom"]
    assert "secret" not in json.dumps(error.formatted)
    [record] = [r for r in caplog.records if r.name == "bizgraph.errors"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError
    assert stats.error_codes == ["INTERNAL_SERVER_ERROR"]


async def test_an_unreachable_database_is_service_unavailable() -> None:
    [error], stats = await _probe("{ database }")
    assert error.extensions == {
        "code": "SERVICE_UNAVAILABLE",
        "requestId": "rid-42",
        "retrySafe": True,
    }
    assert "rid-42" in error.message
    assert stats.error_codes == ["SERVICE_UNAVAILABLE"]


async def test_a_statement_timeout_is_a_readable_query_timeout(database_url: str) -> None:
    [error], stats = await _probe("{ slow }", asyncpg_dsn(database_url))
    assert error.extensions == {"code": "QUERY_TIMEOUT", "requestId": "rid-42", "retrySafe": True}
    assert "ask for fewer rows or fields" in error.message and "rid-42" in error.message
    assert stats.error_codes == ["QUERY_TIMEOUT"]


@pytest.mark.parametrize(
    ("query", "message", "code"),
    [
        ("{ refusedInput }", "first must be positive", "BAD_USER_INPUT"),
        ("{ nope }", "Cannot query field 'nope' on type 'Probe'.", "GRAPHQL_VALIDATION_FAILED"),
        ("{ boom", "Syntax Error: Expected Name, found <EOF>.", "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_deliberate_errors_reach_the_client_verbatim(
    query: str, message: str, code: str
) -> None:
    [error], stats = await _probe(query)
    assert error.message == message
    assert stats.error_codes == [code]


async def test_an_exception_escaping_the_app_is_a_json_500_with_the_request_id(
    engine: AsyncEngine, database_url: str
) -> None:
    async def crash(_: Request) -> Response:
        raise RuntimeError("secret detail")

    app = Starlette(
        routes=[Route("/crash", crash)],
        middleware=[Middleware(RequestObservability, engine=engine, reads=ReadPool(database_url))],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/crash", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "crash-1"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "crash-1"}
    assert "secret" not in response.text


def _emit(formatter: logging.Formatter, **extra: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.Logger("bizgraph.test")
    logger.addHandler(handler)
    token = current_request.set(RequestStats("rid-7"))
    try:
        logger.info("POST /graphql 200", extra=extra)
        try:
            raise ValueError("kaputt")
        except ValueError:
            logger.exception("failed")
    finally:
        current_request.reset(token)
    return stream.getvalue()


def test_prod_logs_are_one_json_object_per_line() -> None:
    lines = _emit(JsonFormatter(), operation="TopCustomers", statements=3).splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "POST /graphql 200"
    assert (first["request_id"], first["operation"], first["statements"]) == (
        "rid-7",
        "TopCustomers",
        3,
    )
    assert first["level"] == "INFO" and first["logger"] == "bizgraph.test"
    assert "ValueError: kaputt" in second["exception"]


def test_dev_logs_are_readable_lines() -> None:
    text = _emit(TextFormatter(), operation="TopCustomers", statements=3)
    first = text.splitlines()[0]
    assert first.endswith(
        "INFO  bizgraph.test [rid-7] POST /graphql 200 operation=TopCustomers statements=3"
    )
    assert "ValueError: kaputt" in text
