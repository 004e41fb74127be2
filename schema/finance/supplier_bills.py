"""Supplier bills and supplier payments: reading them with their match against the purchase
order, entering and voiding a bill, and paying one (domain.finance.supplier_bills)."""

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain.finance import payables, supplier_bills, supplier_payments
from domain.finance.models import BILL_STATUSES
from domain.finance.models import SupplierBill as SupplierBillModel
from domain.finance.models import SupplierBillLine as SupplierBillLineModel
from domain.finance.models import SupplierPayment as SupplierPaymentModel
from schema.core import filters, sql
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode
from schema.core.mutations import mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import Children, Computed, ToOne
from schema.erp.purchase_orders import PurchaseOrder
from schema.erp.stock_items import StockItem
from schema.erp.suppliers import Supplier

SupplierBillStatus = vocabulary_enum(
    "SupplierBillStatus",
    BILL_STATUSES,
    "Lifecycle of a supplier bill: open, partially paid, paid; void only while unpaid.",
)

ZERO = Decimal("0.00")

# What is paid and due, and how each line matches its order line: one statement each.
AMOUNTS = sql.row_per_key("supplier_bill_amounts", payables.bill_amounts, key="id")
MATCHING = sql.row_per_key("supplier_bill_line_matching", payables.line_matching, key="id")


@strawberry.type(
    description="Units of one purchase order line on a supplier bill, with how they match "
    "the order and its receipts."
)
class SupplierBillLine(TableNode):
    MODEL = SupplierBillLineModel
    id: relay.NodeID[int]
    quantity: int = desc("Units billed.")
    unit_price: Decimal = desc("The supplier's price per unit, in the bill's currency.")
    unit_cost: Decimal = desc("The purchase order's cost per unit: what the receipts booked.")
    net: Decimal = desc("Units times the supplier's price.")
    price_difference: Decimal = desc(
        "(Supplier's price − order cost) × units: positive when billed above the order's cost."
    )

    quantity_ordered: int = Computed(MATCHING, "ordered", 0).field("Units on the order line.")
    quantity_received: int = Computed(MATCHING, "received", 0).field(
        "Units of the order line received so far."
    )
    quantity_billed: int = Computed(MATCHING, "billed", 0).field(
        "Units of the order line billed so far, on every bill that is not void."
    )
    quantity_not_yet_received: int = Computed(MATCHING, "not_yet_received", 0).field(
        "Units ordered and not received yet (ordered − received)."
    )
    quantity_received_not_billed: int = Computed(MATCHING, "received_not_billed", 0).field(
        "Units received and not billed yet (received − billed): what a next bill may bill."
    )
    stock_item: StockItem | None = ToOne[StockItem]("stock_item_id").field("The item.")
    bill: "SupplierBill | None" = ToOne["SupplierBill"]("supplier_bill_id").field(
        "The bill it is on."
    )


@strawberry.type(
    description="A supplier's invoice for goods received on a purchase order. It may bill "
    "only units received and not billed yet; price differences are reported, not refused."
)
class SupplierBill(TableNode):
    MODEL = SupplierBillModel
    id: relay.NodeID[int]
    number: str = desc("The supplier's own invoice number (unique per supplier).")
    status: SupplierBillStatus = desc("Open, partially paid, paid or void.")
    currency: str = desc("Currency: the purchase order's.")
    bill_date: date = desc("The date on the bill.")
    due_on: date = desc("Payment due date: the bill date plus the supplier's terms.")
    tax_rate: Decimal = desc("Input VAT rate the supplier charged (0.19 = 19 %).")
    net: Decimal = desc("Net amount: the sum of the lines.")
    tax: Decimal = desc("Input VAT: the rate on the net amount.")
    total: Decimal = desc("Gross amount: net plus tax.")
    price_difference: Decimal = desc(
        "Net minus the order's cost of the units billed: positive when billed above cost."
    )
    void_reason: str | None = desc("Why it was voided.")
    voided_at: datetime | None = desc("When it was voided.")

    amount_paid: Decimal = Computed(AMOUNTS, "paid", ZERO).field("Sum of payments made.")
    amount_due: Decimal = Computed(AMOUNTS, "due", ZERO).field(
        "Total minus payments (zero for a void bill)."
    )
    supplier: Supplier | None = ToOne[Supplier]("supplier_id").field("The supplier billing.")
    purchase_order: PurchaseOrder | None = ToOne[PurchaseOrder]("purchase_order_id").field(
        "The purchase order billed."
    )
    lines: list[SupplierBillLine] = Children[SupplierBillLine](
        "supplier_bill_id", order=("id",), estimated_items=10
    ).field("Its lines, in order.")
    payments: list["SupplierPayment"] | None = Children["SupplierPayment"](
        "supplier_bill_id", order=("paid_at", "id"), estimated_items=3
    ).field("Payments made on it, oldest first (finance only).")


@strawberry.type(description="Money paid to a supplier against a bill.")
class SupplierPayment(TableNode):
    MODEL = SupplierPaymentModel
    id: relay.NodeID[int]
    number: str = desc("Payment number.")
    amount: Decimal = desc("Amount paid, in the bill's currency.")
    currency: str = desc("Currency: the bill's.")
    paid_at: datetime = desc("When it was paid.")
    reference: str | None = desc("Bank reference.")

    bill: SupplierBill | None = ToOne[SupplierBill]("supplier_bill_id").field("The bill paid.")
    supplier: Supplier | None = ToOne[Supplier]("supplier_id").field("The supplier paid.")


