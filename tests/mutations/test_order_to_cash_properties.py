"""Random sequences of order-to-cash and procure-to-pay operations never break the books.

Hypothesis drives the domain services against the real database; after every step the
invariants are checked in SQL: stock equals its ledger and the needs of open orders,
invoices add up, nothing is paid or credited beyond what is due, nothing comes back that was
not delivered, no refund exceeds what its credit note owes, no more is billed by suppliers than was
received, and the general ledger agrees with all of it (every entry balances; inventory at
cost, receivables per customer, payables per supplier and goods received not invoiced
match).
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.core.errors import DomainError, Rejected
from domain.core.journal import Journal
from domain.core.sessions import create_engine, session_factory
from domain.crm import customers
from domain.erp import (
    credit_notes,
    deliveries,
    invoices,
    payments,
    purchase_orders,
    refunds,
    sales_orders,
    sales_returns,
    stock_items,
)
from domain.finance import payables, reconciliation, supplier_bills, supplier_payments
from domain.flows import ordering
from tests.mutations.conftest import World

ITEMS = 3
INVARIANTS = {
    "stock differs from its ledger": """
        SELECT count(*) FROM erp.stock_level l
        LEFT JOIN (SELECT stock_item_id, warehouse_id, sum(delta_on_hand) AS on_hand,
                          sum(delta_reserved) AS reserved
                   FROM erp.stock_movement GROUP BY 1, 2) m USING (stock_item_id, warehouse_id)
        WHERE l.on_hand <> coalesce(m.on_hand, 0) OR l.reserved <> coalesce(m.reserved, 0)
           OR l.reserved < 0 OR l.on_hand < l.reserved""",
    "reservations differ from what open orders still need": """
        WITH needed AS (
            SELECT l.stock_item_id, o.warehouse_id,
                   sum(l.quantity - coalesce(s.shipped, 0)) AS units
            FROM erp.sales_order o JOIN erp.sales_order_line l ON l.sales_order_id = o.id
            LEFT JOIN (SELECT dl.sales_order_line_id, sum(dl.quantity) AS shipped
                       FROM erp.delivery_line dl JOIN erp.delivery d ON d.id = dl.delivery_id
                       WHERE d.status <> 'failed' GROUP BY 1) s ON s.sales_order_line_id = l.id
            WHERE o.status IN ('placed', 'confirmed') GROUP BY 1, 2)
        SELECT count(*) FROM erp.stock_level v
        FULL JOIN needed n USING (stock_item_id, warehouse_id)
        WHERE coalesce(v.reserved, 0) <> coalesce(n.units, 0)""",
    "an invoice does not add up": """
        SELECT count(*) FROM erp.invoice i
        JOIN (SELECT invoice_id, sum(line_total) AS net, sum(tax_amount) AS tax
              FROM erp.invoice_line GROUP BY 1) l ON l.invoice_id = i.id
        WHERE i.subtotal <> l.net OR i.tax_total <> l.tax OR i.total <> i.subtotal + i.tax_total""",
    "payments and credits exceed an invoice or disagree with its status": """
        SELECT count(*) FROM erp.invoice i
        LEFT JOIN (SELECT invoice_id, sum(amount) AS paid FROM erp.payment GROUP BY 1) p
               ON p.invoice_id = i.id
        LEFT JOIN (SELECT invoice_id, sum(total) AS credited,
                          sum(total - refund_amount) AS relieved
                   FROM erp.credit_note GROUP BY 1) c ON c.invoice_id = i.id
        WHERE coalesce(p.paid, 0) + coalesce(c.relieved, 0) > i.total
           OR coalesce(c.credited, 0) > i.total
           OR (i.status = 'void' AND coalesce(p.paid, 0) + coalesce(c.credited, 0) > 0)
           OR (i.status <> 'void' AND i.status <> CASE
                   WHEN coalesce(c.credited, 0) >= i.total THEN 'credited'
                   WHEN coalesce(p.paid, 0) + coalesce(c.credited, 0) >= i.total THEN 'paid'
                   WHEN coalesce(p.paid, 0) > 0 THEN 'partially_paid'
                   ELSE 'issued' END)""",
    "more credited, returned or refunded than there was": """
        SELECT (SELECT count(*) FROM erp.invoice_line il
                JOIN (SELECT invoice_line_id, sum(quantity) AS units FROM erp.credit_note_line
                      GROUP BY 1) c ON c.invoice_line_id = il.id
                WHERE c.units > il.quantity)
             + (SELECT count(*) FROM erp.sales_order_line l
                JOIN (SELECT sales_order_line_id, sum(quantity) AS units,
                             sum(credited_quantity) AS credited
                      FROM erp.sales_return_line GROUP BY 1) r ON r.sales_order_line_id = l.id
                LEFT JOIN (SELECT dl.sales_order_line_id, sum(dl.quantity) AS units
                           FROM erp.delivery_line dl JOIN erp.delivery d ON d.id = dl.delivery_id
                           WHERE d.status = 'delivered' GROUP BY 1) d
                       ON d.sales_order_line_id = l.id
                WHERE r.units > coalesce(d.units, 0) OR r.credited > r.units)
             + (SELECT count(*) FROM erp.credit_note n
                JOIN (SELECT credit_note_id, sum(amount) AS paid FROM erp.refund GROUP BY 1) r
                  ON r.credit_note_id = n.id
                WHERE r.paid > n.refund_amount)""",
    "more invoiced than ordered": """
        SELECT count(*) FROM erp.sales_order_line l
        JOIN (SELECT il.sales_order_line_id, sum(il.quantity) AS billed FROM erp.invoice_line il
              JOIN erp.invoice i ON i.id = il.invoice_id WHERE i.status <> 'void' GROUP BY 1) b
          ON b.sales_order_line_id = l.id
        WHERE b.billed > l.quantity""",
    "more billed by a supplier than was received": """
        SELECT count(*) FROM erp.purchase_order_line l
        JOIN (SELECT bl.purchase_order_line_id, sum(bl.quantity) AS billed
              FROM finance.supplier_bill_line bl
              JOIN finance.supplier_bill b ON b.id = bl.supplier_bill_id
              WHERE b.status <> 'void' GROUP BY 1) b ON b.purchase_order_line_id = l.id
        WHERE b.billed > l.quantity_received""",
    "supplier payments exceed a bill or disagree with its status": """
        SELECT count(*) FROM finance.supplier_bill b
        LEFT JOIN (SELECT supplier_bill_id, sum(amount) AS paid
                   FROM finance.supplier_payment GROUP BY 1) p ON p.supplier_bill_id = b.id
        WHERE coalesce(p.paid, 0) > b.total
           OR (b.status = 'paid') <> (coalesce(p.paid, 0) = b.total AND b.status <> 'void')
           OR (b.status = 'void' AND coalesce(p.paid, 0) > 0)""",
    # Receipts credit it at the order's cost; bills take off what they bill, at that cost.
    "goods received not invoiced differs from units received but not billed, at cost": """
        WITH unbilled AS (
            SELECT o.supplier_id,
                   sum((l.quantity_received - coalesce(b.billed, 0)) * l.unit_cost) AS amount
            FROM erp.purchase_order o JOIN erp.purchase_order_line l ON l.purchase_order_id = o.id
            LEFT JOIN (SELECT bl.purchase_order_line_id, sum(bl.quantity) AS billed
                       FROM finance.supplier_bill_line bl
                       JOIN finance.supplier_bill b ON b.id = bl.supplier_bill_id
                       WHERE b.status <> 'void' GROUP BY 1) b ON b.purchase_order_line_id = l.id
            GROUP BY 1),
        booked AS (
            SELECT l.supplier_id, sum(l.credit - l.debit) AS amount FROM finance.journal_line l
            JOIN finance.account a ON a.id = l.account_id AND a.purpose = 'goods_received'
            GROUP BY 1)
        SELECT count(*) FROM unbilled FULL JOIN booked USING (supplier_id)
        WHERE coalesce(unbilled.amount, 0) <> coalesce(booked.amount, 0)""",
    "a change without its audit row or outbox event": """
        SELECT abs((SELECT count(*) FROM ops.audit_log) - (SELECT count(*) FROM ops.outbox))""",
    # The general ledger agrees with all of it.
    **reconciliation.CHECKS,
}


class OrderToCash(RuleBasedStateMachine):
    """The books of a small company, exercised one random business operation at a time."""

    world: World
    database_url: str

    order_ids = Bundle("orders")
    delivery_ids = Bundle("deliveries")
    invoice_ids = Bundle("invoices")
    credit_note_ids = Bundle("credit_notes")
    purchase_ids = Bundle("purchases")
    bill_ids = Bundle("bills")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.engine: AsyncEngine = create_engine(self.database_url, pool_size=2)
        self.sessions = session_factory(self.engine)
        self.journal_actor = self.world.admin
        self.run_id = uuid.uuid4().hex[:12]
        self.customer_id, self.item_ids = self.run(self._setup())
        # The item each purchase order buys, and how many bills were entered (their numbers).
        self.purchased: dict[int, int] = {}
        self.bills = 0

    def teardown(self) -> None:
        self.run(self.engine.dispose())
        self.loop.close()

    def run(self, work: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(work)

    def act(self, operation: Callable[[AsyncSession, Journal], Awaitable[Any]]) -> Any:
        """Run one operation in its own transaction; refusals are fine, anything else is a bug."""

        async def attempt() -> Any:
            journal = Journal(actor=self.journal_actor, request_id="property-test")
            try:
                async with self.sessions() as session, session.begin():
                    result = await operation(session, journal)
                    await journal.write(session)
                    return result.id
            except (DomainError, Rejected):
                return None

        return self.run(attempt())

    async def _setup(self) -> tuple[int, list[int]]:
        async with self.sessions() as session, session.begin():
            journal = Journal(actor=self.journal_actor)
            customer = await customers.create(
                session=session,
                journal=journal,
                given={"name": "Property Ltd", "country": "NL", "tier": "silver"},
            )
            items = []
            for number in range(ITEMS):
                item = await stock_items.create(
                    session=session,
                    journal=journal,
                    given={
                        # Unique per example: each example's rows stay, and an object id
                        # (a freed machine's address) can come back.
                        "sku": f"P-{number}-{self.run_id}",
                        "name": f"Part {number}",
                        "category": "hardware",
                        "unit_price": Decimal("12.34") * (number + 1),
                        "unit_cost": Decimal("5.00"),
                        "supplier_id": self.world.supplier,
                    },
                )
                await stock_items.adjust(
                    session=session,
                    journal=journal,
                    stock_item_id=item.id,
                    warehouse_id=self.world.warehouse,
                    quantity=20,
                    reason="Opening count",
                )
                items.append(item.id)
            await journal.write(session)
            return customer.id, items

    @rule(
        target=order_ids,
        lines=st.lists(
            st.tuples(st.integers(0, ITEMS - 1), st.integers(1, 12)), min_size=1, max_size=3
        ),
        draft=st.booleans(),
    )
    def place(self, lines: list[tuple[int, int]], draft: bool) -> int | None:
        request = sales_orders.OrderRequest(
            customer_id=self.customer_id,
            lines=[sales_orders.LineRequest(self.item_ids[i], qty) for i, qty in lines],
            warehouse_id=self.world.warehouse,
        )
        service = ordering.create_draft if draft else ordering.place
        return self.act(lambda s, j: service(session=s, journal=j, request=request))  # type: ignore[no-any-return]

    @rule(order=order_ids)
    def confirm(self, order: int | None) -> None:
        if order is not None:
            self.act(
                lambda s, j: sales_orders.confirm(
                    session=s, journal=j, order_id=order, version=None
                )
            )

    @rule(order=order_ids)
    def cancel(self, order: int | None) -> None:
        if order is not None:
            self.act(
                lambda s, j: sales_orders.cancel(
                    session=s, journal=j, order_id=order, version=None, reason=None
                )
            )

    @rule(target=delivery_ids, order=order_ids, everything=st.booleans())
    def ship(self, order: int | None, everything: bool) -> int | None:
        if order is None:
            return None

        async def partly(session: AsyncSession, journal: Journal) -> Any:
            lines = None
            if not everything:
                rows = await session.execute(
                    text("SELECT id FROM erp.sales_order_line WHERE sales_order_id = :o"),
                    {"o": order},
                )
                lines = [deliveries.ShipLine(row.id, 1) for row in rows]
            shipment = deliveries.Shipment(sales_order_id=order, lines=lines)
            return await deliveries.create(session=session, journal=journal, shipment=shipment)

        return self.act(partly)  # type: ignore[no-any-return]

    @rule(delivery=delivery_ids, arrived=st.booleans())
    def settle_delivery(self, delivery: int | None, arrived: bool) -> None:
        if delivery is None:
            return
        if arrived:
            self.act(
                lambda s, j: deliveries.mark_delivered(
                    session=s, journal=j, delivery_id=delivery, delivered_at=None
                )
            )
        else:
            self.act(
                lambda s, j: deliveries.mark_failed(
                    session=s, journal=j, delivery_id=delivery, reason="Nobody home"
                )
            )

    @rule(target=invoice_ids, order=order_ids, basis=st.sampled_from(invoices.BASES))
    def invoice(self, order: int | None, basis: str) -> int | None:
        if order is None:
            return None
        request = invoices.InvoiceRequest(sales_order_id=order, basis=basis)
        return self.act(lambda s, j: invoices.issue(session=s, journal=j, request=request))  # type: ignore[no-any-return]

    @rule(invoice=invoice_ids, cents=st.integers(1, 60_000))
    def pay(self, invoice: int | None, cents: int) -> None:
        if invoice is not None:
            request = payments.PaymentRequest(invoice_id=invoice, amount=Decimal(cents) / 100)
            self.act(lambda s, j: payments.record(session=s, journal=j, request=request))

    @rule(invoice=invoice_ids)
    def void(self, invoice: int | None) -> None:
        if invoice is not None:
            self.act(
                lambda s, j: invoices.void(session=s, journal=j, invoice_id=invoice, reason="Typo")
            )

    @rule(
        target=invoice_ids,
        item=st.integers(0, ITEMS - 1),
        units=st.integers(1, 6),
        cents=st.integers(0, 20_000),
    )
    def sell(self, item: int, units: int, cents: int) -> int | None:
        """Order to invoice in one go (delivered, invoiced, paid in part when `cents`), so
        credits, returns and refunds have invoices to work on."""
        request = sales_orders.OrderRequest(
            customer_id=self.customer_id,
            lines=[sales_orders.LineRequest(self.item_ids[item], units)],
            warehouse_id=self.world.warehouse,
        )
        order = self.act(lambda s, j: ordering.place(session=s, journal=j, request=request))
        if order is None:
            return None
        shipment = deliveries.Shipment(sales_order_id=order)
        delivery = self.act(lambda s, j: deliveries.create(session=s, journal=j, shipment=shipment))
        self.act(
            lambda s, j: deliveries.mark_delivered(
                session=s, journal=j, delivery_id=delivery, delivered_at=None
            )
        )
        billing = invoices.InvoiceRequest(sales_order_id=order)
        invoice = self.act(lambda s, j: invoices.issue(session=s, journal=j, request=billing))
        if invoice is not None and cents:
            self.pay(invoice, cents)
        return invoice  # type: ignore[no-any-return]

    @rule(
        target=credit_note_ids,
        invoice=invoice_ids,
        units=st.integers(0, 4),
        cents=st.integers(1, 30_000),
    )
    def credit(self, invoice: int | None, units: int, cents: int) -> int | None:
        """Units of the invoice's first line, or (no units) a goodwill amount."""
        if invoice is None:
            return None

        async def issue(session: AsyncSession, journal: Journal) -> Any:
            request = credit_notes.CreditRequest(
                invoice_id=invoice, reason="Goodwill", amount=Decimal(cents) / 100
            )
            if units:
                line = await session.scalar(
                    text("SELECT min(id) FROM erp.invoice_line WHERE invoice_id = :i"),
                    {"i": invoice},
                )
                request = credit_notes.CreditRequest(
                    invoice_id=invoice,
                    reason="Damaged",
                    lines=[credit_notes.CreditLine(line, units)],
                )
            return await credit_notes.issue(session=session, journal=journal, request=request)

        note: int | None = self.act(issue)
        if note is not None:
            # Paid back at once, all of it or some cents (refused when nothing is owed back).
            self.refund(note, cents, everything=cents % 2 == 0)
        return note

    @rule(invoice=invoice_ids, units=st.integers(1, 4))
    def give_back(self, invoice: int | None, units: int) -> None:
        """Units of the first line of the invoice's order come back (credited as far as
        billing exceeds what the customer keeps)."""
        if invoice is None:
            return

        async def receive(session: AsyncSession, journal: Journal) -> Any:
            order = await session.scalar(
                text("SELECT sales_order_id FROM erp.invoice WHERE id = :i"), {"i": invoice}
            )
            line = await session.scalar(
                text("SELECT min(id) FROM erp.sales_order_line WHERE sales_order_id = :o"),
                {"o": order},
            )
            request = sales_returns.ReturnRequest(
                sales_order_id=order,
                lines=[sales_returns.ReturnLine(line, units)],
                reason="Unwanted",
            )
            return await sales_returns.receive(session=session, journal=journal, request=request)

        self.act(receive)

    @rule(credit_note=credit_note_ids, cents=st.integers(1, 20_000), everything=st.booleans())
    def refund(self, credit_note: int | None, cents: int, everything: bool) -> None:
        if credit_note is None:
            return

        async def paying(session: AsyncSession, journal: Journal) -> Any:
            amount = Decimal(cents) / 100
            if everything:
                owed = await session.scalar(
                    text("SELECT refund_amount FROM erp.credit_note WHERE id = :n"),
                    {"n": credit_note},
                )
                amount = owed - await refunds.refunded(session, credit_note)
            request = refunds.RefundRequest(credit_note_id=credit_note, amount=amount)
            return await refunds.record(session=session, journal=journal, request=request)

        self.act(paying)

    @rule(item=st.integers(0, ITEMS - 1), change=st.integers(-15, 15).filter(bool))
    def adjust(self, item: int, change: int) -> None:
        self.act(
            lambda s, j: stock_items.adjust(
                session=s,
                journal=j,
                stock_item_id=self.item_ids[item],
                warehouse_id=self.world.warehouse,
                quantity=change,
                reason="Count",
            )
        )

    @rule(
        target=purchase_ids,
        item=st.integers(0, ITEMS - 1),
        ordered=st.integers(1, 30),
        received=st.integers(1, 30),
    )
    def restock(self, item: int, ordered: int, received: int) -> int | None:
        request = purchase_orders.PurchaseRequest(
            supplier_id=self.world.supplier,
            warehouse_id=self.world.warehouse,
            lines=[purchase_orders.PurchaseLine(self.item_ids[item], ordered)],
        )
        purchase = self.act(
            lambda s, j: purchase_orders.create(session=s, journal=j, request=request)
        )
        if purchase is not None:
            self.purchased[purchase] = self.item_ids[item]
            self.receive(purchase, received)
        return purchase  # type: ignore[no-any-return]

    @rule(purchase=purchase_ids, received=st.integers(1, 30))
    def receive(self, purchase: int | None, received: int) -> None:
        if purchase is not None:
            receipt = [purchase_orders.Receipt(self.purchased[purchase], received)]
            self.act(
                lambda s, j: purchase_orders.receive(
                    session=s, journal=j, purchase_order_id=purchase, receipts=receipt
                )
            )

    @rule(
        target=bill_ids,
        purchase=purchase_ids,
        units=st.integers(1, 12),
        # Cents above or below the order's cost of 5.00.
        deviation=st.integers(-150, 150),
        taxed=st.booleans(),
        # Paid at once (in part or in full): payments get a bill to pay more often.
        paid=st.sampled_from(["no", "part", "all"]),
    )
    def bill(
        self, purchase: int | None, units: int, deviation: int, taxed: bool, paid: str
    ) -> int | None:
        if purchase is None:
            return None
        self.bills += 1
        request = supplier_bills.BillRequest(
            purchase_order_id=purchase,
            number=f"{self.run_id}-{self.bills}",
            lines=[
                supplier_bills.BillLine(
                    self.purchased[purchase], units, Decimal("5.00") + Decimal(deviation) / 100
                )
            ],
            tax_rate=Decimal("0.19") if taxed else Decimal("0"),
        )
        bill: int | None = self.act(
            lambda s, j: supplier_bills.record(session=s, journal=j, request=request)
        )
        if paid != "no":
            self.pay_bill(bill, units * 100, everything=paid == "all")
        return bill

    @rule(bill=bill_ids, cents=st.integers(1, 10_000), everything=st.booleans())
    def pay_bill(self, bill: int | None, cents: int, everything: bool) -> None:
        if bill is None:
            return

        async def paying(session: AsyncSession, journal: Journal) -> Any:
            amount = Decimal(cents) / 100
            if everything:
                amount = await payables.amount_due_of(session, bill)
            request = supplier_payments.SupplierPaymentRequest(bill_id=bill, amount=amount)
            return await supplier_payments.record(session=session, journal=journal, request=request)

        self.act(paying)

    @rule(bill=bill_ids)
    def void_bill(self, bill: int | None) -> None:
        if bill is not None:
            self.act(
                lambda s, j: supplier_bills.void(session=s, journal=j, bill_id=bill, reason="Typo")
            )

    @invariant()
    def books_balance(self) -> None:
        async def broken() -> list[str]:
            async with self.engine.connect() as connection:
                return [
                    name
                    for name, query in INVARIANTS.items()
                    if await connection.scalar(text(query))
                ]

        assert self.run(broken()) == []


@pytest.mark.slow
def test_random_order_to_cash_sequences_keep_the_books(world: World, database_url: str) -> None:
    OrderToCash.world = world
    OrderToCash.database_url = database_url
    machine = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )(OrderToCash).TestCase
    machine().runTest()
