"""Campaigns: planning, starting, completing or cancelling them, targeting customers, recording
who responded or converted, and reading which campaigns targeted a customer."""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import archiving, assignments, references, validation
from domain.core.access import Viewer, record_rule
from domain.core.errors import Conflict, DomainError, InvalidTransition, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.crm.campaign_states import CAMPAIGN_MACHINE
from domain.crm.customers import get_visible
from domain.crm.models import Campaign, CampaignMember, Customer
from domain.crm.vocabulary import CAMPAIGN_CHANNELS

MAX_MEMBERS_PER_CALL = 1000
# At most half of an audience is held back: the campaign is still the point.
MAX_CONTROL_SHARE = Decimal("0.5")
# Members move forward only: a converted customer has also responded.
MEMBER_STEPS = {"targeted": 0, "responded": 1, "converted": 2}
OPEN_FOR_MEMBERS = ("planned", "active")


@dataclass(frozen=True)
class CampaignRequest:
    name: str
    channel: str
    budget: Decimal
    starts_on: date
    ends_on: date | None = None
    currency: str = "EUR"
    status: str = "planned"
    owner_id: int | None = None


async def create(*, session: AsyncSession, journal: Journal, request: CampaignRequest) -> Campaign:
    """Plan a campaign with a budget (its cost) and a run of dates."""
    problems = Problems()
    name = validation.text(problems, "name", request.name, max_length=200)
    budget = validation.amount(problems, "budget", request.budget)
    currency = validation.currency(problems, "currency", request.currency)
    if request.channel not in CAMPAIGN_CHANNELS:
        problems.add("channel", f"must be one of {', '.join(CAMPAIGN_CHANNELS)}")
    if request.status not in OPEN_FOR_MEMBERS:
        problems.add("status", "a new campaign is planned or active")
    earliest = date(2000, 1, 1)
    validation.day(
        problems,
        "startsOn",
        request.starts_on,
        earliest=earliest,
        latest=validation.years_from_today(5),
    )
    if request.ends_on is not None and request.ends_on < request.starts_on:
        problems.add("endsOn", "must not be before startsOn")
    owner_id = request.owner_id or journal.actor.employee_id
    try:
        if request.owner_id is None:
            await references.active_employee(session, owner_id, "owner")
        else:
            await assignments.ensure_assignable(
                session, journal.actor, ("Campaign", "owner"), owner_id, "owner"
            )
    except DomainError as error:
        problems.collect(error)
    problems.raise_if_any()
    campaign = Campaign(
        name=name,
        channel=request.channel,
        status=request.status,
        budget=budget,
        currency=currency,
        starts_on=request.starts_on,
        ends_on=request.ends_on,
        owner_id=owner_id,
    )
    session.add(campaign)
    await session.flush()
    journal.record(
        "campaign.created",
        entity_type="campaign",
        entity_id=campaign.id,
        changes={"name": name, "channel": request.channel, "budget": budget},
    )
    return campaign


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    campaign_id: int,
    version: int,
    given: Mapping[str, Any],
) -> Campaign:
    """Change a planned or running campaign's name, budget, last day or owner, and a planned
    one's first day; refuses a stale `version`. A finished campaign stays as it ended."""
    campaign = await _campaign(session, campaign_id, field="id")
    if campaign.version != version:
        raise Conflict("campaign")
    if campaign.status not in OPEN_FOR_MEMBERS:
        raise InvalidTransition("campaign", campaign.status, "change")
    problems = Problems()
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = validation.text(problems, "name", given["name"], max_length=200)
    if "budget" in given:
        if given["budget"] is None:
            problems.add("budget", "must not be empty")
        values["budget"] = validation.amount(problems, "budget", given["budget"])
    if "starts_on" in given:
        if campaign.status != "planned":
            problems.add("startsOn", "a running campaign has started; its first day stays")
        elif given["starts_on"] is None:
            problems.add("startsOn", "must not be empty")
        validation.day(
            problems,
            "startsOn",
            given["starts_on"],
            earliest=date(2000, 1, 1),
            latest=validation.years_from_today(5),
        )
        values["starts_on"] = given["starts_on"]
    if "ends_on" in given:
        values["ends_on"] = given["ends_on"]
    starts_on = values.get("starts_on") or campaign.starts_on
    ends_on = values.get("ends_on", campaign.ends_on)
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        problems.add("endsOn", "must not be before startsOn")
    if "owner_id" in given:
        try:
            values["owner_id"] = await assignments.ensure_assignable(
                session, journal.actor, ("Campaign", "owner"), given["owner_id"], "owner"
            )
        except DomainError as error:
            problems.collect(error)
    problems.raise_if_any()
    changes = apply_changes(campaign, values)
    if changes:
        campaign.version += 1
        await session.flush()
        journal.record(
            "campaign.updated", entity_type="campaign", entity_id=campaign.id, changes=changes
        )
    return campaign


