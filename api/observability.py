"""Per-request observability: request id, the one-line request log, request metrics.

A pure ASGI middleware (no BaseHTTPMiddleware task overhead) wraps every HTTP request:
it takes a sane incoming `X-Request-ID` or makes one, returns it in the response header,
exposes it to the GraphQL context (`request.state.request_id`), and puts a fresh
`RequestStats` in the request's context for SQL, DataLoader and error bookkeeping. When
the response is done it logs one line and records the metrics. An exception that escapes
the application becomes a JSON 500 carrying the request id, never a stack trace.
"""

import logging
import re
import uuid
from collections.abc import Iterator
from time import perf_counter

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from api import metrics
from domain.core.reads import ReadPool
from domain.core.telemetry import RequestStats, current_request

log = logging.getLogger("bizgraph.request")

HEADER = b"x-request-id"
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
# Probes and scrapes arrive every few seconds: logged at DEBUG, not counted as requests.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
GRAPHQL_PATH = "/graphql"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == HEADER:
            return value.decode("ascii") if _SANE_ID.fullmatch(value) else None
    return None


class RequestObservability:
    def __init__(self, app: ASGIApp, engine: AsyncEngine, reads: ReadPool) -> None:
        self.app = app
        self.engine = engine
        self.reads = reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        stats = RequestStats(request_id)
        token = current_request.set(stats)
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, request_id.encode())]
            await send(message)

        started = perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error")
            if status == 0:
                await _internal_error(send_with_id, request_id)
        finally:
            seconds = perf_counter() - started
            current_request.reset(token)
            self._finish(scope, stats, status, seconds)

    def _finish(self, scope: Scope, stats: RequestStats, status: int, seconds: float) -> None:
        path = scope["path"]
        quiet = path in QUIET_PATHS
        if path == GRAPHQL_PATH:
            metrics.record_request(stats, status, seconds)
            metrics.sample_pool(self.engine, self.reads)
        level = logging.DEBUG if quiet else logging.INFO
        if not log.isEnabledFor(level):
            return
        log.log(
            level,
            "%s %s %s",
            scope["method"],
            path,
            status,
            extra={
                "request_id": stats.request_id,
                "operation": stats.operation,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "statements": stats.statements,
                "sql_ms": round(stats.sql_seconds * 1000, 1),
                "errors": ",".join(stats.error_codes) or None,
            },
        )


async def _internal_error(send: Send, request_id: str) -> None:
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": f"Internal server error (request id {request_id}).",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                }
            ]
        }
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class OperationName(SchemaExtension):
    """Records the operation's name (given, or from the document; else "anonymous")."""

    def on_operation(self) -> Iterator[None]:
        yield
        stats = current_request.get()
        if stats is not None:
            stats.operation = self.execution_context.operation_name or "anonymous"