@strawberry.input(description="Filters for supplier bills.")
class SupplierBillFilter:
    supplier: relay.GlobalID | None = filters.node("supplier_id", "Supplier", "From this supplier.")
    purchase_order: relay.GlobalID | None = filters.node(
        "purchase_order_id", "PurchaseOrder", "For this purchase order."
    )
    status: list[SupplierBillStatus] | None = filters.any_of("status", "Any of these statuses.")
    due_from: date | None = filters.at_least("due_on", "Due on or after.")
    due_to: date | None = filters.at_most("due_on", "Due on or before.")


@strawberry.type
class SupplierBillQueries:
    supplier_bills = root_connection(
        SupplierBill,
        description="Supplier bills by due date (latest first unless `orderBy` says ASC).",
        sort=by_date("due_on"),
        filter=SupplierBillFilter,
    )


@strawberry.input(description="Units of an item billed, and the supplier's price for them.")
class SupplierBillLineInput:
    stock_item: strawberry.ID = strawberry.field(
        description="The item; on several lines of the order, they are billed in order."
    )
    quantity: int = strawberry.field(
        description="Units billed: at most what was received and not billed yet (OVER_BILLING)."
    )
    unit_price: Decimal | None = strawberry.field(
        default=None,
        description="The supplier's price per unit (default: the order's cost).",
    )


@strawberry.input(description="A supplier's bill for goods received on a purchase order.")
class SupplierBillRecordInput:
    purchase_order: strawberry.ID = strawberry.field(description="The purchase order billed.")
    number: str = strawberry.field(
        description="The supplier's invoice number (unique per supplier, at most 40 characters)."
    )
    lines: list[SupplierBillLineInput] = strawberry.field(description="1 to 500 lines.")
    bill_date: date | None = strawberry.field(
        default=None, description="The date on the bill (default today; not in the future)."
    )
    due_in_days: int = strawberry.field(
        default=supplier_bills.DEFAULT_TERMS_DAYS,
        description="Payment terms in days after the bill date (0–180).",
    )
    tax_rate: Decimal = strawberry.field(
        default=Decimal("0"),
        description="Input VAT rate the bill charges (0.19 = 19 %; 0 to 0.5, default 0).",
    )
    idempotency_key: str | None = retry_key("entering the bill twice")


@strawberry.input(description="Void a supplier bill entered in error (only without payments).")
class SupplierBillVoidInput:
    id: strawberry.ID = strawberry.field(description="The bill.")
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = retry_key("voiding it twice")


@strawberry.input(description="Money paid to a supplier against a bill.")
class SupplierPaymentRecordInput:
    bill: strawberry.ID = strawberry.field(description="The supplier bill paid.")
    amount: Decimal = strawberry.field(description="Amount; more than is due is refused.")
    currency: str | None = strawberry.field(
        default=None, description="If given, must be the bill's currency."
    )
    reference: str | None = strawberry.field(default=None, description="Bank reference.")
    paid_at: datetime | None = strawberry.field(
        default=None, description="When it was paid (default now)."
    )
    idempotency_key: str | None = retry_key("paying twice")


def _bill(input: SupplierBillRecordInput) -> supplier_bills.BillRequest:
    return supplier_bills.BillRequest(
        purchase_order_id=decode(input.purchase_order, "PurchaseOrder", "purchaseOrder"),
        number=input.number,
        bill_date=input.bill_date,
        due_in_days=input.due_in_days,
        tax_rate=input.tax_rate,
        lines=[
            supplier_bills.BillLine(
                decode(line.stock_item, "StockItem", f"lines.{i}.stockItem"),
                line.quantity,
                line.unit_price,
            )
            for i, line in enumerate(input.lines)
        ],
    )


def _payment(input: SupplierPaymentRecordInput) -> supplier_payments.SupplierPaymentRequest:
    return supplier_payments.SupplierPaymentRequest(
        bill_id=decode(input.bill, "SupplierBill", "bill"),
        amount=input.amount,
        currency=input.currency,
        reference=input.reference,
        paid_at=input.paid_at,
    )


@strawberry.type
class SupplierBillMutations:
    supplier_bill_record = mutation(
        SupplierBillRecordInput,
        SupplierBill,
        "Enter a supplier's bill for units received on a purchase order: matched line by line "
        "against what was received and not billed yet, and posted (goods received not "
        "invoiced at the order's cost, price differences, input VAT, owed to the supplier).",
        lambda input, session, journal: supplier_bills.record(
            session=session, journal=journal, request=_bill(input)
        ),
    )
    supplier_bill_void = mutation(
        SupplierBillVoidInput,
        SupplierBill,
        "Void an unpaid supplier bill; its entry is reversed.",
        lambda input, session, journal: supplier_bills.void(
            session=session,
            journal=journal,
            bill_id=decode(input.id, "SupplierBill", "id"),
            reason=input.reason,
        ),
    )
    supplier_payment_record = mutation(
        SupplierPaymentRecordInput,
        SupplierPayment,
        "Pay a supplier bill in part or in full (bank against the supplier's payable).",
        lambda input, session, journal: supplier_payments.record(
            session=session, journal=journal, request=_payment(input)
        ),
    )
