"""Correcting a sale: credit notes (and their lines), sales returns, refunds; the root list of
credit notes; issuing credit notes, receiving returns, recording refunds."""

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain.erp import credit_notes, refunds, sales_returns
from domain.erp.models import CreditNote as CreditNoteModel
from domain.erp.models import CreditNoteLine as CreditNoteLineModel
from domain.erp.models import Refund as RefundModel
from domain.erp.models import SalesReturn as SalesReturnModel
from domain.erp.models import SalesReturnLine as SalesReturnLineModel
from schema.core import filters, sql
from schema.core.connections import by_date, root_connection
from schema.core.ids import decode
from schema.core.mutations import enum_value, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import Children, Computed, ToOne
from schema.crm.customers import Customer
from schema.erp.invoices import Invoice, InvoiceLine
from schema.erp.payments import PaymentMethod
from schema.erp.sales_orders import SalesOrder, SalesOrderLine
from schema.erp.warehouses import Warehouse

ZERO = Decimal("0.00")
REFUNDS = sql.row_per_key("refund_amounts", refunds.refund_amounts, key="id")


@strawberry.type(description="Units of an invoice line a credit note takes back.")
class CreditNoteLine(TableNode):
    MODEL = CreditNoteLineModel
    id: relay.NodeID[int]
    description: str = desc("What was billed (the invoice line's description).")
    quantity: int = desc("Units taken back.")
    unit_price: Decimal = desc("Price per unit, as billed.")
    line_total: Decimal = desc("Unit price × quantity (net of tax).")
    tax_amount: Decimal = desc("Tax taken back with it.")

    invoice_line: InvoiceLine | None = ToOne[InvoiceLine]("invoice_line_id").field(
        "The invoice line credited."
    )
    credit_note: "CreditNote | None" = ToOne["CreditNote"]("credit_note_id").field(
        "The credit note this line belongs to."
    )


@strawberry.type(description="Money paid back to a customer out of what a credit note owes it.")
class Refund(TableNode):
    MODEL = RefundModel
    id: relay.NodeID[int]
    number: str = desc("Refund number.")
    amount: Decimal = desc("Amount paid back.")
    currency: str = desc("Currency (the credit note's).")
    method: PaymentMethod = desc("How it was paid.")
    reference: str | None = desc("Bank or card reference.")
    paid_at: datetime = desc("When it was paid.")

    credit_note: "CreditNote | None" = ToOne["CreditNote"]("credit_note_id").field(
        "The credit note it pays out."
    )
    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer paid.")


@strawberry.type(description="Units of an order line that came back.")
class SalesReturnLine(TableNode):
    MODEL = SalesReturnLineModel
    id: relay.NodeID[int]
    quantity: int = desc("Units returned.")
    credited_quantity: int = desc(
        "Of those, the units that had been invoiced and were credited with the return."
    )

    order_line: SalesOrderLine | None = ToOne[SalesOrderLine]("sales_order_line_id").field(
        "The order line returned."
    )
    sales_return: "SalesReturn | None" = ToOne["SalesReturn"]("sales_return_id").field(
        "The return this line belongs to."
    )


@strawberry.type(
    description="Delivered goods a customer sent back: into stock, and credited if invoiced."
)
class SalesReturn(TableNode):
    MODEL = SalesReturnModel
    id: relay.NodeID[int]
    number: str = desc("Return number.")
    reason: str = desc("Why the goods came back.")
    received_at: datetime = desc("When they were received.")

    sales_order: SalesOrder | None = ToOne[SalesOrder]("sales_order_id").field(
        "The order the goods were delivered for."
    )
    warehouse: Warehouse | None = ToOne[Warehouse]("warehouse_id").field(
        "The warehouse the goods came back into."
    )
    lines: list[SalesReturnLine] = Children[SalesReturnLine](
        "sales_return_id", order=("id",), estimated_items=3
    ).field("What came back.")
    credit_notes: list["CreditNote"] | None = Children["CreditNote"](
        "sales_return_id", order=("id",), estimated_items=1
    ).field("The credit notes for what of it had been invoiced (one per invoice).")


@strawberry.type(description="A correction taking back part or all of what an invoice billed.")
class CreditNote(TableNode):
    MODEL = CreditNoteModel
    id: relay.NodeID[int]
    number: str = desc("Credit note number.")
    currency: str = desc("Currency (the invoice's).")
    issued_on: date = desc("Issue date.")
    reason: str = desc("Why it was issued.")
    subtotal: Decimal = desc("Net amount taken back.")
    tax_total: Decimal = desc("Tax taken back.")
    total: Decimal = desc("Gross amount taken back.")
    refund_amount: Decimal = desc(
        "The part of the total beyond what the invoice still asked for: owed back to the "
        "customer (refunds pay it out)."
    )

    amount_refunded: Decimal = Computed(REFUNDS, "refunded", ZERO).field(
        "Refunds paid out on it so far."
    )
    refund_owed: Decimal = Computed(REFUNDS, "owed", ZERO).field(
        "Still owed back to the customer: refund amount minus refunds."
    )
    invoice: Invoice | None = ToOne[Invoice]("invoice_id").field("The invoice credited.")
    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer.")
    sales_return: SalesReturn | None = ToOne[SalesReturn]("sales_return_id").field(
        "The return whose goods it credits, if any."
    )
    lines: list[CreditNoteLine] = Children[CreditNoteLine](
        "credit_note_id", order=("id",), estimated_items=3
    ).field("Invoice lines taken back; empty for a credit of an amount.")
    refunds: list[Refund] = Children[Refund](
        "credit_note_id", order=("paid_at", "id"), estimated_items=1
    ).field("Refunds paying it out, oldest first.")


