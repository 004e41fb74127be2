"""CRM mutations about campaigns, opportunities and support tickets."""

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.crm import campaigns, opportunities, tickets
from domain.erp.sales_orders import LineRequest
from domain.flows import deals
from schema import enums as e
from schema.erp_nodes import Warehouse
from schema.mutations.base import INPUT, decode, decode_optional, payload, run
from schema.nodes import Campaign, CampaignMember, Opportunity, Ticket
from schema.text import LONG_TEXT


@strawberry.input(description="A new marketing campaign.")
class CampaignCreateInput:
    name: str = strawberry.field(description="Name (at most 200 characters).")
    channel: e.CampaignChannel = strawberry.field(description="Marketing channel.")
    budget: Decimal = strawberry.field(description="Budget, which counts as the campaign's cost.")
    starts_on: date = strawberry.field(description="First day.")
    ends_on: date | None = strawberry.field(default=None, description="Last day (open if null).")
    currency: str = strawberry.field(default="EUR", description="ISO 4217 currency of the budget.")
    status: e.CampaignStatus = strawberry.field(
        default=e.CampaignStatus.PLANNED, description="PLANNED or ACTIVE."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=None, description="Owner (default you): someone in marketing or sales."
    )


@strawberry.input(description="Customers to target with a campaign.")
class CampaignAddMembersInput:
    campaign: strawberry.ID = strawberry.field(description="The campaign.")
    customers: list[strawberry.ID] = strawberry.field(
        description="Customers to add (at most 1,000); those already members are kept as they are."
    )


@strawberry.input(description="A campaign member's response.")
class CampaignMemberRespondInput:
    campaign: strawberry.ID = strawberry.field(description="The campaign.")
    customer: strawberry.ID = strawberry.field(description="The member customer.")
    status: e.MemberStatus = strawberry.field(description="RESPONDED or CONVERTED (forward only).")


@strawberry.input(description="A new deal in the pipeline.")
class OpportunityCreateInput:
    customer: strawberry.ID = strawberry.field(description="The customer.")
    name: str = strawberry.field(description="Name of the deal.")
    amount: Decimal = strawberry.field(description="Expected value.")
    currency: str | None = strawberry.field(default=None, description="Default: customer's.")
    stage: e.OpportunityStage = strawberry.field(
        default=e.OpportunityStage.PROSPECTING, description="An open stage."
    )
    probability: int | None = strawberry.field(
        default=None, description="Win probability in percent (default: the stage's)."
    )
    expected_close_on: date | None = strawberry.field(default=None, description="Expected close.")
    owner: strawberry.ID | None = strawberry.field(
        default=None, description="Owner (default you); a sales rep may name only themselves."
    )
    source_campaign: strawberry.ID | None = strawberry.field(
        default=None, description="Campaign the deal came from."
    )


@strawberry.input(description="Move an open deal to another open stage.")
class OpportunityMoveStageInput:
    id: strawberry.ID = strawberry.field(description="The opportunity.")
    stage: e.OpportunityStage = strawberry.field(
        description="Forward any number of stages or back one; won/lost have their own mutations."
    )
    probability: int | None = strawberry.field(
        default=None, description="Override of the stage's default probability."
    )
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")


@strawberry.input(description="An item and quantity.")
class OrderLineInput:
    stock_item: strawberry.ID = strawberry.field(description="The stock item.")
    quantity: int = strawberry.field(description="Units (1 to 1,000,000).")


@strawberry.input(description="Win a deal: it becomes a draft sales order priced for the tier.")
class OpportunityWinInput:
    id: strawberry.ID = strawberry.field(
        description="The opportunity (in PROPOSAL or NEGOTIATION)."
    )
    lines: list[OrderLineInput] = strawberry.field(description="What the customer buys.")
    warehouse: strawberry.ID | None = strawberry.field(
        default=None, description="Shipping warehouse (default: the best stocked)."
    )
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")


@strawberry.input(description="Lose a deal.")
class OpportunityLoseInput:
    id: strawberry.ID = strawberry.field(description="The opportunity.")
    reason: str = strawberry.field(description="Why it was lost (required).")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")


