"""Quotes and their lines: the types, the root list, and a quote's lifecycle (create, send,
accept into an order, decline)."""

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain.erp import quote_states, quotes
from domain.erp.models import Quote as QuoteModel
from domain.erp.models import QuoteLine as QuoteLineModel
from domain.flows import quotes as quote_flows
from schema.core import filters
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import mutation, retry_key
from schema.core.nodes import ROW_VALUE, TableNode, desc
from schema.core.relations import Children, ToOne
from schema.crm.customers import Customer
from schema.erp.employees import Employee
from schema.erp.sales_orders import OrderLineInput, SalesOrder, order_lines
from schema.erp.stock_items import StockItem
from schema.erp.warehouses import Warehouse

QuoteStatus = vocabulary_enum(
    "QuoteStatus",
    quote_states.QUOTE_STATUSES,
    "Lifecycle of a quote: draft → sent → accepted or declined; expired once its last valid "
    "day has passed without an answer.",
)


@strawberry.type(description="One line of a quote, priced by the server.")
class QuoteLine(TableNode):
    MODEL = QuoteLineModel
    id: relay.NodeID[int]
    line_no: int = desc("Position in the quote.")
    quantity: int = desc("Units offered.")
    list_price: Decimal = desc("List price when quoted.")
    discount_percent: Decimal = desc("Tier/quantity discount applied, in percent.")
    unit_price: Decimal = desc("Price per unit after discount.")
    line_total: Decimal = desc("Unit price × quantity (net of tax).")
    tax_amount: Decimal = desc("Tax on this line.")

    stock_item: StockItem | None = ToOne[StockItem]("stock_item_id").field("The item offered.")
    quote: "Quote | None" = ToOne["Quote"]("quote_id").field("The quote this line belongs to.")


@strawberry.type(description="An offer to a customer, priced as an order would be that day.")
class Quote(TableNode):
    MODEL = QuoteModel
    id: relay.NodeID[int]
    number: str = desc("Quote number.")
    # Read from the stored status and the valid-until day (`domain.erp.quote_states`).
    current_status: QuoteStatus = strawberry.field(
        name="status",
        description="Draft, sent, accepted, declined, or expired (a draft or sent quote past "
        "its valid-until day).",
        metadata={ROW_VALUE: quote_states.current_status},
    )
    currency: str = desc("Currency (the customer's).")
    tax_rate: Decimal = desc("Tax rate applied (from the customer's country).")
    subtotal: Decimal = desc("Sum of line totals, net of tax.")
    discount_total: Decimal = desc("Discount granted against list prices.")
    tax_total: Decimal = desc("Tax.")
    total: Decimal = desc("Subtotal plus tax.")
    valid_until: date = desc("The last day it may be accepted.")
    notes: str | None = desc("Notes.")
    created_at: datetime = desc("When it was drawn up.")
    sent_at: datetime | None = desc("When it was sent to the customer.")
    decided_at: datetime | None = desc("When the customer accepted or declined it.")
    decline_reason: str | None = desc("Why it was declined.")
    version: int = desc("Version for optimistic concurrency.")

    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer.")
    sales_rep: Employee | None = ToOne[Employee]("sales_rep_id").field(
        "The responsible sales employee (the order's, once accepted)."
    )
    warehouse: Warehouse | None = ToOne[Warehouse]("warehouse_id").field(
        "The warehouse the order will ship from (null: chosen when accepted)."
    )
    lines: list[QuoteLine] = Children[QuoteLine](
        "quote_id", order=("line_no",), estimated_items=5
    ).field("Quote lines.")
    sales_order: SalesOrder | None = ToOne[SalesOrder]("sales_order_id").field(
        "The order it became, once accepted."
    )


