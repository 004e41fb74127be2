"""Per-token rate limit: requests per minute per authenticated employee, counted in Redis.

An API key counts apart from its owner, under its own limit when it has one.

The API runs as several processes, so the counter is shared in Redis (a fixed one-minute
window, one round trip per request). It is keyed by the employee the token names, not by
the token string, so minting fresh tokens buys no extra budget. Redis is not needed to
answer reads: when it is unreachable the limit fails open, logs a warning, and Redis is
not tried again for `RETRY_AFTER_FAILURE_S` (so an outage adds no latency per request).
"""

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.security.responses import graphql_error
from domain.core.access import Viewer

WINDOW_S = 60
RETRY_AFTER_FAILURE_S = 5.0
REDIS_TIMEOUT_S = 0.25

log = logging.getLogger(__name__)


class RateLimiter:
    """Counts requests per viewer and minute; `allow` answers whether one more may run."""

    def __init__(self, redis_url: str, per_minute: int, *, prefix: str = "bizgraph:rate") -> None:
        self.redis: Redis = Redis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        self.per_minute = per_minute
        self.prefix = prefix
        self._skip_until = 0.0

    async def allow(
        self, viewer: Viewer, *, now: float | None = None, per_minute: int | None = None
    ) -> tuple[bool, int]:
        """(allowed, seconds until the window resets) for one more request of `viewer`, under
        `per_minute` (an API key's own limit) or the general one."""
        limit = per_minute or self.per_minute
        moment = time.time() if now is None else now
        window = int(moment // WINDOW_S)
        retry_after = WINDOW_S - int(moment % WINDOW_S)
        if not limit or time.monotonic() < self._skip_until:
            return True, retry_after
        # A key has its own budget, apart from its owner's (who may run other clients).
        who = (
            f"key:{viewer.api_key_id}"
            if viewer.api_key_id is not None
            else viewer.employee_id or viewer.email
        )
        key = f"{self.prefix}:{who}:{window}"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(key)
                pipe.expire(key, WINDOW_S + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            self._skip_until = time.monotonic() + RETRY_AFTER_FAILURE_S
            log.warning("rate limit not enforced: Redis is unreachable (%s)", error)
            return True, retry_after
        return int(count) <= limit, retry_after

    async def close(self) -> None:
        await self.redis.aclose()


class RateLimit:
    """Middleware answering 429 (a GraphQL error `RATE_LIMITED`) past the per-minute budget."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.get("state", {}) if scope["type"] == "http" else {}
        viewer = state.get("viewer")
        if viewer is not None:
            per_minute = state.get("rate_limit") or self.limiter.per_minute
            allowed, retry_after = await self.limiter.allow(viewer, per_minute=per_minute)
            if not allowed:
                response = graphql_error(
                    429,
                    "RATE_LIMITED",
                    f"more than {per_minute} requests in a minute; retry in {retry_after} s",
                    headers={"Retry-After": str(retry_after)},
                    retryAfter=retry_after,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
