"""Payments: money received against invoices, and recording it."""

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain.erp import payments
from domain.erp.models import Payment as PaymentModel
from domain.erp.models.invoices import PAYMENT_METHODS
from schema.core.aggregates import aggregate_field
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode
from schema.core.mutations import enum_value, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import ToOne
from schema.crm.customers import Customer
from schema.erp.invoices import Invoice

PaymentMethod = vocabulary_enum("PaymentMethod", PAYMENT_METHODS, "How a payment was made.")


@strawberry.type(description="A payment received against an invoice.")
class Payment(TableNode):
    MODEL = PaymentModel
    id: relay.NodeID[int]
    number: str = desc("Payment number.")
    amount: Decimal = desc("Amount received.")
    currency: str = desc("Currency.")
    method: PaymentMethod = desc("How it was paid.")
    reference: str | None = desc("Bank or card reference.")
    received_at: datetime = desc("When it was received.")

    invoice: Invoice | None = ToOne[Invoice]("invoice_id").field("The invoice paid.")
    customer: Customer | None = ToOne[Customer]("customer_id").field("The paying customer.")


@strawberry.input(description="Money received against an invoice.")
class PaymentRecordInput:
    invoice: strawberry.ID = strawberry.field(description="The invoice paid.")
    amount: Decimal = strawberry.field(description="Amount; more than is due is refused.")
    method: PaymentMethod = strawberry.field(
        default=PaymentMethod.BANK_TRANSFER, description="How it was paid."
    )
    currency: str | None = strawberry.field(
        default=None, description="If given, must be the invoice's currency."
    )
    reference: str | None = strawberry.field(default=None, description="Bank or card reference.")
    received_at: datetime | None = strawberry.field(
        default=None, description="When it arrived (default now)."
    )
    idempotency_key: str | None = retry_key("recording the payment twice")


def _payment(input: PaymentRecordInput) -> payments.PaymentRequest:
    return payments.PaymentRequest(
        invoice_id=decode(input.invoice, "Invoice", "invoice"),
        amount=input.amount,
        method=enum_value(input.method),
        currency=input.currency,
        reference=input.reference,
        received_at=input.received_at,
    )


@strawberry.type
class PaymentQueries:
    payments_aggregate = aggregate_field(
        Payment, "Payments grouped, with counts and sums per group (one statement)."
    )


@strawberry.type
class PaymentMutations:
    payment_record = mutation(
        PaymentRecordInput,
        Payment,
        "Record a payment against an invoice.",
        lambda input, session, journal: payments.record(
            session=session, journal=journal, request=_payment(input)
        ),
    )