@strawberry.input(description="Filters for credit notes.")
class CreditNoteFilter:
    customer: relay.GlobalID | None = filters.node("customer_id", "Customer", "Of this customer.")
    invoice: relay.GlobalID | None = filters.node("invoice_id", "Invoice", "Of this invoice.")
    search: str | None = filters.search("number", description="Text in the credit note number.")
    issued_from: date | None = filters.at_least("issued_on", "Issued on or after.")
    issued_to: date | None = filters.at_most("issued_on", "Issued on or before.")


@strawberry.type
class CreditNoteQueries:
    credit_notes = root_connection(
        CreditNote,
        description="Credit notes by issue date.",
        sort=by_date("issued_on"),
        filter=CreditNoteFilter,
    )


@strawberry.input(description="Units of one invoice line to take back.")
class CreditNoteLineInput:
    invoice_line: strawberry.ID = strawberry.field(description="The invoice line.")
    quantity: int = strawberry.field(
        description="Units (at most those billed on the line and not credited yet)."
    )


@strawberry.input(
    description="Take back part or all of an invoice: give either lines or an amount."
)
class CreditNoteIssueInput:
    invoice: strawberry.ID = strawberry.field(description="The invoice to credit.")
    reason: str = strawberry.field(description="Why (required).")
    lines: list[CreditNoteLineInput] | None = strawberry.field(
        default=None, description="Units of its lines to take back, at the price billed."
    )
    amount: Decimal | None = strawberry.field(
        default=None,
        description="A net amount to take back instead (a goodwill credit), taxed at the "
        "invoice's rate.",
    )
    idempotency_key: str | None = retry_key("issuing a second credit note")


@strawberry.input(description="Units of one order line that came back.")
class SalesReturnLineInput:
    order_line: strawberry.ID = strawberry.field(description="The sales order line.")
    quantity: int = strawberry.field(
        description="Units (at most those delivered and not returned yet)."
    )


@strawberry.input(description="Delivered goods of an order came back.")
class SalesReturnReceiveInput:
    sales_order: strawberry.ID = strawberry.field(description="The order.")
    lines: list[SalesReturnLineInput] = strawberry.field(description="What came back.")
    reason: str = strawberry.field(description="Why (required; also the credit note's reason).")
    idempotency_key: str | None = retry_key("receiving the goods twice")


@strawberry.input(description="Money paid back to a customer out of a credit note.")
class RefundRecordInput:
    credit_note: strawberry.ID = strawberry.field(description="The credit note paid out.")
    amount: Decimal = strawberry.field(
        description="Amount; more than the credit note still owes is refused."
    )
    method: PaymentMethod = strawberry.field(
        default=PaymentMethod.BANK_TRANSFER, description="How it was paid."
    )
    reference: str | None = strawberry.field(default=None, description="Bank or card reference.")
    paid_at: datetime | None = strawberry.field(
        default=None, description="When it was paid (default now)."
    )
    idempotency_key: str | None = retry_key("paying the refund twice")


def _credit(input: CreditNoteIssueInput) -> credit_notes.CreditRequest:
    lines = None
    if input.lines is not None:
        lines = [
            credit_notes.CreditLine(
                decode(line.invoice_line, "InvoiceLine", f"lines.{i}.invoiceLine"), line.quantity
            )
            for i, line in enumerate(input.lines)
        ]
    return credit_notes.CreditRequest(
        invoice_id=decode(input.invoice, "Invoice", "invoice"),
        reason=input.reason,
        lines=lines,
        amount=input.amount,
    )


def _return(input: SalesReturnReceiveInput) -> sales_returns.ReturnRequest:
    return sales_returns.ReturnRequest(
        sales_order_id=decode(input.sales_order, "SalesOrder", "salesOrder"),
        lines=[
            sales_returns.ReturnLine(
                decode(line.order_line, "SalesOrderLine", f"lines.{i}.orderLine"), line.quantity
            )
            for i, line in enumerate(input.lines)
        ],
        reason=input.reason,
    )


def _refund(input: RefundRecordInput) -> refunds.RefundRequest:
    return refunds.RefundRequest(
        credit_note_id=decode(input.credit_note, "CreditNote", "creditNote"),
        amount=input.amount,
        method=enum_value(input.method),
        reference=input.reference,
        paid_at=input.paid_at,
    )


@strawberry.type
class CreditNoteMutations:
    credit_note_issue = mutation(
        CreditNoteIssueInput,
        CreditNote,
        "Credit part or all of an invoice (never more than billed and not credited yet: "
        "OVER_CREDIT); beyond what is still due, it is owed back to the customer.",
        lambda input, session, journal: credit_notes.issue(
            session=session, journal=journal, request=_credit(input)
        ),
    )
    sales_return_receive = mutation(
        SalesReturnReceiveInput,
        SalesReturn,
        "Take delivered goods back into stock at the cost they left with (never more than "
        "delivered and not returned yet: OVER_RETURN), crediting what of them was invoiced.",
        lambda input, session, journal: sales_returns.receive(
            session=session, journal=journal, request=_return(input)
        ),
    )
    refund_record = mutation(
        RefundRecordInput,
        Refund,
        "Pay back what a credit note owes the customer (never more: OVER_REFUND).",
        lambda input, session, journal: refunds.record(
            session=session, journal=journal, request=_refund(input)
        ),
    )
