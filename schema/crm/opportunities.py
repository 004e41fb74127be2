"""Opportunities: deals in the sales pipeline, listed, opened, moved and lost.

Winning a deal turns it into a sales order, a process across CRM and ERP: `schema.flows`.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import relay

from domain.crm import opportunities
from domain.crm.models import Opportunity as OpportunityModel
from domain.crm.models import OpportunityLine as OpportunityLineModel
from domain.crm.opportunity_stages import OPPORTUNITY_STAGES
from schema.core import filters
from schema.core.aggregates import Measured, aggregate_field
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import enum_value, given, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import Children, ToOne
from schema.crm.campaigns import Campaign
from schema.crm.customers import Customer

if TYPE_CHECKING:
    from schema.erp.employees import Employee
    from schema.erp.sales_orders import SalesOrder
    from schema.erp.stock_items import StockItem

EmployeeRef = Annotated["Employee", strawberry.lazy("schema.erp.employees")]
SalesOrderRef = Annotated["SalesOrder", strawberry.lazy("schema.erp.sales_orders")]
StockItemRef = Annotated["StockItem", strawberry.lazy("schema.erp.stock_items")]

OpportunityStage = vocabulary_enum("OpportunityStage", OPPORTUNITY_STAGES, "Sales pipeline stage.")


@strawberry.type(description="A product an open deal would sell, and how many.")
class OpportunityLine(TableNode):
    MODEL = OpportunityLineModel
    id: relay.NodeID[int]
    quantity: int = desc("Units.")
    stock_item: StockItemRef | None = ToOne["StockItem"]("stock_item_id").field("The product.")
    opportunity: "Opportunity | None" = ToOne["Opportunity"]("opportunity_id").field("The deal.")


@strawberry.type(description="A potential deal in the sales pipeline.")
class Opportunity(TableNode):
    MODEL = OpportunityModel
    # What aggregates sum besides the columns: the pipeline's weighted value.
    AGGREGATE_MEASURES: ClassVar[dict[str, Measured]] = {
        "weighted_amount": Measured(opportunities.weighted_amount)
    }
    id: relay.NodeID[int]
    name: str = desc("Name.")
    stage: OpportunityStage = desc("Pipeline stage.")
    amount: Decimal = desc("Expected deal value.")
    currency: str = desc("Currency.")
    probability: int = desc("Win probability in percent.")
    expected_close_on: date | None = desc("Expected close date.")
    closed_at: datetime | None = desc("When it was won or lost.")
    lost_reason: str | None = desc("Why it was lost.")
    version: int = desc("Version for optimistic concurrency.")

    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer.")
    owner: EmployeeRef | None = ToOne["Employee"]("owner_id").field("The owning sales employee.")
    source_campaign: Campaign | None = ToOne[Campaign]("source_campaign_id").field(
        "The campaign the deal came from."
    )
    lines: list[OpportunityLine] = Children[OpportunityLine](
        "opportunity_id", order=("id",), estimated_items=5
    ).field("The products it would sell (the material plan weighs them by probability).")
    sales_order: SalesOrderRef | None = ToOne["SalesOrder"]("sales_order_id").field(
        "The order a won deal became."
    )


@strawberry.input(description="Filters for opportunities.")
class OpportunityFilter:
    stage: list[OpportunityStage] | None = filters.any_of("stage", "Any of these stages.")
    owner: relay.GlobalID | None = filters.node("owner_id", "Employee", "Owned by this employee.")
    customer: relay.GlobalID | None = filters.node("customer_id", "Customer", "Of this customer.")
    search: str | None = filters.search("name", description="Text in the name.")
    expected_close_from: date | None = filters.at_least("expected_close_on", "Closing on or after.")
    expected_close_to: date | None = filters.at_most("expected_close_on", "Closing on or before.")


@strawberry.type
class OpportunityQueries:
    opportunities = root_connection(
        Opportunity,
        description="Opportunities by the time they were created.",
        sort=by_date("created_at"),
        filter=OpportunityFilter,
    )
    opportunities_aggregate = aggregate_field(
        Opportunity, "Opportunities grouped, with counts and sums per group (one statement)."
    )


@strawberry.input(description="A new deal in the pipeline.")
class OpportunityCreateInput:
    customer: strawberry.ID = strawberry.field(description="The customer.")
    name: str = strawberry.field(description="Name of the deal.")
    amount: Decimal = strawberry.field(description="Expected value.")
    currency: str | None = strawberry.field(default=None, description="Default: customer's.")
    stage: OpportunityStage = strawberry.field(
        default=OpportunityStage.PROSPECTING, description="An open stage."
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
    idempotency_key: str | None = retry_key("creating a second opportunity")


@strawberry.input(description="Changes to an open deal; fields left out keep their value.")
class OpportunityUpdateInput:
    id: strawberry.ID = strawberry.field(description="The opportunity.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    amount: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Expected revenue if won."
    )
    probability: int | None = strawberry.field(
        default=strawberry.UNSET, description="Win probability in %; null: the stage's default."
    )
    expected_close_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Expected close date; null clears it."
    )


@strawberry.input(description="Move an open deal to another open stage.")
class OpportunityMoveStageInput:
    id: strawberry.ID = strawberry.field(description="The opportunity.")
    stage: OpportunityStage = strawberry.field(
        description="Forward any number of stages or back one; won/lost have their own mutations."
    )
    probability: int | None = strawberry.field(
        default=None, description="Override of the stage's default probability."
    )
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("moving the deal twice")


@strawberry.input(description="Lose a deal.")
class OpportunityLoseInput:
    id: strawberry.ID = strawberry.field(description="The opportunity.")
    reason: str = strawberry.field(description="Why it was lost (required).")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")


def _opportunity(input: OpportunityCreateInput) -> opportunities.OpportunityRequest:
    return opportunities.OpportunityRequest(
        customer_id=decode(input.customer, "Customer", "customer"),
        name=input.name,
        amount=input.amount,
        currency=input.currency,
        stage=enum_value(input.stage),
        probability=input.probability,
        expected_close_on=input.expected_close_on,
        owner_id=decode_optional(input.owner, "Employee", "owner"),
        source_campaign_id=decode_optional(input.source_campaign, "Campaign", "sourceCampaign"),
    )


@strawberry.type
class OpportunityMutations:
    opportunity_create = mutation(
        OpportunityCreateInput,
        Opportunity,
        "Open a deal.",
        lambda input, session, journal: opportunities.create(
            session=session, journal=journal, request=_opportunity(input)
        ),
    )
    opportunity_update = mutation(
        OpportunityUpdateInput,
        Opportunity,
        "Edit an open deal: name, amount, probability, expected close date.",
        lambda input, session, journal: opportunities.update(
            session=session,
            journal=journal,
            opportunity_id=decode(input.id, "Opportunity", "id"),
            version=input.version,
            given=given(input, "name", "amount", "probability", "expected_close_on"),
        ),
    )
    opportunity_move_stage = mutation(
        OpportunityMoveStageInput,
        Opportunity,
        "Move an open deal through the pipeline.",
        lambda input, session, journal: opportunities.move_stage(
            session=session,
            journal=journal,
            opportunity_id=decode(input.id, "Opportunity", "id"),
            stage=enum_value(input.stage),
            probability=input.probability,
            version=input.version,
        ),
    )
    opportunity_lose = mutation(
        OpportunityLoseInput,
        Opportunity,
        "Lose a deal (a reason is required).",
        lambda input, session, journal: opportunities.lose(
            session=session,
            journal=journal,
            opportunity_id=decode(input.id, "Opportunity", "id"),
            reason=input.reason,
            version=input.version,
        ),
    )
