"""Webhook endpoints, kept by admins: where events go, which ones, signed with which secret.

A secret is made here and shown once (the caller returns it in its payload); the audit log
and the events record that it changed, never its value. Disabling an endpoint keeps its
pending deliveries; enabling it again sends them at once. A replay owes an endpoint again
every event of a period the outbox still holds (`domain.core.retention`).
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.integrations import signing
from domain.integrations.deliveries import MATCHES
from domain.integrations.models import WebhookDelivery, WebhookEndpoint
from domain.integrations.webhooks import checked_filters

ENTITY = "webhook_endpoint"
URL_CHARS = 2000
DESCRIPTION_CHARS = 500
MAX_OVERLAP_HOURS = 7 * 24

REPLAY = text(
    f"""
    INSERT INTO ops.webhook_delivery (endpoint_id, event_id, event_type)
    SELECT e.id, o.id, o.topic
    FROM ops.outbox o JOIN ops.webhook_endpoint e ON e.id = :endpoint AND {MATCHES}
    WHERE o.created_at >= :start AND o.created_at < :end
    ORDER BY o.id
    ON CONFLICT (endpoint_id, event_id) DO UPDATE
    SET status = 'pending', attempts = 0, next_attempt_at = now(), leased_until = NULL
    """
)


def checked_url(problems: Problems, value: str | None, *, https_only: bool) -> str | None:
    """An absolute http(s) URL with a host and no credentials (https only in production)."""
    url = validation.text(problems, "url", value, max_length=URL_CHARS)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        problems.add("url", "is not a valid URL")
        return None
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme.lower() not in schemes:
        problems.add("url", f"must start with {' or '.join(f'{s}://' for s in schemes)}")
    elif not parts.hostname:
        problems.add("url", "must name a host")
    elif parts.username is not None or parts.password is not None:
        problems.add("url", "must not hold credentials: authenticate requests by signature")
    return url


async def create(
    *,
    session: AsyncSession,
    journal: Journal,
    url: str,
    description: str | None,
    event_types: list[str] | None,
    active: bool,
    https_only: bool,
) -> WebhookEndpoint:
    """Register an endpoint with a new secret (on the returned endpoint: show it once)."""
    problems = Problems()
    cleaned_url = checked_url(problems, url, https_only=https_only)
    about = validation.text(
        problems, "description", description, max_length=DESCRIPTION_CHARS, required=False
    )
    filters = checked_filters(problems, "eventTypes", event_types)
    problems.raise_if_any()
    endpoint = WebhookEndpoint(
        url=cleaned_url,
        description=about,
        event_types=filters,
        secret=signing.new_secret(),
        active=active,
        created_by_id=journal.actor.employee_id,
    )
    session.add(endpoint)
    await session.flush()
    journal.record(
        "webhook_endpoint.created",
        entity_type=ENTITY,
        entity_id=endpoint.id,
        changes={"url": cleaned_url, "event_types": filters, "active": active},
    )
    return endpoint


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    endpoint_id: int,
    given: Mapping[str, Any],
    https_only: bool,
) -> WebhookEndpoint:
    """Change an endpoint (`given` holds what the caller sent); enabled again, it sends what
    it owes at once."""
    endpoint = await _endpoint(session, endpoint_id)
    problems = Problems()
    values: dict[str, Any] = {}
    if "url" in given:
        values["url"] = checked_url(problems, given["url"], https_only=https_only)
    if "description" in given:
        values["description"] = validation.text(
            problems,
            "description",
            given["description"],
            max_length=DESCRIPTION_CHARS,
            required=False,
        )
    if "event_types" in given:
        values["event_types"] = checked_filters(problems, "eventTypes", given["event_types"])
    if given.get("active") is not None:
        values["active"] = bool(given["active"])
    problems.raise_if_any()
    enabled = values.get("active") is True and not endpoint.active
    changes = apply_changes(endpoint, values)
    if not changes:
        return endpoint
    if "active" in changes:
        endpoint.disabled_reason = None if enabled else "disabled through the API"
    if enabled:
        endpoint.consecutive_failures = 0
        endpoint.failing_since = None
        # Waiting out a retry step of the failing days is pointless now: due at once.
        await session.execute(
            sql_update(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.status == "pending",
                WebhookDelivery.leased_until.is_(None),
            )
            .values(next_attempt_at=datetime.now(UTC))
        )
    endpoint.updated_at = datetime.now(UTC)
    await session.flush()
    journal.record(
        "webhook_endpoint.updated", entity_type=ENTITY, entity_id=endpoint.id, changes=changes
    )
    return endpoint


async def delete(*, session: AsyncSession, journal: Journal, endpoint_id: int) -> WebhookEndpoint:
    """Forget an endpoint, with its deliveries and their attempts."""
    endpoint = await _endpoint(session, endpoint_id)
    await session.delete(endpoint)
    await session.flush()
    journal.record(
        "webhook_endpoint.deleted",
        entity_type=ENTITY,
        entity_id=endpoint_id,
        changes={"url": endpoint.url},
    )
    return endpoint


async def rotate_secret(
    *, session: AsyncSession, journal: Journal, endpoint_id: int, overlap_hours: int
) -> WebhookEndpoint:
    """Give an endpoint a new secret; the old one signs too for `overlap_hours`."""
    problems = Problems()
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        problems.add("overlapHours", f"must be between 0 and {MAX_OVERLAP_HOURS}")
    problems.raise_if_any()
    endpoint = await _endpoint(session, endpoint_id)
    now = datetime.now(UTC)
    endpoint.previous_secret = endpoint.secret if overlap_hours else None
    endpoint.previous_secret_expires_at = (
        now + timedelta(hours=overlap_hours) if overlap_hours else None
    )
    endpoint.secret = signing.new_secret()
    endpoint.updated_at = now
    await session.flush()
    journal.record(
        "webhook_endpoint.secret_rotated",
        entity_type=ENTITY,
        entity_id=endpoint.id,
        changes={"overlap_hours": overlap_hours},
    )
    return endpoint


async def replay(
    *, session: AsyncSession, journal: Journal, endpoint_id: int, start: datetime, end: datetime
) -> tuple[WebhookEndpoint, int]:
    """Owe the endpoint again every event of [start, end) its filters match that the outbox
    still holds; returns the endpoint and how many deliveries that makes."""
    problems = Problems()
    if end <= start:
        problems.add("to", "must be after `from`")
    problems.raise_if_any()
    endpoint = await _endpoint(session, endpoint_id)
    result = await session.execute(REPLAY, {"endpoint": endpoint.id, "start": start, "end": end})
    queued = result.rowcount or 0  # type: ignore[attr-defined]
    journal.record(
        "webhook_endpoint.replayed",
        entity_type=ENTITY,
        entity_id=endpoint.id,
        changes={"from": start, "to": end, "deliveries": queued},
    )
    return endpoint, queued


async def _endpoint(session: AsyncSession, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is None:
        raise NotFound("webhook endpoint", "id")
    return endpoint
