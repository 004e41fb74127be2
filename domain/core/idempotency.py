"""Idempotency keys: a retried request with the same key returns the first result.

Keys belong to a principal (the employee, see `Viewer.principal`): clients choose keys, so
two people may well pick the same one, and neither must ever get the other's result or be
refused for the other's key. The key row is inserted at the start of the operation's
transaction. A concurrent request with the same principal and key blocks on the primary key
until the first commits (then it sees the stored result) or rolls back (then it goes ahead
itself) — so two retries racing each other still write once. A failed operation leaves no
key behind, so a corrected retry can run.
"""

import hashlib
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError
from domain.core.ops import IdempotencyKey

MAX_KEY_LENGTH = 200


def request_hash(request: Any) -> str:
    """A stable fingerprint of a request's input (key order and formatting do not matter)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    session: AsyncSession, *, principal: str, operation: str, key: str, fingerprint: str
) -> dict[str, Any] | None:
    """None if this request is the first with `key` (go ahead), else the stored result."""
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            "VALIDATION", f"must be 1 to {MAX_KEY_LENGTH} characters", "idempotencyKey"
        )
    inserted = await session.execute(
        insert(IdempotencyKey)
        .values(
            principal=principal,
            operation=operation,
            key=key,
            request_hash=fingerprint,
            response={},
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    if inserted.first() is not None:
        return None
    stored = (
        await session.execute(
            select(IdempotencyKey.request_hash, IdempotencyKey.response).where(
                IdempotencyKey.principal == principal,
                IdempotencyKey.operation == operation,
                IdempotencyKey.key == key,
            )
        )
    ).one()
    if stored.request_hash != fingerprint:
        raise DomainError(
            "IDEMPOTENCY_KEY_REUSED",
            "this idempotency key was used for a different request",
            "idempotencyKey",
        )
    return dict(stored.response)


async def remember(
    session: AsyncSession, *, principal: str, operation: str, key: str, result: dict[str, Any]
) -> None:
    """Store the result a replay of `key` returns (same transaction as the operation)."""
    await session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.principal == principal,
            IdempotencyKey.operation == operation,
            IdempotencyKey.key == key,
        )
        .values(response=result)
    )
