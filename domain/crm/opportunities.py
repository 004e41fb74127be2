"""Opportunities: deals in the pipeline, edited and moved stage by stage until won or lost.

Winning is a flow (`domain.flows.deals`): the deal becomes a sales order.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import assignments, references, validation
from domain.core.access import Viewer
from domain.core.errors import Conflict, DomainError, InvalidTransition, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.crm import opportunity_stages as stages
from domain.crm.customers import get_visible
from domain.crm.models import Campaign, Customer, Opportunity


@dataclass(frozen=True)
class OpportunityRequest:
    customer_id: int
    name: str
    amount: Decimal
    currency: str | None = None  # None: the customer's currency
    stage: str = "prospecting"
    probability: int | None = None  # None: the stage's default
    expected_close_on: date | None = None
    owner_id: int | None = None
    source_campaign_id: int | None = None


async def create(
    *, session: AsyncSession, journal: Journal, request: OpportunityRequest
) -> Opportunity:
    """Open a deal for a customer in one of the open stages."""
    problems = Problems()
    name = validation.text(problems, "name", request.name, max_length=200)
    amount = validation.amount(problems, "amount", request.amount)
    if not stages.is_open(request.stage):
        problems.add("stage", "a new opportunity starts in an open stage")
    probability = _probability(problems, request.stage, request.probability)
    _close_date(problems, request.expected_close_on)
    customer = await get_visible(session, journal.actor, request.customer_id)
    currency = validation.currency(problems, "currency", request.currency or customer.currency)
    owner_id = request.owner_id or journal.actor.employee_id or customer.account_manager_id
    try:
        if request.owner_id is None:
            await references.active_employee(session, owner_id, "owner")
        else:
            await assignments.ensure_assignable(
                session, journal.actor, ("Opportunity", "owner"), owner_id, "owner"
            )
    except DomainError as error:
        problems.collect(error)
    if (
        request.source_campaign_id is not None
        and await session.get(Campaign, request.source_campaign_id) is None
    ):
        problems.add("sourceCampaign", "campaign does not exist", "NOT_FOUND")
    problems.raise_if_any()
    opportunity = Opportunity(
        customer_id=customer.id,
        owner_id=owner_id,
        source_campaign_id=request.source_campaign_id,
        name=name,
        stage=request.stage,
        amount=amount,
        currency=currency,
        probability=probability,
        expected_close_on=request.expected_close_on,
    )
    session.add(opportunity)
    await session.flush()
    journal.record(
        "opportunity.created",
        entity_type="opportunity",
        entity_id=opportunity.id,
        customer_id=customer.id,
        changes={"name": name, "stage": request.stage, "amount": amount},
    )
    return opportunity


async def move_stage(
    *,
    session: AsyncSession,
    journal: Journal,
    opportunity_id: int,
    stage: str,
    probability: int | None,
    version: int | None,
) -> Opportunity:
    """Move an open deal to another open stage; its probability follows unless given."""
    opportunity = await get_for_change(session, journal.actor, opportunity_id, version)
    if not stages.is_open(stage):
        raise DomainError(
            "VALIDATION", "use opportunityWin or opportunityLose to close a deal", "stage"
        )
    stages.move(opportunity.stage, stage)
    problems = Problems()
    new_probability = _probability(problems, stage, probability)
    problems.raise_if_any()
    change = {"stage": {"from": opportunity.stage, "to": stage}, "probability": new_probability}
    opportunity.stage, opportunity.probability = stage, new_probability
    await _touch(session, opportunity)
    journal.record(
        "opportunity.stage_changed",
        entity_type="opportunity",
        entity_id=opportunity.id,
        customer_id=opportunity.customer_id,
        changes=change,
    )
    return opportunity


async def lose(
    *,
    session: AsyncSession,
    journal: Journal,
    opportunity_id: int,
    reason: str,
    version: int | None,
) -> Opportunity:
    """Close a deal as lost; the reason is required so the pipeline can be learned from."""
    problems = Problems()
    cleaned = validation.text(problems, "reason", reason, max_length=500)
    problems.raise_if_any()
    opportunity = await get_for_change(session, journal.actor, opportunity_id, version)
    opportunity.stage = stages.move(opportunity.stage, "lost")
    opportunity.probability = stages.DEFAULT_PROBABILITY["lost"]
    opportunity.lost_reason = cleaned
    opportunity.closed_at = datetime.now(UTC)
    await _touch(session, opportunity)
    journal.record(
        "opportunity.lost",
        entity_type="opportunity",
        entity_id=opportunity.id,
        customer_id=opportunity.customer_id,
        changes={"reason": cleaned},
    )
    return opportunity


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    opportunity_id: int,
    version: int,
    given: Mapping[str, Any],
) -> Opportunity:
    """Edit an open deal's name, amount, probability (null: its stage's default) or expected
    close date; a stale `version` is a CONFLICT, a won or lost deal stays as it closed."""
    opportunity = await get_for_change(session, journal.actor, opportunity_id, version)
    if not stages.is_open(opportunity.stage):
        raise InvalidTransition("opportunity", opportunity.stage, "edit")
    problems = Problems()
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = validation.text(problems, "name", given["name"], max_length=200)
    if "amount" in given:
        if given["amount"] is None:
            problems.add("amount", "must not be empty")
        values["amount"] = validation.amount(problems, "amount", given["amount"])
    if "probability" in given:
        values["probability"] = _probability(problems, opportunity.stage, given["probability"])
    if "expected_close_on" in given:
        _close_date(problems, given["expected_close_on"])
        values["expected_close_on"] = given["expected_close_on"]
    problems.raise_if_any()
    changes = apply_changes(opportunity, values)
    if changes:
        await _touch(session, opportunity)
        journal.record(
            "opportunity.updated",
            entity_type="opportunity",
            entity_id=opportunity.id,
            customer_id=opportunity.customer_id,
            changes=changes,
        )
    return opportunity


async def get_for_change(
    session: AsyncSession, actor: Viewer, opportunity_id: int, version: int | None
) -> Opportunity:
    """The deal, locked, if the actor may see its customer and `version` is current."""
    opportunity = await session.scalar(
        select(Opportunity)
        .join(Customer, Customer.id == Opportunity.customer_id)
        .where(Opportunity.id == opportunity_id, actor.customer_rule(Customer.account_manager_id))
        .with_for_update(of=Opportunity)
    )
    if opportunity is None:
        raise NotFound("opportunity", "id")
    if version is not None and version != opportunity.version:
        raise Conflict("opportunity")
    return opportunity


async def _touch(session: AsyncSession, opportunity: Opportunity) -> None:
    opportunity.version += 1
    await session.flush()


def _probability(problems: Problems, stage: str, given: int | None) -> int:
    if given is None:
        return stages.DEFAULT_PROBABILITY.get(stage, 0)
    if not 0 <= given <= 100:
        problems.add("probability", "must be between 0 and 100")
    return given


def _close_date(problems: Problems, value: date | None) -> None:
    today = date.today()
    validation.day(
        problems,
        "expectedCloseOn",
        value,
        earliest=today - timedelta(days=365),
        latest=validation.years_from_today(5),
    )


def weighted_amount(opportunity: Any) -> Any:
    """What a deal is worth to the pipeline: its amount times its win probability."""
    return opportunity.c.amount * opportunity.c.probability / 100
