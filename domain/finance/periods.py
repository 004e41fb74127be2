"""Accounting periods: calendar months, closed in order, after which nothing is dated in them.

Closed months form an unbroken run from the first month of the books; `closed_through` is
the last of them. A close locks the lines table against writers (`lock_for_closing`): it
waits for every transaction that has written lines to finish, and keeps new ones out until
it commits, so it never freezes a month's totals while an entry dated in it is still being
written. A posting that read the books open just before a close, and writes after it, is
stopped by the database (a trigger refuses lines dated in a closed month; migration 0016)
and reported as `PERIOD_CLOSED`: nothing is written and the operation may simply be retried.
"""

from datetime import date, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.finance.models import ClosedPeriod


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


async def closed_through(session: AsyncSession) -> date | None:
    """The last closed month (its first day), or None while every month is open."""
    return await session.scalar(select(func.max(ClosedPeriod.month)))


def first_open_day(last_closed: date | None) -> date | None:
    """The first day an entry may be dated in, after the last closed month."""
    return None if last_closed is None else next_month(last_closed)


async def lock_for_closing(session: AsyncSession) -> None:
    """Wait for postings in flight, and keep new ones out until this transaction ends."""
    # SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE lock every insert takes, and
    # with itself (two closes), but not with reads.
    await session.execute(text("LOCK TABLE finance.journal_line IN SHARE ROW EXCLUSIVE MODE"))
