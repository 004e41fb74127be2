"""Campaigns and their members: the types, the root list, planning and targeting."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.analytics import reads as figures
from domain.crm import campaigns
from domain.crm.models import Campaign as CampaignModel
from domain.crm.models import CampaignMember as CampaignMemberModel
from domain.crm.vocabulary import CAMPAIGN_CHANNELS, CAMPAIGN_STATUSES, MEMBER_STATUSES
from schema.core import filters, sql
from schema.core.aggregates import aggregate_field
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import enum_value, given, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.pagination import Connection
from schema.core.relations import Page, RowOf, ToOne
from schema.crm.customers import Customer

if TYPE_CHECKING:
    from schema.analytics.campaign_performance import CampaignPerformance
    from schema.erp.employees import Employee

EmployeeRef = Annotated["Employee", strawberry.lazy("schema.erp.employees")]
PerformanceRef = Annotated[
    "CampaignPerformance", strawberry.lazy("schema.analytics.campaign_performance")
]

CampaignChannel = vocabulary_enum(
    "CampaignChannel", CAMPAIGN_CHANNELS, "Marketing channel of a campaign."
)
CampaignStatus = vocabulary_enum("CampaignStatus", CAMPAIGN_STATUSES, "Lifecycle of a campaign.")
MemberStatus = vocabulary_enum(
    "CampaignMemberStatus", MEMBER_STATUSES, "How far a campaign member went."
)

PERFORMANCE = sql.row_per_key(
    "campaign_performance", figures.performance_of_campaigns, key="campaign_id"
)


@strawberry.type(description="A marketing campaign.")
class Campaign(TableNode):
    MODEL = CampaignModel
    id: relay.NodeID[int]
    name: str = desc("Name.")
    channel: CampaignChannel = desc("Channel.")
    status: CampaignStatus = desc("Status.")
    budget: Decimal = desc("Budget (the campaign's cost).")
    currency: str = desc("Currency of the budget.")
    starts_on: date = desc("First day.")
    ends_on: date | None = desc("Last day.")
    version: int = desc("Increases with every change; send it back with campaignMoveStatus.")
    archived_at: datetime | None = desc(
        "When it was archived: left out of lists, kept for what refers to it; null while in use."
    )

    owner: EmployeeRef | None = ToOne["Employee"]("owner_id").field(
        "The employee running the campaign."
    )
    performance: PerformanceRef | None = RowOf["CampaignPerformance"](
        PERFORMANCE, present="campaign_id"
    ).field("Results; null until the workers computed them.")
    members: Connection["CampaignMember"] | None = Page["CampaignMember"](
        "campaign_id", sort=sql.newest("added_at")
    ).field("Customers targeted by the campaign, latest added first.")


@strawberry.type(description="A customer's participation in a campaign.")
class CampaignMember(TableNode):
    MODEL = CampaignMemberModel
    id: relay.NodeID[int]
    status: MemberStatus = desc("Targeted, responded or converted.")
    held_out: bool = desc(
        "In the control group: in the audience but never contacted, to measure what the "
        "campaign adds."
    )
    added_at: datetime = desc("When the customer was targeted.")
    responded_at: datetime | None = desc("When the customer responded.")
    converted_at: datetime | None = desc("When the customer converted.")

    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer.")
    campaign: Campaign | None = ToOne[Campaign]("campaign_id").field("The campaign.")


@strawberry.input(description="Filters for campaigns.")
class CampaignFilter:
    status: list[CampaignStatus] | None = filters.any_of("status", "Any of these statuses.")
    channel: list[CampaignChannel] | None = filters.any_of("channel", "Any of these channels.")
    owner: relay.GlobalID | None = filters.node("owner_id", "Employee", "Run by this employee.")
    search: str | None = filters.search("name", description="Text in the name.")
    starts_from: date | None = filters.at_least("starts_on", "Starting on or after.")
    starts_to: date | None = filters.at_most("starts_on", "Starting on or before.")
    include_archived: bool | None = filters.include_archived()


@strawberry.type
class CampaignQueries:
    campaigns = root_connection(
        Campaign,
        description="Campaigns by start date.",
        sort=by_date("starts_on"),
        filter=CampaignFilter,
    )
    campaign_members_aggregate = aggregate_field(
        CampaignMember,
        "Campaign memberships grouped, with counts per group (one statement).",
    )


@strawberry.input(description="A new marketing campaign.")
class CampaignCreateInput:
    name: str = strawberry.field(description="Name (at most 200 characters).")
    channel: CampaignChannel = strawberry.field(description="Marketing channel.")
    budget: Decimal = strawberry.field(description="Budget, which counts as the campaign's cost.")
    starts_on: date = strawberry.field(description="First day.")
    ends_on: date | None = strawberry.field(default=None, description="Last day (open if null).")
    currency: str = strawberry.field(default="EUR", description="ISO 4217 currency of the budget.")
    status: CampaignStatus = strawberry.field(
        default=CampaignStatus.PLANNED, description="PLANNED or ACTIVE."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=None, description="Owner (default you): someone in marketing or sales."
    )
    idempotency_key: str | None = retry_key("creating a second campaign")


@strawberry.input(description="Customers to target with a campaign.")
class CampaignAddMembersInput:
    campaign: strawberry.ID = strawberry.field(description="The campaign.")
    customers: list[strawberry.ID] = strawberry.field(
        description="Customers to add (at most 1,000); those already members are kept as they are."
    )
    control_share: Decimal = strawberry.field(
        default=Decimal(0),
        description="Share (0–0.5) of the new members held out as the control group: never "
        "contacted, so the campaign's results can show what it added. Who is held out is "
        "drawn per customer and the same on a retry.",
    )
    idempotency_key: str | None = retry_key("adding the members twice")


@strawberry.input(description="A campaign member's response.")
class CampaignMemberRespondInput:
    campaign: strawberry.ID = strawberry.field(description="The campaign.")
    customer: strawberry.ID = strawberry.field(description="The member customer.")
    status: MemberStatus = strawberry.field(description="RESPONDED or CONVERTED (forward only).")


def _campaign(input: CampaignCreateInput) -> campaigns.CampaignRequest:
    return campaigns.CampaignRequest(
        name=input.name,
        channel=enum_value(input.channel),
        budget=input.budget,
        starts_on=input.starts_on,
        ends_on=input.ends_on,
        currency=input.currency,
        status=enum_value(input.status),
        owner_id=decode_optional(input.owner, "Employee", "owner"),
    )


@strawberry.input(description="Changes to a planned or running campaign; fields left out stay.")
class CampaignUpdateInput:
    id: strawberry.ID = strawberry.field(description="The campaign.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    budget: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Budget, which counts as the campaign's cost."
    )
    starts_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="First day (while the campaign is planned)."
    )
    ends_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Last day; null: open-ended."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Owner: someone in marketing or sales."
    )


def _campaign_changes(input: CampaignUpdateInput) -> dict[str, object]:
    values = given(input, "name", "budget", "starts_on", "ends_on")
    if input.owner is not strawberry.UNSET:
        values["owner_id"] = decode_optional(input.owner, "Employee", "owner")
    return values


@strawberry.input(
    description="Start (ACTIVE), complete (COMPLETED) or cancel (CANCELLED) a campaign: "
    "planned → active → completed, and cancelled from planned or active."
)
class CampaignMoveStatusInput:
    id: strawberry.ID = strawberry.field(description="The campaign.")
    status: CampaignStatus = strawberry.field(description="The status to move to.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("moving it twice")


@strawberry.type
class CampaignMutations:
    campaign_create = mutation(
        CampaignCreateInput,
        Campaign,
        "Plan a marketing campaign.",
        lambda input, session, journal: campaigns.create(
            session=session, journal=journal, request=_campaign(input)
        ),
    )
    campaign_update = mutation(
        CampaignUpdateInput,
        Campaign,
        "Change a planned or running campaign: name, budget, dates, owner.",
        lambda input, session, journal: campaigns.update(
            session=session,
            journal=journal,
            campaign_id=decode(input.id, "Campaign", "id"),
            version=input.version,
            given=_campaign_changes(input),
        ),
    )
    campaign_move_status = mutation(
        CampaignMoveStatusInput,
        Campaign,
        "Start, complete or cancel a campaign; a campaign started early runs from today, one "
        "completed early ended today.",
        lambda input, session, journal: campaigns.move(
            session=session,
            journal=journal,
            campaign_id=decode(input.id, "Campaign", "id"),
            status=enum_value(input.status),
            version=input.version,
        ),
    )
    campaign_add_members = mutation(
        CampaignAddMembersInput,
        Campaign,
        "Target customers with a campaign (safe to repeat).",
        lambda input, session, journal: campaigns.add_members(
            session=session,
            journal=journal,
            campaign_id=decode(input.campaign, "Campaign", "campaign"),
            customer_ids=[
                decode(customer, "Customer", f"customers.{i}")
                for i, customer in enumerate(input.customers)
            ],
            control_share=input.control_share,
        ),
        writes="CampaignMember",
    )
    campaign_member_respond = mutation(
        CampaignMemberRespondInput,
        CampaignMember,
        "Record that a member responded or converted.",
        lambda input, session, journal: campaigns.member_respond(
            session=session,
            journal=journal,
            campaign_id=decode(input.campaign, "Campaign", "campaign"),
            customer_id=decode(input.customer, "Customer", "customer"),
            status=enum_value(input.status),
        ),
        entity="member",
    )
