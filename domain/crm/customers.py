"""Customers: creating, updating (optimistic concurrency) and finding them under record rules."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import assignments, references, validation
from domain.core.access import Viewer
from domain.core.errors import Conflict, DomainError, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.crm.models import Customer
from domain.crm.vocabulary import CUSTOMER_KINDS, CUSTOMER_STATUSES, CUSTOMER_TIERS

# Text fields a client may set, with the longest text each accepts.
TEXT_LIMITS = {"name": 200, "phone": 40, "industry": 80}


async def get_visible(
    session: AsyncSession,
    actor: Viewer,
    customer_id: int,
    *,
    field: str = "customer",
    lock: bool = False,
) -> Customer:
    """The customer if it exists and the actor's record rules let them see it."""
    statement = select(Customer).where(
        Customer.id == customer_id, actor.customer_rule(Customer.account_manager_id)
    )
    found = await session.scalar(statement.with_for_update() if lock else statement)
    if found is None:
        raise NotFound("customer", field)
    return found


async def create(*, session: AsyncSession, journal: Journal, given: Mapping[str, Any]) -> Customer:
    """Register a new lead or customer; it gets the next customer number."""
    values = await _validated(session, journal.actor, given, creating=True)
    customer_id = await references.next_id(session, "crm.customer")
    customer = Customer(id=customer_id, code=f"C{customer_id:06d}", **values)
    session.add(customer)
    await session.flush()
    journal.record(
        "customer.created",
        entity_type="customer",
        entity_id=customer_id,
        customer_id=customer_id,
        changes={"code": customer.code, **values},
    )
    return customer


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    customer_id: int,
    version: int,
    given: Mapping[str, Any],
) -> Customer:
    """Change a customer's details, tier or account manager; refuses a stale `version`."""
    customer = await get_visible(session, journal.actor, customer_id, field="id", lock=True)
    if customer.version != version:
        raise Conflict("customer")
    values = await _validated(session, journal.actor, given, creating=False)
    changes = apply_changes(customer, values)
    if changes:
        customer.version += 1
        customer.updated_at = func.now()
        await session.flush()
        await session.refresh(customer)
        journal.record(
            "customer.updated",
            entity_type="customer",
            entity_id=customer_id,
            customer_id=customer_id,
            changes=changes,
        )
    return customer


async def _validated(
    session: AsyncSession, actor: Viewer, given: Mapping[str, Any], *, creating: bool
) -> dict[str, Any]:
    problems = Problems()
    values = checked(problems, given, creating=creating)
    await _account_manager(session, actor, given, values, problems, creating=creating)
    problems.raise_if_any()
    return values


def checked(problems: Problems, given: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The customer fields `given` names that need no lookup, checked (problems collected):
    the rules every way of writing a customer shares, imports included."""
    values: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name in given:
            required = name == "name"
            values[name] = validation.text(
                problems, name, given[name], max_length=limit, required=required
            )
    if creating and "name" not in given:
        problems.add("name", "must not be empty")
    if "email" in given:
        values["email"] = validation.email(problems, "email", given["email"])
    if "country" in given:
        values["country"] = validation.country(problems, "country", given["country"])
    if given.get("currency") is not None:
        values["currency"] = validation.currency(problems, "currency", given["currency"])
    if "credit_limit" in given:
        values["credit_limit"] = validation.amount(problems, "creditLimit", given["credit_limit"])
    for name, allowed in (
        ("kind", CUSTOMER_KINDS),
        ("tier", CUSTOMER_TIERS),
        ("status", CUSTOMER_STATUSES),
    ):
        if given.get(name) is not None:
            if given[name] not in allowed:
                problems.add(name, f"must be one of {', '.join(allowed)}")
            values[name] = given[name]
    return values


async def _account_manager(
    session: AsyncSession,
    actor: Viewer,
    given: Mapping[str, Any],
    values: dict[str, Any],
    problems: Problems,
    *,
    creating: bool,
) -> None:
    if "account_manager_id" in given:
        try:
            values["account_manager_id"] = await assignments.ensure_assignable(
                session,
                actor,
                ("Customer", "accountManager"),
                given["account_manager_id"],
                "accountManager",
            )
        except DomainError as error:
            problems.collect(error)
    elif creating and actor.limited_to_own_customers:
        # A sales rep works on their own accounts: what they create is theirs.
        values["account_manager_id"] = actor.employee_id


# A customer who orders is active, whatever the pipeline said before.
BUYING_STATUS = "active"


async def mark_buying(*, session: AsyncSession, journal: Journal, customer: Customer) -> None:
    """Move a lead, prospect or churned customer to active when it orders."""
    if customer.status == BUYING_STATUS:
        return
    journal.record(
        "customer.updated",
        entity_type="customer",
        entity_id=customer.id,
        customer_id=customer.id,
        changes={"status": {"from": customer.status, "to": BUYING_STATUS}},
    )
    customer.status = BUYING_STATUS
    customer.version += 1
    customer.updated_at = func.now()
    await session.flush()
