"""One account's general ledger as a GraphQL type: its balance before a period, a page of
its lines in the period with the running balance, and its balance at the end
(`domain.finance.reports.ledger_summary`, `ledger_lines`)."""

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info

from domain.core.reads import Row
from domain.finance import reports
from schema.core.connections import wants_total
from schema.core.nodes import desc
from schema.core.pagination import Connection, PageRequest, build_connection
from schema.finance.financial_statements import account_of
from schema.finance.ledger import Account, EntryKind, JournalEntry, JournalLine

# What a general ledger cursor is made for (`schema.core.pagination`).
LEDGER_CONNECTION, LEDGER_ORDERING = "generalLedger", "date"


@strawberry.type(description="One line of a general ledger, with the balance after it.")
class GeneralLedgerLine:
    entry_id: strawberry.Private[int]
    day: date = strawberry.field(name="date", description="The date the line counts on.")
    entry_number: str = desc("Number of its journal entry.")
    entry_kind: EntryKind = desc("What caused its entry.")
    description: str = desc("What its entry records.")
    debit: Decimal = desc("Debit; 0 on a credit line.")
    credit: Decimal = desc("Credit; 0 on a debit line.")
    balance: Decimal = desc("The account's balance after this line (debit − credit).")
    line: JournalLine | None = desc(
        "The journal line itself (customer, supplier, invoice, currency)."
    )

    @strawberry.field(description="The journal entry the line belongs to.")
    async def entry(self, info: Info) -> JournalEntry | None:
        row = await info.context.loaders.by_id(JournalEntry).load(self.entry_id)
        return None if row is None else JournalEntry.from_row(row)


def ledger_line(row: Row) -> GeneralLedgerLine:
    return GeneralLedgerLine(
        entry_id=row["entry_id"],
        day=row["entry_date"],
        entry_number=row["entry_number"],
        entry_kind=row["entry_kind"],
        description=row["entry_description"],
        debit=row["debit"],
        credit=row["credit"],
        balance=row["balance"],
        line=JournalLine.from_row({name: row[name] for name in reports.LINE_COLUMNS}),
    )


@strawberry.type(
    description="An account's lines in a period, oldest first, with its balance before, "
    "after each line and at the end."
)
class GeneralLedger:
    account_id: strawberry.Private[int]
    page: strawberry.Private[PageRequest]
    after: strawberry.Private[tuple[date, int, int] | None]
    start: date = strawberry.field(name="from", description="First day of the period.")
    end: date = strawberry.field(name="to", description="Last day of the period.")
    opening_balance: Decimal = desc("The balance before `from` (debit − credit).")
    total_debit: Decimal = desc("Debits dated in the period.")
    total_credit: Decimal = desc("Credits dated in the period.")
    closing_balance: Decimal = desc("The balance at the end of `to` (debit − credit).")

    @strawberry.field(description="The account.")
    async def account(self, info: Info) -> Account | None:
        return await account_of(info, self.account_id)

    @strawberry.field(
        description="The lines dated in the period by date, entry and line, each with the "
        "running balance; a page of the root field's `first` lines after its `after` cursor."
    )
    async def lines(self, info: Info) -> Connection[GeneralLedgerLine]:
        loaders = info.context.loaders
        statement = reports.ledger_lines(
            self.account_id,
            self.start,
            self.end,
            opening_balance=self.opening_balance,
            first=self.page.first,
            after=self.after,
        )
        rows = await loaders.fetch_once(statement)
        total = 0
        if wants_total(info):
            count = reports.ledger_line_count(self.account_id, self.start, self.end)
            total = (await loaders.fetch_once(count))[0]["n"]
        return build_connection(
            [ledger_line(row) for row in rows],
            [tuple(row[name] for name in reports.LEDGER_KEY) for row in rows],
            connection=LEDGER_CONNECTION,
            ordering=LEDGER_ORDERING,
            request=self.page,
            total=total,
        )
