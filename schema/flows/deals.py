"""Winning a deal: the CRM opportunity becomes an ERP draft order (`domain.flows.deals`)."""

import strawberry

from domain.flows import deals
from schema.core.ids import decode, decode_optional
from schema.core.mutations import mutation
from schema.crm.opportunities import Opportunity
from schema.erp.sales_orders import OrderLineInput, order_lines


@strawberry.input(description="A product an open deal would sell.")
class OpportunityProductInput:
    stock_item: strawberry.ID = strawberry.field(description="The product.")
    quantity: int = strawberry.field(description="Units.")


@strawberry.input(description="The products an open deal would sell (replacing any before).")
class OpportunitySetProductsInput:
    id: strawberry.ID = strawberry.field(description="The opportunity (an open one).")
    lines: list[OpportunityProductInput] = strawberry.field(
        description="0 to 100 products, one line each."
    )
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")


@strawberry.input(description="Win a deal: it becomes a draft sales order priced for the tier.")
class OpportunityWinInput:
    id: strawberry.ID = strawberry.field(
        description="The opportunity (in PROPOSAL or NEGOTIATION)."
    )
    lines: list[OrderLineInput] | None = strawberry.field(
        default=None,
        description="What the customer buys (default: the products the deal named with "
        "`opportunitySetProducts`).",
    )
    warehouse: strawberry.ID | None = strawberry.field(
        default=None, description="Shipping warehouse (default: the best stocked)."
    )
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")


@strawberry.type
class DealMutations:
    opportunity_set_products = mutation(
        OpportunitySetProductsInput,
        Opportunity,
        "Say which products an open deal would sell: the material plan expects them, "
        "weighted by the deal's probability, on its expected close day.",
        lambda input, session, journal: deals.set_products(
            session=session,
            journal=journal,
            opportunity_id=decode(input.id, "Opportunity", "id"),
            lines=[
                (decode(line.stock_item, "StockItem", f"lines.{i}.stockItem"), line.quantity)
                for i, line in enumerate(input.lines)
            ],
            version=input.version,
        ),
    )
    opportunity_win = mutation(
        OpportunityWinInput,
        Opportunity,
        "Win a deal: it becomes a draft sales order for its customer, priced for the "
        "customer's tier (confirm the order to reserve its stock).",
        lambda input, session, journal: deals.win(
            session=session,
            journal=journal,
            opportunity_id=decode(input.id, "Opportunity", "id"),
            lines=order_lines(input.lines) if input.lines is not None else None,
            warehouse_id=decode_optional(input.warehouse, "Warehouse", "warehouse"),
            version=input.version,
        ),
    )
