"""ERP mutations of billing: invoices and the payments that settle them."""

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.erp import invoices, payments
from schema import enums as e
from schema.erp_nodes import Invoice, Payment
from schema.mutations.base import INPUT, decode, payload, run


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
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retry key, yours alone: a replay returns the first invoice."
    )


@strawberry.input(description="Void an invoice issued in error (only without payments).")
class InvoiceVoidInput:
    id: strawberry.ID = strawberry.field(description="The invoice.")
    reason: str = strawberry.field(description="Why (required).")


@strawberry.input(description="Money received against an invoice.")
class PaymentRecordInput:
    invoice: strawberry.ID = strawberry.field(description="The invoice paid.")
    amount: Decimal = strawberry.field(description="Amount; more than is due is refused.")
    method: e.PaymentMethod = strawberry.field(
        default=e.PaymentMethod.BANK_TRANSFER, description="How it was paid."
    )
    currency: str | None = strawberry.field(
        default=None, description="If given, must be the invoice's currency."
    )
    reference: str | None = strawberry.field(default=None, description="Bank or card reference.")
    received_at: datetime | None = strawberry.field(
        default=None, description="When it arrived (default now)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retry key, yours alone: a replay returns the first payment."
    )


InvoiceIssuePayload = payload("InvoiceIssuePayload", "invoice", Invoice, "Result of invoiceIssue.")
InvoiceVoidPayload = payload("InvoiceVoidPayload", "invoice", Invoice, "Result of invoiceVoid.")
PaymentRecordPayload = payload(
    "PaymentRecordPayload", "payment", Payment, "Result of paymentRecord."
)


@strawberry.type
class BillingMutations:
    @strawberry.mutation(description="Invoice an order's delivered or confirmed quantities.")
    async def invoice_issue(
        self, info: Info, input: Annotated[InvoiceIssueInput, INPUT]
    ) -> InvoiceIssuePayload:
        return await run(
            info,
            InvoiceIssuePayload,
            lambda session, journal: invoices.issue(
                session=session,
                journal=journal,
                request=invoices.InvoiceRequest(
                    sales_order_id=decode(input.sales_order, "SalesOrder", "salesOrder"),
                    basis=input.basis.value,
                    due_in_days=input.due_in_days,
                ),
            ),
            idempotency_key=input.idempotency_key,
            input=input,
        )

    @strawberry.mutation(description="Void an unpaid invoice.")
    async def invoice_void(
        self, info: Info, input: Annotated[InvoiceVoidInput, INPUT]
    ) -> InvoiceVoidPayload:
        return await run(
            info,
            InvoiceVoidPayload,
            lambda session, journal: invoices.void(
                session=session,
                journal=journal,
                invoice_id=decode(input.id, "Invoice", "id"),
                reason=input.reason,
            ),
            input=input,
        )

    @strawberry.mutation(description="Record a payment against an invoice.")
    async def payment_record(
        self, info: Info, input: Annotated[PaymentRecordInput, INPUT]
    ) -> PaymentRecordPayload:
        return await run(
            info,
            PaymentRecordPayload,
            lambda session, journal: payments.record(
                session=session,
                journal=journal,
                request=payments.PaymentRequest(
                    invoice_id=decode(input.invoice, "Invoice", "invoice"),
                    amount=input.amount,
                    method=input.method.value,
                    currency=input.currency,
                    reference=input.reference,
                    received_at=input.received_at,
                ),
            ),
            idempotency_key=input.idempotency_key,
            input=input,
        )
