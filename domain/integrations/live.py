"""Live events: committed outbox events, announced by PostgreSQL, fanned out in one process.

Why LISTEN/NOTIFY and not Redis pub/sub: the outbox trigger (`ops.announce_events`, migration
0030) notifies in the transaction that writes the events, and PostgreSQL delivers a
notification only when that transaction commits, in commit order, and never for one that
rolled back. So every API process hears of exactly the committed events, in the order they
committed, straight from the database that holds them: no relay hop to wait for, no second
system that could lose or reorder them, and an API process needs no Redis to serve
subscriptions. A notification names a range of event ids; the hub reads those events (one
statement per committed statement of events) and hands each to the subscriptions it
concerns. If the listening connection drops, the hub reconnects and reads what it missed
from the outbox by id.

Event ids are given when events are written; two transactions committing moments apart may
commit out of id order. Live delivery follows commit order; a resumed subscription
(`replay`) reads by id and, to cover that window, also repeats the events of the
`RESUME_OVERLAP` before the last one the client saw: delivery is at least once, and clients
skip cursors they have already seen.
"""

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import bindparam, select

from domain.core.reads import ReadPool, compile_select
from domain.erp.models.stock import StockLevel

CHANNEL = "bizgraph_events"
MAX_QUEUED = 1_000  # events waiting for one subscription before it is ended as too slow
MAX_REPLAY = 1_000  # events a resumed subscription may catch up on
RESUME_OVERLAP = timedelta(seconds=10)
RECONNECT_S = (0.1, 0.5, 1.0, 2.0, 5.0)
_SEEN = 10_000  # ids remembered to drop events read twice (after a reconnect)

log = logging.getLogger(__name__)

# Each event with the records it concerns beyond its own aggregate: the order of a delivery,
# an invoice or a payment, and the invoice of a payment.
EVENTS = """
SELECT o.id, o.topic, o.aggregate_type, o.aggregate_id, o.customer_id, o.created_at,
       CASE o.aggregate_type
         WHEN 'sales_order' THEN o.aggregate_id
         WHEN 'delivery' THEN (SELECT d.sales_order_id FROM erp.delivery d
                               WHERE d.id = o.aggregate_id)
         WHEN 'invoice' THEN (SELECT i.sales_order_id FROM erp.invoice i
                              WHERE i.id = o.aggregate_id)
         WHEN 'payment' THEN (SELECT i.sales_order_id FROM erp.payment p
                              JOIN erp.invoice i ON i.id = p.invoice_id WHERE p.id = o.aggregate_id)
       END AS sales_order_id,
       CASE o.aggregate_type
         WHEN 'invoice' THEN o.aggregate_id
         WHEN 'payment' THEN (SELECT p.invoice_id FROM erp.payment p WHERE p.id = o.aggregate_id)
       END AS invoice_id
FROM ops.outbox o
"""
IN_RANGE = EVENTS + "WHERE o.id BETWEEN $1 AND $2 ORDER BY o.id"
AFTER = EVENTS + "WHERE o.id > $1 ORDER BY o.id LIMIT $2"
RESUMED = (
    EVENTS
    + """WHERE o.id > $1 OR (o.id < $1 AND o.created_at >= (
           SELECT created_at - $3::interval FROM ops.outbox WHERE id = $1))
         ORDER BY o.id LIMIT $2"""
)


@dataclass(frozen=True)
class Event:
    id: int
    topic: str
    aggregate_type: str
    aggregate_id: int
    customer_id: int | None
    created_at: datetime
    sales_order_id: int | None
    invoice_id: int | None


class TooSlow(Exception):
    """The subscriber let more than `MAX_QUEUED` events pile up."""


class TooFarBehind(Exception):
    """A resumed subscription missed more events than may be replayed (or they are gone)."""


Match = Callable[[Event], bool]


@dataclass(eq=False)
class Subscription:
    """One subscriber's events, in commit order, as long as it is open."""

    hub: "EventHub"
    aggregate_types: frozenset[str]
    matches: Match
    owner: str
    queue: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)
    overflowed: bool = False

    def offer(self, event: Event) -> None:
        if self.overflowed or not self.matches(event):
            return
        if self.queue.qsize() >= MAX_QUEUED:
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(event)

    async def events(self) -> AsyncIterator[Event]:
        while True:
            event = await self.queue.get()
            if event is None:
                raise TooSlow(f"more than {MAX_QUEUED} events waited for this subscriber")
            yield event

    def close(self) -> None:
        self.hub.unsubscribe(self)


