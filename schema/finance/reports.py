"""The financial reports' root fields: trial balance, profit and loss, balance sheet, general
ledger, receivables and payables aging, each as of any past day, computed on request from the
ledger (`domain.finance.reports`, `domain.finance.open_items`).

Who may read each report is the permission table's entry of its type (`TrialBalance`, …):
a role without it gets null and FORBIDDEN. Arguments are checked before any SQL runs
(`schema.finance.report_arguments`). The types are in `schema.finance.financial_statements`,
`schema.finance.general_ledger` and `schema.finance.open_items`; a customer's statement of
account is `Customer.statement`.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from domain.finance import open_items as open_item_reads
from domain.finance import reports
from schema.core.ids import decode_id
from schema.core.pagination import After, First, invalid_cursor, page_request
from schema.finance import financial_statements as statements
from schema.finance import general_ledger as ledger_report
from schema.finance import open_items
from schema.finance.report_arguments import AsOf, From, To, checked_day, checked_range, comparison


def _ledger_key(key: tuple[object, ...] | None) -> tuple[date, int, int] | None:
    """The (date, entry, line) a general ledger cursor holds."""
    if key is None:
        return None
    try:
        day, entry_id, line_no = key
        return date.fromisoformat(str(day)), int(str(entry_id)), int(str(line_no))
    except ValueError as error:
        raise invalid_cursor() from error


def _aging_key(key: tuple[object, ...] | None) -> tuple[Decimal, int] | None:
    """The (total, customer) a receivables aging cursor holds."""
    if key is None:
        return None
    try:
        total, customer_id = key
        return Decimal(str(total)), int(str(customer_id))
    except (ValueError, InvalidOperation) as error:
        raise invalid_cursor() from error


@strawberry.type
class ReportQueries:
    @strawberry.field(
        description="Every account's debits, credits and balance from the first day of the "
        "books through a day. Finance only."
    )
    async def trial_balance(self, info: Info, as_of: AsOf) -> statements.TrialBalance | None:
        checked_day(as_of, "asOf")
        rows = await info.context.loaders.fetch_once(reports.trial_balance(as_of))
        return statements.trial_balance(as_of, rows)

    @strawberry.field(
        description="Income, expenses and net result of a period, optionally beside a "
        "comparison period. Finance only."
    )
    async def profit_and_loss(
        self,
        info: Info,
        start: From,
        end: To,
        compare_from: Annotated[
            date | None,
            strawberry.argument(description="First day of a comparison period (with compareTo)."),
        ] = None,
        compare_to: Annotated[
            date | None,
            strawberry.argument(description="Last day of a comparison period (with compareFrom)."),
        ] = None,
    ) -> statements.ProfitAndLoss | None:
        checked_range(start, end)
        compare = comparison(compare_from, compare_to)
        statement = reports.profit_and_loss(start, end, compare)
        rows = await info.context.loaders.fetch_once(statement)
        return statements.profit_and_loss(start, end, compare, rows)

    @strawberry.field(
        description="Assets, liabilities and equity as of a day, with the result of the "
        "periods not yet closed. Finance only."
    )
    async def balance_sheet(self, info: Info, as_of: AsOf) -> statements.BalanceSheet | None:
        checked_day(as_of, "asOf")
        rows = await info.context.loaders.fetch_once(reports.balance_sheet(as_of))
        return statements.balance_sheet(as_of, rows)

    @strawberry.field(
        description="One account's lines in a period with the running balance, keyset-"
        "paginated (`first`, `after`). Finance only."
    )
    async def general_ledger(
        self,
        info: Info,
        account: Annotated[relay.GlobalID, strawberry.argument(description="The account.")],
        start: From,
        end: To,
        first: First = None,
        after: After = None,
    ) -> ledger_report.GeneralLedger | None:
        account_id = decode_id(account, "Account", "account")
        assert account_id is not None
        checked_range(start, end)
        page = page_request(
            ledger_report.LEDGER_CONNECTION, ledger_report.LEDGER_ORDERING, first, after
        )
        found = await info.context.loaders.fetch_once(
            reports.ledger_summary(account_id, start, end)
        )
        if not found:
            raise GraphQLError(
                f"Account {account.node_id} does not exist", extensions={"code": "NOT_FOUND"}
            )
        summary = found[0]
        return ledger_report.GeneralLedger(
            account_id=account_id,
            page=page,
            after=_ledger_key(page.after),
            start=start,
            end=end,
            opening_balance=summary["opening_balance"],
            total_debit=summary["debit_total"],
            total_credit=summary["credit_total"],
            closing_balance=summary["closing_balance"],
        )

    @strawberry.field(
        description="What customers owed at a day by days past due, a page of customers "
        "(`first`, `after`), largest total first. Sales (own customers for a sales rep) and "
        "finance."
    )
    async def receivables_aging(
        self, info: Info, as_of: AsOf, first: First = None, after: After = None
    ) -> open_items.ReceivablesAging | None:
        checked_day(as_of, "asOf")
        page = page_request(open_items.AGING_CONNECTION, open_items.AGING_ORDERING, first, after)
        statement = open_item_reads.receivables_aging(
            as_of, info.context.viewer, first=page.first, after=_aging_key(page.after)
        )
        rows = await info.context.loaders.fetch_once(statement)
        return open_items.receivables_aging(as_of, page, rows)

    @strawberry.field(description="What was owed to suppliers at a day, by age. Finance only.")
    async def payables_aging(self, info: Info, as_of: AsOf) -> open_items.PayablesAging | None:
        checked_day(as_of, "asOf")
        rows = await info.context.loaders.fetch_once(open_item_reads.payables_aging(as_of))
        return open_items.payables_aging(as_of, rows)
