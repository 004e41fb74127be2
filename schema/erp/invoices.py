"""Invoices: the type with its lines and what is paid, credited and due, the root list,
issuing and voiding."""

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import relay

from domain.erp import invoices, receivables
from domain.erp.invoice_states import INVOICE_STATUSES
from domain.erp.models import Invoice as InvoiceModel
from domain.erp.models import InvoiceLine as InvoiceLineModel
from schema.core import filters, sql
from schema.core.aggregates import aggregate_field
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode
from schema.core.mutations import mutation, retry_key
from schema.core.nodes import TableNode, desc, row_value
from schema.core.relations import Children, Computed, ToOne
from schema.core.where import Derived
from schema.crm.customers import Customer
from schema.erp.sales_orders import SalesOrder, SalesOrderLine

if TYPE_CHECKING:
    from schema.erp.credit_notes import CreditNote
    from schema.erp.payments import Payment

PaymentRef = Annotated["Payment", strawberry.lazy("schema.erp.payments")]
CreditNoteRef = Annotated["CreditNote", strawberry.lazy("schema.erp.credit_notes")]

InvoiceStatus = vocabulary_enum("InvoiceStatus", INVOICE_STATUSES, "Lifecycle of an invoice.")

ZERO = Decimal("0.00")


# What is paid and due, whether and how long overdue: one statement (`domain.erp.receivables`).
AMOUNTS = sql.row_per_key("invoice_amounts", receivables.invoice_amounts, key="id")


@strawberry.type(description="One line of an invoice: units of an order line, at its price.")
class InvoiceLine(TableNode):
    MODEL = InvoiceLineModel
    id: relay.NodeID[int]
    description: str = desc("What is billed.")
    quantity: int = desc("Units billed.")
    unit_price: Decimal = desc("Price per unit (the order line's).")
    line_total: Decimal = desc("Unit price × quantity (net of tax).")
    tax_amount: Decimal = desc("Tax on this line.")

    invoice: "Invoice | None" = ToOne["Invoice"]("invoice_id").field("The invoice.")
    order_line: SalesOrderLine | None = ToOne[SalesOrderLine]("sales_order_line_id").field(
        "The order line billed."
    )


@strawberry.type(description="A bill to a customer.")
class Invoice(TableNode):
    MODEL = InvoiceModel
    # What `where` may test besides the columns: the amounts as the read rules derive them.
    WHERE_OPERANDS: ClassVar[dict[str, Derived]] = {
        "amount_paid": Derived(Decimal, receivables.amount_paid),
        "amount_credited": Derived(Decimal, receivables.amount_credited),
        "amount_due": Derived(Decimal, receivables.amount_due),
        "is_overdue": Derived(bool, receivables.is_overdue),
        "days_overdue": Derived(
            int,
            receivables.days_overdue,
            exceeds=lambda rows, days: receivables.overdue_more_than(days, rows),
        ),
    }
    id: relay.NodeID[int]
    number: str = desc("Invoice number.")
    status: InvoiceStatus = desc(
        "Issued, partially paid, paid (nothing left due), credited (credit notes took back "
        "all of it) or void."
    )
    currency: str = desc("Currency.")
    issued_on: date = desc("Issue date.")
    due_on: date = desc("Payment due date.")
    subtotal: Decimal = desc("Net amount.")
    tax_total: Decimal = desc("Tax.")
    total: Decimal = desc("Gross amount.")
    void_reason: str | None = desc("Why it was voided.")

    issued_at: date = row_value(
        lambda invoice: invoice.c.issued_on,
        "Issue date, as an alias of `issuedOn` for clients expecting it.",
    )
    due_at: date = row_value(lambda invoice: invoice.c.due_on, "Due date (same as `dueOn`).")
    amount_paid: Decimal = Computed(AMOUNTS, "paid", ZERO).field("Sum of payments received.")
    amount_credited: Decimal = Computed(AMOUNTS, "credited", ZERO).field(
        "Sum of the credit notes issued against it."
    )
    amount_due: Decimal = Computed(AMOUNTS, "due", ZERO).field(
        "Total minus payments minus credit notes, never below zero (zero for void invoices; "
        "what credit notes took back beyond it is owed to the customer as a refund)."
    )
    is_overdue: bool = Computed(AMOUNTS, "overdue", False).field(
        "Something is due and the due date has passed."
    )
    days_overdue: int = Computed(AMOUNTS, "days_overdue", 0).field(
        "Days past the due date while something is due (0 otherwise)."
    )
    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer billed.")
    sales_order: SalesOrder | None = ToOne[SalesOrder]("sales_order_id").field(
        "The order invoiced."
    )
    payments: list[PaymentRef] = Children["Payment"](
        "invoice_id", order=("received_at", "id"), estimated_items=3
    ).field("Payments against this invoice, oldest first.")
    lines: list[InvoiceLine] = Children[InvoiceLine](
        "invoice_id", order=("id",), estimated_items=5
    ).field("What it bills, line by line.")
    credit_notes: list[CreditNoteRef] = Children["CreditNote"](
        "invoice_id", order=("issued_on", "id"), estimated_items=2
    ).field("Credit notes taking back part or all of it, oldest first.")


