"""The financial statements as GraphQL types: trial balance, profit and loss and balance
sheet, each built from the rows of one statement of `domain.finance.reports`.

Section totals, net results and running balances are computed in that SQL; these types
only arrange its rows. Amounts are in the company currency (EUR).
"""

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from domain.core.reads import Row
from domain.finance import reports
from schema.core.nodes import desc
from schema.core.relations import ESTIMATED_ITEMS
from schema.finance.ledger import Account, AccountType

ZERO = Decimal("0.00")
# Rows the query cost estimate counts for a list of accounts: about the size of a chart.
CHART_SIZE = 100


async def account_of(info: Info, account_id: int) -> Account | None:
    """An account by id, through the request's loader (one statement per level)."""
    row = await info.context.loaders.by_id(Account).load(account_id)
    return None if row is None else Account.from_row(row)


@strawberry.type(description="An account as a report shows it.")
class AccountRow:
    account_id: strawberry.Private[int]
    code: str = desc("Account number.")
    name: str = desc("Account name.")
    type: AccountType = desc("Asset, liability, equity, income or expense.")

    @strawberry.field(description="The account, with everything the chart holds about it.")
    async def account(self, info: Info) -> Account | None:
        return await account_of(info, self.account_id)


def _account_fields(row: Row) -> dict[str, Any]:
    return {
        "account_id": row["account_id"],
        "code": row["code"],
        "name": row["name"],
        "type": row["type"],
    }


@strawberry.type(description="An account's debits, credits and balance through the report's day.")
class TrialBalanceRow(AccountRow):
    debit: Decimal = desc("Debits from the first day of the books through `asOf`.")
    credit: Decimal = desc("Credits from the first day of the books through `asOf`.")
    balance: Decimal = desc("Debit − credit: positive is a debit balance, negative a credit one.")


@strawberry.type(
    description="Every account that moved from the first day of the books through a day, with "
    "its debits, credits and balance; the debits of all accounts equal their credits."
)
class TrialBalance:
    as_of: date = desc("The day the balances are as of (included).")
    rows: list[TrialBalanceRow] = strawberry.field(
        description="Accounts with any debit or credit, by account number.",
        metadata={ESTIMATED_ITEMS: CHART_SIZE},
    )
    total_debit: Decimal = desc("Debits of all accounts.")
    total_credit: Decimal = desc("Credits of all accounts.")
    balanced: bool = desc("Whether the debits equal the credits (they always should).")


def trial_balance(as_of: date, rows: list[Row]) -> TrialBalance:
    total_debit = rows[0]["debit_total"] if rows else ZERO
    total_credit = rows[0]["credit_total"] if rows else ZERO
    return TrialBalance(
        as_of=as_of,
        rows=[
            TrialBalanceRow(
                **_account_fields(row),
                debit=row["debit"],
                credit=row["credit"],
                balance=row["balance"],
            )
            for row in rows
        ],
        total_debit=total_debit,
        total_credit=total_credit,
        balanced=total_debit == total_credit,
    )


@strawberry.type(description="What an income or expense account moved in the period.")
class ProfitAndLossRow(AccountRow):
    amount: Decimal = desc(
        "The movement on the account's normal side: credit − debit for income, debit − credit "
        "for expenses (closing entries left out)."
    )
    compare_amount: Decimal | None = desc("The same in the comparison period; null without one.")


@strawberry.type(description="The income or the expense accounts of a profit and loss report.")
class ProfitAndLossSection:
    type: AccountType = desc("INCOME or EXPENSE.")
    rows: list[ProfitAndLossRow] = strawberry.field(
        description="Accounts that moved in either period, by account number.",
        metadata={ESTIMATED_ITEMS: CHART_SIZE},
    )
    total: Decimal = desc("Sum of the rows' amounts.")
    compare_total: Decimal | None = desc("Sum of the rows' comparison amounts; null without one.")