def held_out(campaign_id: int, customer_id: int, control_share: Decimal) -> bool:
    """Whether a new member falls in the control group: a hash of campaign and customer
    below the share, so the draw is random across customers, yet the same on every retry
    and unaffected by who else is added with them."""
    digest = hashlib.sha256(f"{campaign_id}:{customer_id}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64) < control_share


async def add_members(
    *,
    session: AsyncSession,
    journal: Journal,
    campaign_id: int,
    customer_ids: Sequence[int],
    control_share: Decimal = Decimal(0),
) -> Campaign:
    """Target customers; those already targeted stay as they are (safe to repeat). With a
    `control_share`, about that share of the new members is held out as the control group:
    in the audience, never contacted, to measure what the campaign adds."""
    if not Decimal(0) <= control_share <= MAX_CONTROL_SHARE:
        raise DomainError(
            "VALIDATION", f"must be between 0 and {MAX_CONTROL_SHARE}", "controlShare"
        )
    campaign = await _campaign(session, campaign_id)
    if campaign.status not in OPEN_FOR_MEMBERS:
        raise InvalidTransition("campaign", campaign.status, "add members to")
    problems = Problems()
    archiving.check_in_use(problems, campaign, "campaign", "campaign")
    problems.raise_if_any()
    if not customer_ids or len(customer_ids) > MAX_MEMBERS_PER_CALL:
        raise DomainError("VALIDATION", f"give 1 to {MAX_MEMBERS_PER_CALL} customers", "customers")
    wanted = set(customer_ids)
    visible = set(
        await session.scalars(
            select(Customer.id).where(
                Customer.id.in_(wanted), journal.actor.customer_rule(Customer.account_manager_id)
            )
        )
    )
    problems = Problems()
    for position, customer_id in enumerate(customer_ids):
        if customer_id not in visible:
            problems.add(f"customers.{position}", "customer does not exist", "NOT_FOUND")
    problems.raise_if_any()
    added = await session.scalars(
        insert(CampaignMember)
        .values(
            [
                {
                    "campaign_id": campaign.id,
                    "customer_id": c,
                    "held_out": held_out(campaign.id, c, control_share),
                }
                for c in sorted(wanted)
            ]
        )
        .on_conflict_do_nothing(constraint="uq_campaign_member_customer")
        .returning(CampaignMember.customer_id)
    )
    for customer_id in added:
        journal.record(
            "campaign.member_added",
            entity_type="campaign",
            entity_id=campaign.id,
            customer_id=customer_id,
            changes={"customer_id": customer_id},
        )
    return campaign


async def member_respond(
    *, session: AsyncSession, journal: Journal, campaign_id: int, customer_id: int, status: str
) -> CampaignMember:
    """Record that a targeted customer responded to, or converted through, the campaign."""
    if status not in ("responded", "converted"):
        raise DomainError("VALIDATION", "must be RESPONDED or CONVERTED", "status")
    await get_visible(session, journal.actor, customer_id)
    member = await session.scalar(
        select(CampaignMember)
        .where(CampaignMember.campaign_id == campaign_id, CampaignMember.customer_id == customer_id)
        .with_for_update()
    )
    if member is None:
        raise NotFound("campaign member", "customer")
    if member.held_out:
        raise DomainError(
            "HELD_OUT",
            "the customer is in the campaign's control group: it was never contacted",
            "customer",
        )
    if MEMBER_STEPS[status] <= MEMBER_STEPS[member.status]:
        raise InvalidTransition("campaign member", member.status, f"mark {status}")
    now = datetime.now(UTC)
    member.responded_at = member.responded_at or now
    if status == "converted":
        member.converted_at = now
    member.status = status
    await session.flush()
    journal.record(
        f"campaign.member_{status}",
        entity_type="campaign",
        entity_id=campaign_id,
        customer_id=customer_id,
        changes={"status": status},
    )
    return member


async def move(
    *,
    session: AsyncSession,
    journal: Journal,
    campaign_id: int,
    status: str,
    version: int | None,
) -> Campaign:
    """Start (active), complete or cancel a campaign, as `CAMPAIGN_MACHINE` allows; a stale
    `version` is a CONFLICT. Its dates follow what happened: started before its first day, it
    runs from today; completed before its last day, it ran until today. Members can be added
    while it is planned or active, no longer after."""
    campaign = await _campaign(session, campaign_id, field="id")
    if version is not None and campaign.version != version:
        raise Conflict("campaign")
    action = _ACTION_TO.get(status, f"move to {status}")
    CAMPAIGN_MACHINE.next(campaign.status, action)  # refuses what the lifecycle does not allow
    change: dict[str, Any] = {"status": {"from": campaign.status, "to": status}}
    campaign.status = status
    today = datetime.now(UTC).date()
    if status == "active" and campaign.starts_on > today:
        change["starts_on"] = {"from": campaign.starts_on, "to": today}
        campaign.starts_on = today
    if status == "completed" and (campaign.ends_on is None or campaign.ends_on > today):
        change["ends_on"] = {"from": campaign.ends_on, "to": today}
        campaign.ends_on = today
    campaign.version += 1
    await session.flush()
    journal.record(
        f"campaign.{status}", entity_type="campaign", entity_id=campaign.id, changes=change
    )
    return campaign


# The move that leads to each status.
_ACTION_TO = {"active": "start", "completed": "complete", "cancelled": "cancel"}


async def _campaign(session: AsyncSession, campaign_id: int, field: str = "campaign") -> Campaign:
    campaign = await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update()
    )
    if campaign is None:
        raise NotFound("campaign", field)
    return campaign


CAMPAIGN: Table = Campaign.__table__  # type: ignore[assignment]
CAMPAIGN_MEMBER: Table = CampaignMember.__table__  # type: ignore[assignment]


def campaigns_of_customers(customer_ids: ColumnElement[Any], viewer: Viewer) -> Any:
    """Every column of the campaigns that targeted each customer in the array, and `_customer`,
    the customer; the latest campaign first. Memberships the viewer may not see are left out."""
    return (
        select(CAMPAIGN, CAMPAIGN_MEMBER.c.customer_id.label("_customer"))
        .join(CAMPAIGN_MEMBER, CAMPAIGN_MEMBER.c.campaign_id == CAMPAIGN.c.id)
        .where(
            CAMPAIGN_MEMBER.c.customer_id == any_(customer_ids),
            record_rule(viewer, CAMPAIGN_MEMBER),
        )
        .order_by(CAMPAIGN.c.starts_on.desc(), CAMPAIGN.c.id)
    )
