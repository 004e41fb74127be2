"""What observability costs per request: middleware + metrics, GraphQL extensions, SQL hooks.

    .venv/bin/python -m tests.benchmarks.observability [--rounds 7] [--requests 3000]

Each part runs with and without the instrumentation, alternating rounds so machine noise
hits both sides alike, and reports the median microseconds per request (per statement for
the SQL hooks) and the difference. SQL runs against DATABASE_URL's server or a throw-away
embedded PostgreSQL.
"""

import argparse
import asyncio
import logging
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.embedded import EmbeddedPostgres, remove_data
from api.errors import ErrorPolicy
from api.logs import JsonFormatter, RequestIdFilter
from api.observability import OperationName, RequestObservability
from domain.core.sessions import create_engine
from domain.core.telemetry import (
    RequestStats,
    _after_cursor_execute,
    _before_cursor_execute,
    current_request,
    track_statements,
)
from schema.build import build_schema

Run = Callable[[], Awaitable[None]]


async def per_call_us(run: Run, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await run()
    return (time.perf_counter() - started) / calls * 1e6


async def compare(name: str, plain: Run, instrumented: Run, calls: int, rounds: int) -> None:
    await plain()
    await instrumented()
    without: list[float] = []
    with_: list[float] = []
    for _ in range(rounds):
        without.append(await per_call_us(plain, calls))
        with_.append(await per_call_us(instrumented, calls))
    base, cost = statistics.median(without), statistics.median(with_)
    print(f"| {name} | {base:,.1f} | {cost:,.1f} | {cost - base:+,.1f} |")


def asgi_caller(app: Any) -> Run:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_: dict[str, Any]) -> None:
        return None

    async def call() -> None:
        await app(dict(scope), receive, send)

    return call


async def endpoint(_: Request) -> Response:
    stats = current_request.get()
    if stats is not None:  # what a typical query leaves behind
        stats.operation = "Bench"
        stats.statements = 6
        stats.batches.extend([("by_id:crm.customer", 10), ("page:orders", 10)])
    return Response(b"{}", media_type="application/json")


def log_like_prod() -> None:
    """The request line is written as in prod: JSON, to a stream (here /dev/null)."""
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)


async def middleware_and_metrics(engine: AsyncEngine, calls: int, rounds: int) -> None:
    log_like_prod()
    routes = [Route("/graphql", endpoint, methods=["POST"])]
    plain = Starlette(routes=routes)
    observed = Starlette(
        routes=routes, middleware=[Middleware(RequestObservability, engine=engine)]
    )
    await compare(
        "HTTP middleware: request id, JSON log line, metrics (per request)",
        asgi_caller(plain),
        asgi_caller(observed),
        calls,
        rounds,
    )


async def extensions(calls: int, rounds: int) -> None:
    plain = build_schema()
    observed = build_schema(extensions=[OperationName, ErrorPolicy])
    context = SimpleNamespace(request_id="bench")

    def executor(schema: Any) -> Run:
        async def run() -> None:
            await schema.execute("query Bench { __typename }", context_value=context)

        return run

    await compare(
        "GraphQL extensions: operation name, error policy (per request)",
        executor(plain),
        executor(observed),
        calls,
        rounds,
    )


async def sql_hooks(database_url: str, calls: int, rounds: int) -> None:
    plain = create_engine(database_url, pool_size=1)
    observed = create_engine(database_url, pool_size=1)
    track_statements(observed)
    try:
        async with plain.connect() as bare, observed.connect() as tracked:

            def runner(connection: Any) -> Run:
                async def run() -> None:
                    await connection.execute(text("SELECT 1"))

                return run

            token = current_request.set(RequestStats("bench"))
            try:
                await compare(
                    "SQL hooks, measured through `SELECT 1` (per statement)",
                    runner(bare),
                    runner(tracked),
                    calls,
                    rounds,
                )
            finally:
                current_request.reset(token)
    finally:
        await plain.dispose()
        await observed.dispose()


async def listener_calls(calls: int, rounds: int) -> None:
    """The SQL hooks alone: their cost is far below a round trip's noise, so time them bare."""
    context = SimpleNamespace()

    async def nothing() -> None:
        return None

    async def listeners() -> None:
        _before_cursor_execute(None, None, "", None, context, False)
        _after_cursor_execute(None, None, "", None, context, False)

    token = current_request.set(RequestStats("bench"))
    try:
        await compare("SQL hooks alone (per statement)", nothing, listeners, calls, rounds)
    finally:
        current_request.reset(token)


async def main(args: argparse.Namespace) -> None:
    data_dir: Path | None = None
    server: EmbeddedPostgres | None = None
    database_url = os.environ.get("DATABASE_URL")
    if database_url is None:
        data_dir = Path(tempfile.mkdtemp(prefix="bizgraph-bench-"))
        server = EmbeddedPostgres(data_dir)
        database_url = server.start()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"median of {args.rounds} rounds of {args.requests} calls, microseconds per call\n")
    print("| part | without | with | cost |")
    print("|---|---|---|---|")
    engine = create_engine(database_url, pool_size=1)
    try:
        await middleware_and_metrics(engine, args.requests, args.rounds)
        await extensions(args.requests, args.rounds)
        await sql_hooks(database_url, args.requests, args.rounds)
        await listener_calls(args.requests * 10, args.rounds)
    finally:
        await engine.dispose()
        if server is not None and data_dir is not None:
            server.close()
            remove_data(data_dir)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=3000)
    asyncio.run(main(parser.parse_args()))