@strawberry.input(description="A new support ticket.")
class TicketOpenInput:
    customer: strawberry.ID = strawberry.field(description="The customer.")
    subject: str = strawberry.field(description="Subject.")
    category: e.TicketCategory = strawberry.field(description="What it is about.")
    priority: e.TicketPriority = strawberry.field(
        default=e.TicketPriority.NORMAL, description="Urgency."
    )
    description: str | None = strawberry.field(
        default=None, description="Details (at most 10,000 characters).", metadata=LONG_TEXT
    )
    sales_order: strawberry.ID | None = strawberry.field(
        default=None, description="The order it is about (must be the customer's)."
    )
    contact: strawberry.ID | None = strawberry.field(default=None, description="Who reported it.")
    assignee: strawberry.ID | None = strawberry.field(
        default=None, description="Who handles it: yourself or someone in support."
    )


@strawberry.input(description="Resolve a ticket.")
class TicketResolveInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    resolution: str = strawberry.field(
        description="What was done (required; at most 10,000 characters).", metadata=LONG_TEXT
    )
    satisfaction: int | None = strawberry.field(default=None, description="Rating 1–5.")


CampaignCreatePayload = payload(
    "CampaignCreatePayload", "campaign", Campaign, "Result of campaignCreate."
)
CampaignAddMembersPayload = payload(
    "CampaignAddMembersPayload", "campaign", Campaign, "Result of campaignAddMembers."
)
CampaignMemberRespondPayload = payload(
    "CampaignMemberRespondPayload", "member", CampaignMember, "Result of campaignMemberRespond."
)
OpportunityCreatePayload = payload(
    "OpportunityCreatePayload", "opportunity", Opportunity, "Result of opportunityCreate."
)
OpportunityMoveStagePayload = payload(
    "OpportunityMoveStagePayload", "opportunity", Opportunity, "Result of opportunityMoveStage."
)
OpportunityWinPayload = payload(
    "OpportunityWinPayload", "opportunity", Opportunity, "Result of opportunityWin."
)
OpportunityLosePayload = payload(
    "OpportunityLosePayload", "opportunity", Opportunity, "Result of opportunityLose."
)
TicketOpenPayload = payload("TicketOpenPayload", "ticket", Ticket, "Result of ticketOpen.")
TicketResolvePayload = payload("TicketResolvePayload", "ticket", Ticket, "Result of ticketResolve.")


def order_lines(lines: list[OrderLineInput]) -> list[LineRequest]:
    return [
        LineRequest(decode(line.stock_item, "StockItem", f"lines.{i}.stockItem"), line.quantity)
        for i, line in enumerate(lines)
    ]


