"""Closing and reopening months: after a close nothing is dated in the month any more.

Months close in order, so closed months form an unbroken run; closing a month closes every
open month before it too. Closing a month revalues open foreign-currency invoices at the
month-end rate (reversed on the first day of the next month, so the next month starts from
booked values), closes the year in December (income and expenses to retained earnings) and
freezes each account's totals of the month. Reopening, for admins only, undoes all of that
for a month and every later one, by reversals: nothing posted is ever deleted.

Both lock the books (`periods.lock_for_closing`) until they commit: a close waits for the
postings in flight, so no entry dated in a month can commit after its totals were frozen,
and keeps new ones waiting (one that read the month open is then refused by the database,
and may be retried); two closes, or a close and a reopening, run one after the other.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.core import validation
from domain.core.errors import DomainError, Problems
from domain.core.journal import Journal
from domain.finance import closing_entries, periods
from domain.finance.closing_entries import CLOSED, REOPENED
from domain.finance.models import ClosedPeriod, JournalEntry


@dataclass
class Reopened:
    """What a reopening leaves closed: the last month still closed (`id` 0 when none)."""

    id: int
    months: tuple[date, ...]


def months_from(first: date, last: date) -> Iterator[date]:
    """The first day of every month from `first`'s to `last`'s, in order."""
    month = periods.month_of(first)
    while month <= last:
        yield month
        month = periods.next_month(month)


def today() -> date:
    return datetime.now(UTC).date()


async def close(*, session: AsyncSession, journal: Journal, month: date) -> ClosedPeriod:
    """Close `month` and every open month before it, in order; the last closed period."""
    _check_month(month)
    if periods.month_end(month) >= today():
        raise DomainError("VALIDATION", f"{month:%Y-%m} has not ended yet", "month")
    await periods.lock_for_closing(session)
    last = await periods.closed_through(session)
    if last is not None and month <= last:
        raise DomainError("INVALID_TRANSITION", f"{month:%Y-%m} is closed already", "month")
    employee_id = journal.actor.employee_id
    period_id = 0
    for current in months_from(await _first_to_close(session, last, month), month):
        revaluation = await closing_entries.revalue(session, current, employee_id=employee_id)
        if revaluation is not None:
            # Reversed at once, on the first day of the next month (open still): next month
            # counts from booked values, and the next close revalues afresh.
            await closing_entries.mirror(
                session,
                revaluation,
                on=periods.next_month(current),
                event=CLOSED,
                employee_id=employee_id,
            )
        closing = None
        if current.month == 12:
            closing = await closing_entries.close_year(
                session, current.year, employee_id=employee_id
            )
        # Frozen last, so the totals include the entries the close itself wrote.
        period_id = await closing_entries.freeze(session, current, employee_id=employee_id)
        journal.record(
            "period.closed",
            entity_type="closed_period",
            entity_id=period_id,
            changes={
                "month": current,
                "revaluation": await _number(session, revaluation),
                "closing": await _number(session, closing),
            },
        )
    period = await session.get(ClosedPeriod, period_id)
    assert period is not None
    return period


async def reopen(*, session: AsyncSession, journal: Journal, month: date, reason: str) -> Reopened:
    """Reopen `month` and every later closed month: their totals are dropped and what their
    closes posted (revaluations, year-end closing) is reversed."""
    problems = Problems()
    cleaned = validation.text(problems, "reason", reason, max_length=500)
    problems.raise_if_any()
    _check_month(month)
    await periods.lock_for_closing(session)
    periods_reopened = list(
        await session.execute(
            select(ClosedPeriod.id, ClosedPeriod.month)
            .where(ClosedPeriod.month >= month)
            .order_by(ClosedPeriod.month)
        )
    )
    if not periods_reopened or periods_reopened[0].month != month:
        raise DomainError("INVALID_TRANSITION", f"{month:%Y-%m} is not closed", "month")
    # Open first (their totals go with them: ON DELETE CASCADE), so the reversals below are
    # dated in open months.
    await session.execute(delete(ClosedPeriod).where(ClosedPeriod.month >= month))
    reversed_numbers = await _undo_closes(session, month, employee_id=journal.actor.employee_id)
    for period in periods_reopened:
        journal.record(
            "period.reopened",
            entity_type="closed_period",
            entity_id=period.id,
            changes={"month": period.month, "reason": cleaned, "reversed": reversed_numbers},
        )
    still_closed = await session.scalar(
        select(ClosedPeriod.id).order_by(ClosedPeriod.month.desc()).limit(1)
    )
    return Reopened(still_closed or 0, tuple(period.month for period in periods_reopened))


async def _first_to_close(session: AsyncSession, last: date | None, month: date) -> date:
    """The first month a close up to `month` must close: the one after the last closed, or
    the month of the first line of the books (no line: `month` itself)."""
    if last is not None:
        return periods.next_month(last)
    # An entry's lines share its date; the entries' date index answers at once.
    earliest = await session.scalar(select(func.min(JournalEntry.entry_date)))
    return month if earliest is None else min(periods.month_of(earliest), month)


async def _undo_closes(session: AsyncSession, month: date, *, employee_id: int | None) -> list[str]:
    """Reverse what closes of `month` and later posted and no reopening has undone yet: each
    revaluation with its automatic reversal, each year-end closing; on their own dates, so
    every day nets to zero. The numbers of the entries reversed."""
    undone = aliased(JournalEntry)
    originals = await session.scalars(
        select(JournalEntry)
        .where(
            JournalEntry.event == CLOSED,
            JournalEntry.kind.in_(("revaluation", "closing")),
            JournalEntry.entry_date >= month,
            ~exists().where(undone.reverses_id == JournalEntry.id, undone.event == REOPENED),
        )
        .order_by(JournalEntry.entry_date, JournalEntry.id)
    )
    targets = []
    for original in list(originals):
        targets.append(original)
        targets.extend(
            await session.scalars(
                select(JournalEntry).where(
                    JournalEntry.reverses_id == original.id, JournalEntry.event == CLOSED
                )
            )
        )
    for target in targets:
        await closing_entries.mirror(
            session, target.id, on=target.entry_date, event=REOPENED, employee_id=employee_id
        )
    return [target.number for target in targets]


def _check_month(month: date) -> None:
    if month.day != 1:
        raise DomainError("VALIDATION", "must be the first day of a month", "month")


async def _number(session: AsyncSession, entry_id: int | None) -> str | None:
    if entry_id is None:
        return None
    return await session.scalar(select(JournalEntry.number).where(JournalEntry.id == entry_id))


def closed_through_query() -> Select[tuple[date | None]]:
    """The read of the last closed month (null while every month is open), for the API."""
    return select(func.max(ClosedPeriod.month).label("month"))
