"""API keys: credentials for machine clients, made by an employee and never stronger.

A key is `bzk_` and 43 URL-safe characters (32 random bytes). It is shown once, when made;
only its SHA-256 is kept (the secret is random and long: a fast hash loses nothing, and
lets each request find its key in one indexed lookup). A key holds some of its creator's
roles — never one they did not hold when making it — may be read-only, may expire, and may
have its own rate limit. Requests made with it act as its owner, under its roles, and are
audited with source `api_key`.
"""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.access import ROLES, Viewer
from domain.core.errors import DomainError, NotFound, Problems
from domain.core.journal import Journal
from domain.core.ops import ApiKey
from domain.erp.models.employees import Employee

SECRET_PREFIX = "bzk_"
# How much of a key is kept in clear to tell keys apart: the prefix and 6 characters.
SHOWN_CHARACTERS = len(SECRET_PREFIX) + 6
MAX_RATE_LIMIT_PER_MINUTE = 100_000
ENTITY_TYPE = "api_key"


def is_api_key(token: str) -> bool:
    """Whether a bearer token is an API key (a JWT never starts this way)."""
    return token.startswith(SECRET_PREFIX)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    key: ApiKey
    secret: str


async def create(
    *,
    session: AsyncSession,
    journal: Journal,
    name: str,
    roles: Iterable[str],
    read_only: bool,
    expires_at: datetime | None,
    rate_limit_per_minute: int | None,
) -> Issued:
    """Make a key for the acting employee with some of their roles; its secret, shown once."""
    creator = journal.actor
    if creator.source == "api_key" or creator.employee_id is None:
        raise DomainError("FORBIDDEN", "API keys are made by employees signed in as themselves")
    problems = Problems()
    cleaned = validation.text(problems, "name", name, max_length=100)
    wanted = frozenset(roles)
    if not wanted:
        problems.add("roles", "must name at least one role")
    unknown = sorted(wanted - frozenset(ROLES))
    if unknown:
        problems.add("roles", f"unknown roles: {', '.join(unknown)}")
    beyond = sorted(wanted - creator.roles - frozenset(unknown))
    if beyond:
        raise DomainError(
            "FORBIDDEN", f"a key cannot hold roles you do not hold: {', '.join(beyond)}", "roles"
        )
    if expires_at is not None and expires_at <= datetime.now(UTC):
        problems.add("expiresAt", "must be in the future")
    if rate_limit_per_minute is not None and not 1 <= rate_limit_per_minute <= (
        MAX_RATE_LIMIT_PER_MINUTE
    ):
        problems.add("rateLimitPerMinute", f"must be 1 to {MAX_RATE_LIMIT_PER_MINUTE}")
    problems.raise_if_any()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        owner_id=creator.employee_id,
        name=cleaned,
        prefix=secret[:SHOWN_CHARACTERS],
        secret_hash=hash_secret(secret),
        roles=sorted(wanted),
        read_only=read_only,
        expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    session.add(key)
    await session.flush()
    journal.record(
        "api_key.created",
        entity_type=ENTITY_TYPE,
        entity_id=key.id,
        changes={"name": cleaned, "roles": sorted(wanted), "read_only": read_only},
    )
    return Issued(key, secret)


async def revoke(*, session: AsyncSession, journal: Journal, key_id: int) -> ApiKey:
    """Revoke a key: its owner's or, for an admin, anyone's. Revoking twice changes nothing."""
    key = await session.get(ApiKey, key_id, with_for_update=True)
    actor = journal.actor
    if key is None or not (actor.has_any("admin") or key.owner_id == actor.employee_id):
        raise NotFound("the API key", "id")
    if key.revoked_at is None:
        key.revoked_at = func.now()
        await session.flush()
        journal.record("api_key.revoked", entity_type=ENTITY_TYPE, entity_id=key.id)
    return key


@dataclass(frozen=True)
class KeyHolder:
    """What authenticating a key finds: the key and its owner, as the request will act."""

    key_id: int
    owner_id: int
    owner_email: str
    owner_status: str
    roles: frozenset[str]
    read_only: bool
    rate_limit_per_minute: int | None
    expires_at: datetime | None
    revoked: bool

    def viewer(self) -> Viewer:
        return Viewer(
            employee_id=self.owner_id,
            email=self.owner_email,
            roles=self.roles,
            source="api_key",
            api_key_id=self.key_id,
            read_only=self.read_only,
        )


async def find(session: AsyncSession, secret: str) -> KeyHolder | None:
    """The key a secret belongs to, with its owner; None for no key."""
    row = (
        await session.execute(
            select(ApiKey, Employee.email, Employee.status)
            .join(Employee, Employee.id == ApiKey.owner_id)
            .where(ApiKey.secret_hash == hash_secret(secret))
        )
    ).first()
    if row is None:
        return None
    key, email, status = row
    return KeyHolder(
        key_id=key.id,
        owner_id=key.owner_id,
        owner_email=email,
        owner_status=status,
        roles=frozenset(key.roles),
        read_only=key.read_only,
        rate_limit_per_minute=key.rate_limit_per_minute,
        expires_at=key.expires_at,
        revoked=key.revoked_at is not None,
    )


async def mark_used(session: AsyncSession, key_ids: Iterable[int]) -> None:
    """Record that these keys were used now (called at most once a minute per key)."""
    ids = list(key_ids)
    if ids:
        await session.execute(
            update(ApiKey).where(ApiKey.id.in_(ids)).values(last_used_at=func.now())
        )