@strawberry.input(description="Filters for invoices.")
class InvoiceFilter:
    status: list[InvoiceStatus] | None = filters.any_of("status", "Any of these statuses.")
    customer: relay.GlobalID | None = filters.node("customer_id", "Customer", "Of this customer.")
    overdue: bool | None = filters.rule(
        receivables.is_overdue, "Only (or no) open invoices past due.", negatable=True
    )
    search: str | None = filters.search("number", description="Text in the invoice number.")
    issued_from: date | None = filters.at_least("issued_on", "Issued on or after.")
    issued_to: date | None = filters.at_most("issued_on", "Issued on or before.")
    due_from: date | None = filters.at_least("due_on", "Due on or after.")
    due_to: date | None = filters.at_most("due_on", "Due on or before.")


@strawberry.type
class InvoiceQueries:
    invoices = root_connection(
        Invoice,
        description="Invoices by issue date.",
        sort=by_date("issued_on"),
        filter=InvoiceFilter,
    )
    invoices_aggregate = aggregate_field(
        Invoice, "Invoices grouped, with counts and sums per group (one statement)."
    )


@strawberry.enum(description="Which quantities of an order an invoice bills.")
class InvoiceBasis(Enum):
    DELIVERED = "delivered"
    ORDERED = "ordered"


@strawberry.input(description="Invoice what has not been invoiced yet of an order.")
class InvoiceIssueInput:
    sales_order: strawberry.ID = strawberry.field(description="The order.")
    basis: InvoiceBasis = strawberry.field(
        default=InvoiceBasis.DELIVERED,
        description="DELIVERED: units that arrived; ORDERED: all units of a confirmed order.",
    )
    due_in_days: int = strawberry.field(
        default=invoices.DEFAULT_TERMS_DAYS, description="Payment terms in days (0–180)."
    )
    idempotency_key: str | None = retry_key("issuing a second invoice")


@strawberry.input(description="Void an invoice issued in error (only without payments).")
class InvoiceVoidInput:
    id: strawberry.ID = strawberry.field(description="The invoice.")
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = retry_key("voiding it twice")


@strawberry.type
class InvoiceMutations:
    invoice_issue = mutation(
        InvoiceIssueInput,
        Invoice,
        "Invoice an order's delivered or confirmed quantities.",
        lambda input, session, journal: invoices.issue(
            session=session,
            journal=journal,
            request=invoices.InvoiceRequest(
                sales_order_id=decode(input.sales_order, "SalesOrder", "salesOrder"),
                basis=input.basis.value,
                due_in_days=input.due_in_days,
            ),
        ),
    )
    invoice_void = mutation(
        InvoiceVoidInput,
        Invoice,
        "Void an unpaid invoice.",
        lambda input, session, journal: invoices.void(
            session=session,
            journal=journal,
            invoice_id=decode(input.id, "Invoice", "id"),
            reason=input.reason,
        ),
    )