@strawberry.type
class PipelineMutations:
    @strawberry.mutation(description="Plan a marketing campaign.")
    async def campaign_create(
        self, info: Info, input: Annotated[CampaignCreateInput, INPUT]
    ) -> CampaignCreatePayload:
        return await run(
            info,
            CampaignCreatePayload,
            lambda session, journal: campaigns.create(
                session=session,
                journal=journal,
                request=campaigns.CampaignRequest(
                    name=input.name,
                    channel=input.channel.value,
                    budget=input.budget,
                    starts_on=input.starts_on,
                    ends_on=input.ends_on,
                    currency=input.currency,
                    status=input.status.value,
                    owner_id=decode_optional(input.owner, "Employee", "owner"),
                ),
            ),
            input=input,
        )

    @strawberry.mutation(description="Target customers with a campaign (safe to repeat).")
    async def campaign_add_members(
        self, info: Info, input: Annotated[CampaignAddMembersInput, INPUT]
    ) -> CampaignAddMembersPayload:
        return await run(
            info,
            CampaignAddMembersPayload,
            lambda session, journal: campaigns.add_members(
                session=session,
                journal=journal,
                campaign_id=decode(input.campaign, "Campaign", "campaign"),
                customer_ids=[
                    decode(customer, "Customer", f"customers.{i}")
                    for i, customer in enumerate(input.customers)
                ],
            ),
            writes="CampaignMember",
            input=input,
        )

    @strawberry.mutation(description="Record that a member responded or converted.")
    async def campaign_member_respond(
        self, info: Info, input: Annotated[CampaignMemberRespondInput, INPUT]
    ) -> CampaignMemberRespondPayload:
        return await run(
            info,
            CampaignMemberRespondPayload,
            lambda session, journal: campaigns.member_respond(
                session=session,
                journal=journal,
                campaign_id=decode(input.campaign, "Campaign", "campaign"),
                customer_id=decode(input.customer, "Customer", "customer"),
                status=input.status.value,
            ),
            input=input,
        )

    @strawberry.mutation(description="Open a deal.")
    async def opportunity_create(
        self, info: Info, input: Annotated[OpportunityCreateInput, INPUT]
    ) -> OpportunityCreatePayload:
        return await run(
            info,
            OpportunityCreatePayload,
            lambda session, journal: opportunities.create(
                session=session,
                journal=journal,
                request=opportunities.OpportunityRequest(
                    customer_id=decode(input.customer, "Customer", "customer"),
                    name=input.name,
                    amount=input.amount,
                    currency=input.currency,
                    stage=input.stage.value,
                    probability=input.probability,
                    expected_close_on=input.expected_close_on,
                    owner_id=decode_optional(input.owner, "Employee", "owner"),
                    source_campaign_id=decode_optional(
                        input.source_campaign, "Campaign", "sourceCampaign"
                    ),
                ),
            ),
            input=input,
        )

    @strawberry.mutation(description="Move an open deal through the pipeline.")
    async def opportunity_move_stage(
        self, info: Info, input: Annotated[OpportunityMoveStageInput, INPUT]
    ) -> OpportunityMoveStagePayload:
        return await run(
            info,
            OpportunityMoveStagePayload,
            lambda session, journal: opportunities.move_stage(
                session=session,
                journal=journal,
                opportunity_id=decode(input.id, "Opportunity", "id"),
                stage=input.stage.value,
                probability=input.probability,
                version=input.version,
            ),
            input=input,
        )

    @strawberry.mutation(
        description="Win a deal: it becomes a draft sales order for its customer, priced for "
        "the customer's tier (confirm the order to reserve its stock)."
    )
    async def opportunity_win(
        self, info: Info, input: Annotated[OpportunityWinInput, INPUT]
    ) -> OpportunityWinPayload:
        return await run(
            info,
            OpportunityWinPayload,
            lambda session, journal: deals.win(
                session=session,
                journal=journal,
                opportunity_id=decode(input.id, "Opportunity", "id"),
                lines=order_lines(input.lines),
                warehouse_id=decode_optional(input.warehouse, Warehouse.__name__, "warehouse"),
                version=input.version,
            ),
            input=input,
        )

    @strawberry.mutation(description="Lose a deal (a reason is required).")
    async def opportunity_lose(
        self, info: Info, input: Annotated[OpportunityLoseInput, INPUT]
    ) -> OpportunityLosePayload:
        return await run(
            info,
            OpportunityLosePayload,
            lambda session, journal: opportunities.lose(
                session=session,
                journal=journal,
                opportunity_id=decode(input.id, "Opportunity", "id"),
                reason=input.reason,
                version=input.version,
            ),
            input=input,
        )

    @strawberry.mutation(description="Open a support ticket, optionally about an order.")
    async def ticket_open(
        self, info: Info, input: Annotated[TicketOpenInput, INPUT]
    ) -> TicketOpenPayload:
        return await run(
            info,
            TicketOpenPayload,
            lambda session, journal: tickets.open_ticket(
                session=session,
                journal=journal,
                request=tickets.TicketRequest(
                    customer_id=decode(input.customer, "Customer", "customer"),
                    subject=input.subject,
                    category=input.category.value,
                    priority=input.priority.value,
                    description=input.description,
                    sales_order_id=decode_optional(input.sales_order, "SalesOrder", "salesOrder"),
                    contact_id=decode_optional(input.contact, "Contact", "contact"),
                    assignee_id=decode_optional(input.assignee, "Employee", "assignee"),
                ),
            ),
            input=input,
        )

    @strawberry.mutation(description="Resolve a ticket with a written resolution.")
    async def ticket_resolve(
        self, info: Info, input: Annotated[TicketResolveInput, INPUT]
    ) -> TicketResolvePayload:
        return await run(
            info,
            TicketResolvePayload,
            lambda session, journal: tickets.resolve(
                session=session,
                journal=journal,
                ticket_id=decode(input.id, "Ticket", "id"),
                resolution=input.resolution,
                satisfaction=input.satisfaction,
            ),
            input=input,
        )
