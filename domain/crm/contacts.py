"""Contacts: people at a customer; one of them may be the primary contact."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import Conflict, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.crm.customers import get_visible
from domain.crm.models import Contact, Customer

FIELDS = ("first_name", "last_name", "email", "phone", "title", "is_primary")


async def create(
    *, session: AsyncSession, journal: Journal, customer_id: int, given: Mapping[str, Any]
) -> Contact:
    """Add a person at a customer; a new primary contact replaces the previous one."""
    problems = Problems()
    values = checked(problems, {name: given.get(name) for name in FIELDS})
    customer = await get_visible(session, journal.actor, customer_id)
    problems.raise_if_any()
    if values["is_primary"]:
        await _no_other_primary(session, customer.id)
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


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    contact_id: int,
    version: int,
    given: Mapping[str, Any],
) -> Contact:
    """Change a contact's name, address, phone, title, or make them the primary contact;
    refuses a stale `version`."""
    contact = await session.scalar(
        select(Contact)
        .join(Customer, Customer.id == Contact.customer_id)
        .where(Contact.id == contact_id, journal.actor.customer_rule(Customer.account_manager_id))
        .with_for_update(of=Contact)
    )
    if contact is None:
        raise NotFound("contact", "id")
    if contact.version != version:
        raise Conflict("contact")
    problems = Problems()
    values = checked(problems, given)
    problems.raise_if_any()
    if values.get("is_primary") and not contact.is_primary:
        await _no_other_primary(session, contact.customer_id)
    changes = apply_changes(contact, values)
    if changes:
        contact.version += 1
        await session.flush()
        journal.record(
            "contact.updated",
            entity_type="contact",
            entity_id=contact.id,
            customer_id=contact.customer_id,
            changes=changes,
        )
    return contact


def checked(problems: Problems, given: Mapping[str, Any]) -> dict[str, Any]:
    """The contact fields `given` names, checked: one set of rules for create and update."""
    values: dict[str, Any] = {}
    if "first_name" in given:
        values["first_name"] = validation.text(
            problems, "firstName", given["first_name"], max_length=100
        )
    if "last_name" in given:
        values["last_name"] = validation.text(
            problems, "lastName", given["last_name"], max_length=100
        )
    if "email" in given:
        values["email"] = validation.email(problems, "email", given["email"])
    for name, limit in (("phone", 40), ("title", 100)):
        if name in given:
            values[name] = validation.text(
                problems, name, given[name], max_length=limit, required=False
            )
    if "is_primary" in given:
        values["is_primary"] = bool(given["is_primary"])
    return values


async def _no_other_primary(session: AsyncSession, customer_id: int) -> None:
    await session.execute(
        sql_update(Contact).where(Contact.customer_id == customer_id).values(is_primary=False)
    )
