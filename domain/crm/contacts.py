"""Contacts: people at a customer; one of them may be the primary contact."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import Problems
from domain.core.journal import Journal
from domain.crm.customers import get_visible
from domain.crm.models import Contact


async def create(
    *, session: AsyncSession, journal: Journal, customer_id: int, given: Mapping[str, Any]
) -> Contact:
    """Add a person at a customer; a new primary contact replaces the previous one."""
    problems = Problems()
    values = {
        "first_name": validation.text(
            problems, "firstName", given.get("first_name"), max_length=100
        ),
        "last_name": validation.text(problems, "lastName", given.get("last_name"), max_length=100),
        "email": validation.email(problems, "email", given.get("email")),
        "phone": validation.text(
            problems, "phone", given.get("phone"), max_length=40, required=False
        ),
        "title": validation.text(
            problems, "title", given.get("title"), max_length=100, required=False
        ),
        "is_primary": bool(given.get("is_primary")),
    }
    customer = await get_visible(session, journal.actor, customer_id)
    problems.raise_if_any()
    if values["is_primary"]:
        await session.execute(
            update(Contact).where(Contact.customer_id == customer.id).values(is_primary=False)
        )
    contact = Contact(customer_id=customer.id, **values)
    session.add(contact)
    await session.flush()
    journal.record(
        "contact.created",
        entity_type="contact",
        entity_id=contact.id,
        customer_id=customer.id,
        changes={k: v for k, v in values.items() if v is not None},
    )
    return contact