@strawberry.type(
    description="Income and expenses of a period and their difference, the net result, "
    "optionally beside a comparison period. Entries closing a year into retained earnings are "
    "left out, so a closed year still shows its result."
)
class ProfitAndLoss:
    start: date = strawberry.field(name="from", description="First day of the period.")
    end: date = strawberry.field(name="to", description="Last day of the period.")
    compare_from: date | None = desc("First day of the comparison period, if any.")
    compare_to: date | None = desc("Last day of the comparison period, if any.")
    income: ProfitAndLossSection = desc("Income accounts.")
    expenses: ProfitAndLossSection = desc("Expense accounts.")
    net_result: Decimal = desc("Income − expenses: positive is a profit.")
    compare_net_result: Decimal | None = desc(
        "The same in the comparison period; null without one."
    )


def _section(kind: str, rows: list[Row], compared: bool) -> ProfitAndLossSection:
    mine = [row for row in rows if row["type"] == kind]
    return ProfitAndLossSection(
        type=kind,
        rows=[
            ProfitAndLossRow(
                **_account_fields(row),
                amount=row["amount"],
                compare_amount=row["compare_amount"] if compared else None,
            )
            for row in mine
        ],
        total=mine[0]["type_total"] if mine else ZERO,
        compare_total=(mine[0]["compare_type_total"] if mine else ZERO) if compared else None,
    )


def profit_and_loss(
    start: date, end: date, compare: tuple[date, date] | None, rows: list[Row]
) -> ProfitAndLoss:
    compared = compare is not None
    return ProfitAndLoss(
        start=start,
        end=end,
        compare_from=compare[0] if compare else None,
        compare_to=compare[1] if compare else None,
        income=_section("income", rows, compared),
        expenses=_section("expense", rows, compared),
        net_result=rows[0]["net_result"] if rows else ZERO,
        compare_net_result=(rows[0]["compare_net_result"] if rows else ZERO) if compared else None,
    )


@strawberry.type(description="An account's balance on a balance sheet.")
class BalanceSheetRow(AccountRow):
    balance: Decimal = desc(
        "The balance on the account's normal side: debit − credit for assets, credit − debit "
        "for liabilities and equity."
    )


@strawberry.type(description="The asset, liability or equity accounts of a balance sheet.")
class BalanceSheetSection:
    type: AccountType = desc("ASSET, LIABILITY or EQUITY.")
    rows: list[BalanceSheetRow] = strawberry.field(
        description="Accounts with a balance, by account number.",
        metadata={ESTIMATED_ITEMS: CHART_SIZE},
    )
    total: Decimal = desc("Sum of the rows' balances.")


@strawberry.type(
    description="Assets, liabilities and equity as of a day, and the result not yet closed "
    "into equity: assets = liabilities + equity + current result."
)
class BalanceSheet:
    as_of: date = desc("The day the balances are as of (included).")
    assets: BalanceSheetSection = desc("Asset accounts.")
    liabilities: BalanceSheetSection = desc("Liability accounts.")
    equity: BalanceSheetSection = desc("Equity accounts.")
    current_result: Decimal = desc(
        "Income − expenses not yet moved to retained earnings by a closing entry: the result "
        "of the periods not yet closed, shown under equity."
    )
    total_assets: Decimal = desc("Sum of the asset balances.")
    total_liabilities_and_equity: Decimal = desc(
        "Liabilities + equity + the current result; equal to the total assets."
    )
    balanced: bool = desc("Whether the two totals agree (they always should).")


def balance_sheet(as_of: date, rows: list[Row]) -> BalanceSheet:
    sections = {
        kind: BalanceSheetSection(
            type=kind,
            rows=[
                BalanceSheetRow(**_account_fields(row), balance=row["amount"])
                for row in rows
                if row["type"] == kind
            ],
            total=next((row["type_total"] for row in rows if row["type"] == kind), ZERO),
        )
        for kind in reports.BALANCE_SHEET_TYPES
    }
    result = rows[0]["current_result"] if rows else ZERO
    other_side = sections["liability"].total + sections["equity"].total + result
    return BalanceSheet(
        as_of=as_of,
        assets=sections["asset"],
        liabilities=sections["liability"],
        equity=sections["equity"],
        current_result=result,
        total_assets=sections["asset"].total,
        total_liabilities_and_equity=other_side,
        balanced=sections["asset"].total == other_side,
    )
