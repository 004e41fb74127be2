"""From an API key (`Authorization: Bearer bzk_…`) to a `Viewer`, briefly cached.

Looking a key up costs one indexed read; each process keeps the answer for `TTL_SECONDS`,
so a revocation, an expiry or the owner's termination takes effect within that time.
When a key was last used is written at most once a minute per key and process, off the
request's path.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from api.security.directory import SIGNED_OUT_STATUSES
from api.security.tokens import AuthError
from domain.core.access import Viewer
from domain.core.sessions import SessionFactory
from domain.integrations import api_keys
from domain.integrations.api_keys import KeyHolder

TTL_SECONDS = 10.0
MARK_USED_EVERY_S = 60.0
MAX_ENTRIES = 10_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyIdentity:
    viewer: Viewer
    rate_limit: int | None
    expires_at: float | None


@dataclass(frozen=True)
class _Entry:
    holder: KeyHolder | None
    expires: float


class ApiKeyDirectory:
    """Resolves API keys to viewers; one per process, shared by its requests."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self._cache: dict[str, _Entry] = {}
        self._marked: dict[int, float] = {}
        self._marking: set[asyncio.Task[None]] = set()

    async def authenticate(self, secret: str) -> KeyIdentity:
        """The viewer a key stands for and its own rate limit; refuses unknown, revoked and
        expired keys and keys of employees who left."""
        holder = await self._lookup(secret)
        if holder is None:
            raise AuthError("the API key is not known")
        if holder.revoked:
            raise AuthError("the API key was revoked")
        if holder.expires_at is not None and holder.expires_at <= datetime.now(UTC):
            raise AuthError(f"the API key expired at {holder.expires_at.isoformat()}")
        if holder.owner_status in SIGNED_OUT_STATUSES:
            raise AuthError("the API key's owner is no longer active")
        self._mark_used(holder.key_id)
        expires = holder.expires_at.timestamp() if holder.expires_at is not None else None
        return KeyIdentity(holder.viewer(), holder.rate_limit_per_minute, expires)

    async def _lookup(self, secret: str) -> KeyHolder | None:
        digest = api_keys.hash_secret(secret)
        now = time.monotonic()
        entry = self._cache.get(digest)
        if entry is not None and entry.expires > now:
            return entry.holder
        async with self.sessions() as session:
            holder = await api_keys.find(session, secret)
        if len(self._cache) >= MAX_ENTRIES:
            self._cache.clear()
        self._cache[digest] = _Entry(holder, now + TTL_SECONDS)
        return holder

    def _mark_used(self, key_id: int) -> None:
        now = time.monotonic()
        if now - self._marked.get(key_id, -MARK_USED_EVERY_S) < MARK_USED_EVERY_S:
            return
        self._marked[key_id] = now
        task = asyncio.create_task(self._write_used(key_id))
        self._marking.add(task)
        task.add_done_callback(self._marking.discard)

    async def _write_used(self, key_id: int) -> None:
        try:
            async with self.sessions() as session, session.begin():
                await api_keys.mark_used(session, [key_id])
        except Exception:  # a missed "last used" must never fail anything else
            log.warning("could not record the use of API key %s", key_id, exc_info=True)

    def forget(self) -> None:
        """Drop every cached lookup: the next request with each key reads it again."""
        self._cache.clear()

    async def close(self) -> None:
        """Let pending "last used" writes finish (on shutdown)."""
        if self._marking:
            await asyncio.gather(*self._marking, return_exceptions=True)