@strawberry.input(description="Filters for quotes.")
class QuoteFilter:
    customer: relay.GlobalID | None = filters.node("customer_id", "Customer", "Of this customer.")
    expired: bool | None = filters.rule(
        quote_states.is_expired,
        "Only (or no) quotes past their valid-until day unanswered.",
        negatable=True,
    )
    search: str | None = filters.search("number", description="Text in the quote number.")


@strawberry.type
class QuoteQueries:
    quotes = root_connection(
        Quote,
        description="Quotes, newest first.",
        sort=by_date("created_at"),
        filter=QuoteFilter,
    )


@strawberry.input(
    description="A new quote. Prices, discounts, tax and totals come from the server, as "
    "for an order placed today."
)
class QuoteCreateInput:
    customer: strawberry.ID = strawberry.field(
        description="The customer; its tier sets the prices."
    )
    lines: list[OrderLineInput] = strawberry.field(description="1 to 500 lines.")
    valid_until: date | None = strawberry.field(
        default=None, description="Last day it may be accepted (default in 30 days; at most 365)."
    )
    warehouse: strawberry.ID | None = strawberry.field(
        default=None, description="Warehouse the order will ship from (default: chosen then)."
    )
    sales_rep: strawberry.ID | None = strawberry.field(
        default=None,
        description="Responsible employee (default: the account manager); a sales rep may "
        "name only themselves, a sales manager anyone in sales.",
    )
    notes: str | None = strawberry.field(default=None, description="Notes.")
    idempotency_key: str | None = retry_key("drawing up a second quote")


@strawberry.input(description="Send a draft quote to the customer.")
class QuoteSendInput:
    id: strawberry.ID = strawberry.field(description="The quote.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("sending it twice")


@strawberry.input(description="The customer accepted a sent quote: it becomes an order.")
class QuoteAcceptInput:
    id: strawberry.ID = strawberry.field(description="The quote.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("placing a second order")


@strawberry.input(description="The customer declined a sent quote.")
class QuoteDeclineInput:
    id: strawberry.ID = strawberry.field(description="The quote.")
    reason: str | None = strawberry.field(default=None, description="Why, if the customer said.")
    version: int | None = strawberry.field(default=None, description="Version you read, if any.")
    idempotency_key: str | None = retry_key("declining it twice")


def _quote(input: QuoteCreateInput) -> quotes.QuoteRequest:
    return quotes.QuoteRequest(
        customer_id=decode(input.customer, "Customer", "customer"),
        lines=order_lines(input.lines),
        valid_until=input.valid_until,
        warehouse_id=decode_optional(input.warehouse, "Warehouse", "warehouse"),
        sales_rep_id=decode_optional(input.sales_rep, "Employee", "salesRep"),
        notes=input.notes,
    )


@strawberry.type
class QuoteMutations:
    quote_create = mutation(
        QuoteCreateInput,
        Quote,
        "Draw up a quote: priced as an order placed today would be; nothing is reserved.",
        lambda input, session, journal: quotes.create(
            session=session, journal=journal, request=_quote(input)
        ),
    )
    quote_send = mutation(
        QuoteSendInput,
        Quote,
        "Send a draft quote to the customer.",
        lambda input, session, journal: quotes.send(
            session=session,
            journal=journal,
            quote_id=decode(input.id, "Quote", "id"),
            version=input.version,
        ),
    )
    quote_accept = mutation(
        QuoteAcceptInput,
        Quote,
        "Accept a sent quote before it expires: an order is placed at its prices (stock "
        "reserved, credit limit checked) in the same transaction.",
        lambda input, session, journal: quote_flows.accept(
            session=session,
            journal=journal,
            quote_id=decode(input.id, "Quote", "id"),
            version=input.version,
        ),
    )
    quote_decline = mutation(
        QuoteDeclineInput,
        Quote,
        "Record that the customer declined a sent quote.",
        lambda input, session, journal: quotes.decline(
            session=session,
            journal=journal,
            quote_id=decode(input.id, "Quote", "id"),
            reason=input.reason,
            version=input.version,
        ),
    )
