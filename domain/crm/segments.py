"""Saved customer segments: a name and the conditions of a `where` on customers.

The conditions are kept as the API took them (GraphQL names, enum names, IDs as text) and
evaluated live whenever the segment is read, with the reader's record rules and
permissions: a segment is a saved question, not a saved list.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import Conflict, DomainError, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.crm.models import Segment

MAX_DESCRIPTION_CHARS = 2000


async def create(
    *,
    session: AsyncSession,
    journal: Journal,
    name: str,
    description: str | None,
    definition: dict[str, Any],
) -> Segment:
    """Save a segment under a name no other segment has."""
    problems = Problems()
    cleaned = validation.text(problems, "name", name, max_length=100)
    about = _description(problems, description)
    problems.raise_if_any()
    await _ensure_name_is_free(session, str(cleaned))
    segment = Segment(
        name=cleaned,
        description=about,
        definition=definition,
        created_by_id=journal.actor.employee_id,
    )
    session.add(segment)
    await session.flush()
    journal.record(
        "segment.created",
        entity_type="segment",
        entity_id=segment.id,
        changes={"name": cleaned, "definition": definition},
    )
    return segment


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    segment_id: int,
    version: int,
    given: Mapping[str, Any],
) -> Segment:
    """Rename a segment, describe it again or change its conditions (`given` holds what the
    caller sent); refuses a stale `version`. Its figures follow on the next read."""
    segment = await _segment(session, segment_id)
    if segment.version != version:
        raise Conflict("segment")
    problems = Problems()
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = validation.text(problems, "name", given["name"], max_length=100)
    if "description" in given:
        values["description"] = _description(problems, given["description"])
    if "definition" in given:
        if given["definition"] is None:
            problems.add("where", "must not be empty; delete the segment instead")
        values["definition"] = given["definition"]
    problems.raise_if_any()
    if values.get("name", segment.name) != segment.name:
        await _ensure_name_is_free(session, values["name"])
    changes = apply_changes(segment, values)
    if changes:
        segment.version += 1
        await session.flush()
        journal.record(
            "segment.updated", entity_type="segment", entity_id=segment.id, changes=changes
        )
    return segment


async def delete(*, session: AsyncSession, journal: Journal, segment_id: int) -> Segment:
    """Forget a segment (the customers in it are not touched)."""
    segment = await _segment(session, segment_id)
    await session.delete(segment)
    await session.flush()
    journal.record(
        "segment.deleted",
        entity_type="segment",
        entity_id=segment_id,
        changes={"name": segment.name},
    )
    return segment


async def _segment(session: AsyncSession, segment_id: int) -> Segment:
    segment = await session.get(Segment, segment_id, with_for_update=True)
    if segment is None:
        raise NotFound("segment", "id")
    return segment


def _description(problems: Problems, description: str | None) -> str | None:
    return validation.text(
        problems, "description", description, max_length=MAX_DESCRIPTION_CHARS, required=False
    )


async def _ensure_name_is_free(session: AsyncSession, name: str) -> None:
    if await session.scalar(select(exists().where(Segment.name == name))):
        raise DomainError("DUPLICATE", f"a segment named {name!r} exists already", "name")
