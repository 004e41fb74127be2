"""What customers owe and what is owed to suppliers, as GraphQL types: receivables and
payables aging, and a customer's statement of account (the `statement` field of Customer,
which refers to it by name). Built from the rows of `domain.finance.open_items`.
"""

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from domain.core.reads import Row
from domain.finance import open_items
from schema.core.nodes import desc
from schema.core.pagination import Connection, PageRequest, build_connection
from schema.core.relations import ESTIMATED_ITEMS
from schema.crm.customers import Customer
from schema.erp.suppliers import Supplier
from schema.finance.report_arguments import checked_range

# Lines a statement shows at most; its balances and `lineCount` always cover the whole period.
MAX_STATEMENT_LINES = 500
# What a receivables aging cursor is made for (`schema.core.pagination`).
AGING_CONNECTION, AGING_ORDERING = "receivablesAging", "total"


@strawberry.type(
    description="Amounts by how many days past their due date they are at the report's day."
)
class AgingBuckets:
    not_due: Decimal = desc("Not yet due: due on the report's day or later.")
    days_1_to_30: Decimal = strawberry.field(name="days1To30", description="1–30 days past due.")
    days_31_to_60: Decimal = strawberry.field(name="days31To60", description="31–60 days past due.")
    days_61_to_90: Decimal = strawberry.field(name="days61To90", description="61–90 days past due.")
    over_90: Decimal = strawberry.field(name="over90", description="More than 90 days past due.")
    total: Decimal = desc("All of them.")


def _amounts(row: Row) -> dict[str, Decimal]:
    return {
        "not_due": row["not_due"],
        "days_1_to_30": row["days_1_30"],
        "days_31_to_60": row["days_31_60"],
        "days_61_to_90": row["days_61_90"],
        "over_90": row["over_90"],
        "total": row["total"],
    }


def _parts(rows: list[Row]) -> tuple[Row, Row | None, list[Row]]:
    """The totals row, the row without a party (if any) and the parties' rows."""
    kinds: dict[str, list[Row]] = {
        open_items.TOTAL: [],
        open_items.UNASSIGNED: [],
        open_items.PARTY: [],
    }
    for row in rows:
        kinds[row["row"]].append(row)
    unassigned = kinds[open_items.UNASSIGNED]
    return (
        kinds[open_items.TOTAL][0],
        unassigned[0] if unassigned else None,
        kinds[open_items.PARTY],
    )


@strawberry.type(description="What one customer owed at the report's day, by days past due.")
class ReceivablesAgingRow(AgingBuckets):
    customer_id: strawberry.Private[int]
    code: str = desc("Customer number.")
    name: str = desc("Customer name.")

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Customer | None:
        row = await info.context.loaders.by_id(Customer).load(self.customer_id)
        return None if row is None else Customer.from_row(row)


@strawberry.type(
    description="What customers owed at a day, from the ledger, by days past due: invoices "
    "by their due date, receivables booked without an invoice by their own date. A sales rep "
    "sees only the customers they manage, and totals over those."
)
class ReceivablesAging:
    as_of: date = desc("The day the report is made as of (included).")
    total: AgingBuckets = desc(
        "Over every customer you may see (all pages), with `unassigned` included."
    )
    unassigned: AgingBuckets | None = desc(
        "Receivables booked without a customer (entries by hand); null when there are none."
    )
    customers: Connection[ReceivablesAgingRow] = desc(
        "Customers owing (or owed) anything, largest total first (ties by customer), a page of "
        "the root field's `first` after its `after` cursor."
    )


def receivables_aging(as_of: date, page: PageRequest, rows: list[Row]) -> ReceivablesAging:
    total, unassigned, customers = _parts(rows)
    return ReceivablesAging(
        as_of=as_of,
        total=AgingBuckets(**_amounts(total)),
        unassigned=AgingBuckets(**_amounts(unassigned)) if unassigned is not None else None,
        customers=build_connection(
            [
                ReceivablesAgingRow(
                    customer_id=row["party_id"], code=row["code"], name=row["name"], **_amounts(row)
                )
                for row in customers
            ],
            [(row["total"], row["party_id"]) for row in customers],
            connection=AGING_CONNECTION,
            ordering=AGING_ORDERING,
            request=page,
            total=total["parties"],
        ),
    )


