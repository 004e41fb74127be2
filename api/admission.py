"""Admission control: a burst waits its turn in a bounded queue instead of failing.

Without it, a burst larger than the connection pool (a flash sale, a batch client) sent every
request to wait on the pool, and those that waited past the pool timeout were told the
database was unavailable although it was healthy. Here at most `capacity` GraphQL requests of
this process run at once (sized from the pool, so an admitted request finds a connection);
up to `depth` more wait in arrival order, each for at most `max_wait_s`. Only past that bound
a request is refused with HTTP 503, `Retry-After` and code OVERLOADED: nothing ran, so
retrying it is safe.

The queue sits in front of authentication: looking up who a token names needs a database
connection too, and a burst of clients nobody has seen for a while would otherwise queue on
the pool there.
"""

import asyncio
import math
from collections import deque

from starlette.types import ASGIApp, Receive, Scope, Send

from api import metrics
from api.security.responses import graphql_error

OVERLOADED = "OVERLOADED"
GUARDED_PATH = "/graphql"


class AdmissionQueue:
    """At most `capacity` holders at once; up to `depth` more wait, first come first served."""

    def __init__(self, *, capacity: int, depth: int, max_wait_s: float) -> None:
        self.capacity = capacity
        self.depth = depth
        self.max_wait_s = max_wait_s
        self.running = 0
        self.queued = 0
        # Waiters in arrival order; those that gave up stay behind as done futures.
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def enter(self) -> bool:
        """True once admitted (then call `leave`); False if the queue is full or the wait
        ran out."""
        if self.running < self.capacity and not self.queued:
            self.running += 1
            return True
        if self.queued >= self.depth:
            return False
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self.queued += 1
        try:
            # `leave` hands its place over by resolving the waiter; shielded, so the timeout
            # cannot cancel a waiter resolved in the same moment.
            await asyncio.wait_for(asyncio.shield(waiter), timeout=self.max_wait_s)
        except TimeoutError:
            if self._give_up(waiter):
                return False
        except asyncio.CancelledError:  # the client went away
            if not self._give_up(waiter):
                self.leave()
            raise
        return True

    def leave(self) -> None:
        """Pass the place to the longest waiting request, or free it."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self.queued -= 1
                return
        self.running -= 1

    def _give_up(self, waiter: asyncio.Future[None]) -> bool:
        """Withdraw a waiter; False when it was admitted meanwhile (it holds a place)."""
        if waiter.done():
            return False
        waiter.cancel()
        self.queued -= 1
        return True


class Admission:
    """ASGI middleware admitting `/graphql` requests through an `AdmissionQueue`."""

    def __init__(self, app: ASGIApp, queue: AdmissionQueue) -> None:
        self.app = app
        self.queue = queue
        self.retry_after = str(max(1, math.ceil(queue.max_wait_s / 4)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != GUARDED_PATH:
            await self.app(scope, receive, send)
            return
        started = asyncio.get_running_loop().time()
        admitted = await self.queue.enter()
        metrics.ADMISSION_WAIT.observe(asyncio.get_running_loop().time() - started)
        if not admitted:
            metrics.ADMISSION_REFUSED.inc()
            refusal = graphql_error(
                503,
                OVERLOADED,
                "the server is busy with other requests; nothing was done, retry after "
                f"{self.retry_after} s",
                headers={"Retry-After": self.retry_after},
                retryAfter=int(self.retry_after),
            )
            await refusal(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.queue.leave()
