"""Saved customer segments: a name and the conditions of a `where` on customers.

The conditions are kept as the API took them (GraphQL names, enum names, IDs as text) and
evaluated live whenever the segment is read, with the reader's record rules and
permissions: a segment is a saved question, not a saved list.
"""

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import DomainError, NotFound, Problems
from domain.core.journal import Journal
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
    about = validation.text(
        problems, "description", description, max_length=MAX_DESCRIPTION_CHARS, required=False
    )
    problems.raise_if_any()
    if await session.scalar(select(exists().where(Segment.name == cleaned))):
        raise DomainError("DUPLICATE", f"a segment named {cleaned!r} exists already", "name")
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


async def delete(*, session: AsyncSession, journal: Journal, segment_id: int) -> Segment:
    """Forget a segment (the customers in it are not touched)."""
    segment = await session.get(Segment, segment_id, with_for_update=True)
    if segment is None:
        raise NotFound("segment", "id")
    await session.delete(segment)
    await session.flush()
    journal.record(
        "segment.deleted",
        entity_type="segment",
        entity_id=segment_id,
        changes={"name": segment.name},
    )
    return segment