@strawberry.type(description="What was owed to one supplier at the report's day, by age.")
class PayablesAgingRow(AgingBuckets):
    supplier_id: strawberry.Private[int]
    code: str = desc("Supplier number.")
    name: str = desc("Supplier name.")

    @strawberry.field(description="The supplier.")
    async def supplier(self, info: Info) -> Supplier | None:
        row = await info.context.loaders.by_id(Supplier).load(self.supplier_id)
        return None if row is None else Supplier.from_row(row)


@strawberry.type(
    description="What was owed to suppliers at a day, from the ledger, by age: what is still "
    "open on each supplier bill counts from the bill's due date; an amount booked by hand "
    "without a bill counts from the day it was booked."
)
class PayablesAging:
    as_of: date = desc("The day the report is made as of (included).")
    total: AgingBuckets = desc("Over every supplier, with `unassigned` included.")
    unassigned: AgingBuckets | None = desc(
        "Payables booked without a supplier; null when there are none."
    )
    suppliers: list[PayablesAgingRow] = strawberry.field(
        description="Suppliers owed (or owing) anything, largest total first.",
        metadata={ESTIMATED_ITEMS: 50},
    )


def payables_aging(as_of: date, rows: list[Row]) -> PayablesAging:
    total, unassigned, suppliers = _parts(rows)
    return PayablesAging(
        as_of=as_of,
        total=AgingBuckets(**_amounts(total)),
        unassigned=AgingBuckets(**_amounts(unassigned)) if unassigned is not None else None,
        suppliers=[
            PayablesAgingRow(
                supplier_id=row["party_id"], code=row["code"], name=row["name"], **_amounts(row)
            )
            for row in suppliers
        ],
    )


@strawberry.type(description="One line of a statement of account.")
class CustomerStatementLine:
    day: date = strawberry.field(name="date", description="The date it counts on.")
    entry_number: str = desc("Number of its journal entry.")
    description: str = desc("What its entry records.")
    document: str | None = desc(
        "The invoice it bills or settles, else the payment or other document of its entry; "
        "null for an entry written by hand."
    )
    debit: Decimal = desc("Billed (increases what the customer owes).")
    credit: Decimal = desc("Paid or credited (decreases it).")
    balance: Decimal = desc("What the customer owes after this line.")


@strawberry.type(
    description="A customer's statement of account, from the ledger: what they owed before "
    "the period, every receivable line in it, and what they owed at its end."
)
class CustomerStatement:
    customer_id: strawberry.Private[int]
    start: date = strawberry.field(name="from", description="First day of the period.")
    end: date = strawberry.field(name="to", description="Last day of the period.")
    opening_balance: Decimal = desc("Owed before `from`.")
    total_debit: Decimal = desc("Billed in the period.")
    total_credit: Decimal = desc("Paid or credited in the period.")
    closing_balance: Decimal = desc("Owed at the end of `to`.")
    line_count: int = desc(
        f"Lines in the period; `lines` shows the first {MAX_STATEMENT_LINES} of them."
    )

    @strawberry.field(
        description=f"The lines of the period, oldest first (at most {MAX_STATEMENT_LINES}: "
        "narrow the period for the rest).",
        metadata={ESTIMATED_ITEMS: 50},
    )
    async def lines(self, info: Info) -> list[CustomerStatementLine]:
        statement = open_items.statement_lines(
            self.customer_id,
            self.start,
            self.end,
            info.context.viewer,
            limit=MAX_STATEMENT_LINES,
        )
        rows = await info.context.loaders.fetch_once(statement)
        return [
            CustomerStatementLine(
                day=row["entry_date"],
                entry_number=row["entry_number"],
                description=row["description"],
                document=row["document"],
                debit=row["debit"],
                credit=row["credit"],
                balance=row["balance"],
            )
            for row in rows
        ]

    @classmethod
    async def of_customer(cls, info: Info, customer_id: int, start: date, end: date) -> Any:
        """The statement of a customer the viewer may see (`Customer.statement`)."""
        checked_range(start, end)
        summary = open_items.statement_summary(customer_id, start, end, info.context.viewer)
        row = (await info.context.loaders.fetch_once(summary))[0]
        return cls(
            customer_id=customer_id,
            start=start,
            end=end,
            opening_balance=row["opening_balance"],
            total_debit=row["debit_total"],
            total_credit=row["credit_total"],
            closing_balance=row["closing_balance"],
            line_count=row["line_count"],
        )
