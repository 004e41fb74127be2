"""The ledger's promises hold in the database itself: entries balance, nothing posted changes."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError, Rejected
from domain.finance import posting
from domain.finance.models import Account
from domain.finance.posting import Line, Posting

TODAY = date(2026, 3, 15)


def sale(amount: str, *, account: str | int = "revenue") -> Posting:
    return Posting(
        "GEN",
        TODAY,
        "Test sale",
        [Line("bank", debit=Decimal(amount)), Line(account, credit=Decimal(amount))],
        kind="manual",
    )


async def test_an_entry_that_does_not_balance_is_refused_at_commit(session: AsyncSession) -> None:
    entry = await posting.post(session, sale("10.00"), employee_id=None)
    assert entry is not None
    account = await session.scalar(text("SELECT id FROM finance.account WHERE purpose = 'bank'"))
    await session.execute(
        text(
            "INSERT INTO finance.journal_line (entry_id, line_no, account_id, entry_date, debit, "
            "currency, amount_currency) VALUES (:entry, 3, :account, :day, 5, 'EUR', 5)"
        ),
        {"entry": entry.id, "account": account, "day": TODAY},
    )
    with pytest.raises(DBAPIError, match="does not balance"):
        # What COMMIT would do: run the deferred check now.
        await session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE finance.journal_line SET debit = debit + 1",
        "DELETE FROM finance.journal_line",
        "UPDATE finance.journal_entry SET description = 'edited'",
        "DELETE FROM finance.journal_entry",
    ],
)
async def test_posted_entries_are_append_only(session: AsyncSession, change: str) -> None:
    await posting.post(session, sale("10.00"), employee_id=None)
    with pytest.raises(DBAPIError, match="append-only"):
        await session.execute(text(change))


async def test_posting_checks_balance_and_accounts_before_the_database_does(
    session: AsyncSession,
) -> None:
    unbalanced = Posting(
        "GEN",
        TODAY,
        "Typo",
        [Line("bank", debit=Decimal("10.00")), Line("revenue", credit=Decimal("1.00"))],
    )
    with pytest.raises(DomainError) as refused:
        await posting.post(session, unbalanced, employee_id=None)
    assert refused.value.code == "UNBALANCED_ENTRY"

    await session.execute(
        update(Account).where(Account.purpose == "revenue").values(is_active=False)
    )
    with pytest.raises(Rejected) as inactive:
        await posting.post(session, sale("10.00"), employee_id=None)
    assert [error.code for error in inactive.value.errors] == ["ACCOUNT_INACTIVE"]

    group = await session.scalar(text("SELECT id FROM finance.account WHERE code = '4000'"))
    with pytest.raises(Rejected) as grouping:
        await posting.post(session, sale("10.00", account=group), employee_id=None)
    assert "groups other accounts" in grouping.value.errors[0].message


async def test_lines_of_zero_post_nothing(session: AsyncSession) -> None:
    assert await posting.post(session, sale("0.00"), employee_id=None) is None