class EventHub:
    """The process's one listener and its subscriptions; started by the first subscriber."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._by_type: dict[str, set[Subscription]] = {}
        self._per_owner: dict[str, int] = {}
        self._ranges: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._last_id = 0
        self._seen: deque[int] = deque(maxlen=_SEEN)
        self._seen_set: set[int] = set()
        self._started = asyncio.Lock()

    def subscriptions_of(self, owner: str) -> int:
        return self._per_owner.get(owner, 0)

    async def subscribe(
        self, aggregate_types: Iterable[str], matches: Match, *, owner: str
    ) -> Subscription:
        await self._start()
        subscription = Subscription(self, frozenset(aggregate_types), matches, owner)
        for kind in subscription.aggregate_types:
            self._by_type.setdefault(kind, set()).add(subscription)
        self._per_owner[owner] = self._per_owner.get(owner, 0) + 1
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        for kind in subscription.aggregate_types:
            self._by_type.get(kind, set()).discard(subscription)
        left = self._per_owner.get(subscription.owner, 1) - 1
        if left:
            self._per_owner[subscription.owner] = left
        else:
            self._per_owner.pop(subscription.owner, None)

    async def replay(self, after: int) -> list[Event]:
        """The committed events a client that saw event `after` may have missed (see the
        module docstring for the overlap); raises `TooFarBehind` past `MAX_REPLAY`."""
        connection = await asyncpg.connect(self.dsn)
        try:
            known = await connection.fetchval("SELECT 1 FROM ops.outbox WHERE id = $1", after)
            if known is None and after < await connection.fetchval(
                "SELECT coalesce(min(id), 0) FROM ops.outbox"
            ):
                raise TooFarBehind("the events after that cursor are no longer kept")
            query = RESUMED if known else AFTER
            arguments: list[Any] = [after, MAX_REPLAY + 1]
            if known:
                arguments.append(RESUME_OVERLAP)
            rows = await connection.fetch(query, *arguments)
        finally:
            await connection.close()
        if len(rows) > MAX_REPLAY:
            raise TooFarBehind(f"more than {MAX_REPLAY} events were missed")
        return [Event(**row) for row in rows]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    async def _start(self) -> None:
        async with self._started:
            if self._task is None:
                await self._listen()
                self._task = asyncio.create_task(self._run())

    async def _listen(self) -> None:
        self._lost.clear()
        self._listener = await asyncpg.connect(self.dsn)
        self._listener.add_termination_listener(lambda _: self._lost.set())
        await self._listener.add_listener(CHANNEL, self._notified)
        if not self._last_id:
            self._last_id = await self._listener.fetchval(
                "SELECT coalesce(max(id), 0) FROM ops.outbox"
            )

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        first, _, last = payload.partition(" ")
        self._ranges.put_nowait((int(first), int(last)))

    async def _run(self) -> None:
        """Read each announced range, in the order announced, until cancelled."""
        while True:
            waiting = asyncio.ensure_future(self._ranges.get())
            lost = asyncio.ensure_future(self._lost.wait())
            done, _ = await asyncio.wait({waiting, lost}, return_when=asyncio.FIRST_COMPLETED)
            if waiting in done:
                lost.cancel()
                announced = waiting.result()
                if announced is not None:
                    await self._read(IN_RANGE, *announced)
                continue
            waiting.cancel()
            await self._reconnect()

    async def _reconnect(self) -> None:
        for pause in itertools.chain(RECONNECT_S, itertools.repeat(RECONNECT_S[-1])):
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("live events: listener lost, reconnecting (%s)", error)
                await asyncio.sleep(pause)
                continue
            # Whatever committed while nobody listened, by id.
            await self._read(AFTER, self._last_id, 100_000)
            return

    async def _read(self, query: str, *arguments: Any) -> None:
        assert self._listener is not None
        try:
            rows = await self._listener.fetch(query, *arguments)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("live events: could not read events (%s)", error)
            self._lost.set()
            return
        for row in rows:
            event = Event(**row)
            if event.id in self._seen_set:
                continue
            self._remember(event.id)
            self._last_id = max(self._last_id, event.id)
            for subscription in list(self._by_type.get(event.aggregate_type, ())):
                subscription.offer(event)

    def _remember(self, event_id: int) -> None:
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(event_id)
        self._seen_set.add(event_id)


# What a subscriber to an item's stock compares to tell whether an event moved it: most stock
# events (an order placed, a delivery shipped) concern other items.
_STOCK_FIGURES = compile_select(
    select(StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved)
    .where(StockLevel.stock_item_id == bindparam("item"))
    .order_by(StockLevel.warehouse_id)  # type: ignore[arg-type]
)


async def stock_figures(reads: ReadPool, item_id: int) -> tuple[tuple[int, int, int], ...]:
    """An item's stock per warehouse: (warehouse, on hand, reserved)."""
    rows = await reads.fetch(_STOCK_FIGURES, {"item": item_id})
    return tuple((row["warehouse_id"], row["on_hand"], row["reserved"]) for row in rows)
