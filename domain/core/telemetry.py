"""What one request cost: SQL statements, time in SQL and DataLoader batch sizes.

The HTTP layer puts a `RequestStats` in `current_request` for the duration of a request;
everything below records into it without knowing about HTTP or metrics. Tasks spawned by
the request (sibling resolvers, DataLoader batches) inherit the context variable, and
SQLAlchemy runs its cursor events in a greenlet that inherits it too, so one mutable
object per request collects everything.
"""

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

Key = TypeVar("Key")
Value = TypeVar("Value")


@dataclass
class RequestStats:
    request_id: str
    statements: int = 0
    sql_intervals: list[tuple[float, float]] = field(default_factory=list)
    batches: list[tuple[str, int]] = field(default_factory=list)
    operation: str | None = None
    error_codes: list[str] = field(default_factory=list)

    @property
    def sql_seconds(self) -> float:
        """Wall time during which at least one statement ran.

        DataLoader batches run concurrently on their own connections, so summing statement
        times would count overlapping waits twice (and exceed the request's duration).
        """
        total = 0.0
        covered_until = float("-inf")
        for start, end in sorted(self.sql_intervals):
            if end > covered_until:
                total += end - max(start, covered_until)
                covered_until = end
        return total


current_request: ContextVar[RequestStats | None] = ContextVar("current_request", default=None)

_STARTED = "_bizgraph_started"


def _before_cursor_execute(
    _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
) -> None:
    stats = current_request.get()
    if stats is not None:
        stats.statements += 1
        if context is not None:
            setattr(context, _STARTED, perf_counter())


def _after_cursor_execute(
    _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
) -> None:
    stats = current_request.get()
    started = getattr(context, _STARTED, None)
    if stats is not None and started is not None:
        stats.sql_intervals.append((started, perf_counter()))


def record_statement(started: float) -> None:
    """Count a statement run outside SQLAlchemy (the read pool) that began at `started`."""
    stats = current_request.get()
    if stats is not None:
        stats.statements += 1
        stats.sql_intervals.append((started, perf_counter()))


def track_statements(engine: AsyncEngine) -> None:
    """Count every statement `engine` runs (and its time) into the current request's stats."""
    target = engine.sync_engine
    if not event.contains(target, "before_cursor_execute", _before_cursor_execute):
        event.listen(target, "before_cursor_execute", _before_cursor_execute)
        event.listen(target, "after_cursor_execute", _after_cursor_execute)


def observed_batch(
    loader: str, load: Callable[[list[Key]], Awaitable[list[Value]]]
) -> Callable[[list[Key]], Awaitable[list[Value]]]:
    """Wrap a DataLoader batch function so the current request records each batch's size."""

    async def batch(keys: list[Key]) -> list[Value]:
        stats = current_request.get()
        if stats is not None:
            stats.batches.append((loader, len(keys)))
        return await load(keys)

    return batch
