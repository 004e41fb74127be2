"""Closed months: listing them, closing the books through a month, and reopening (admins)."""

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain.finance import closing
from domain.finance.models import ClosedPeriod
from schema.core.connections import by_date, root_connection
from schema.core.mutations import INPUT, MutationError, mutation, run_mutation
from schema.core.nodes import TableNode, desc
from schema.core.relations import ESTIMATED_ITEMS, ToOne
from schema.erp.employees import Employee


@strawberry.type(
    description="A closed month: nothing is dated in it any more. An event of a closed month "
    "posts on the first day of the first open month; an entry written by hand is refused."
)
class AccountingPeriod(TableNode):
    MODEL = ClosedPeriod
    id: relay.NodeID[int]
    month: date = desc("The month, as its first day.")
    closed_at: datetime = desc("When it was closed.")

    closed_by: Employee | None = ToOne[Employee]("closed_by_id").field(
        "Who closed it; null when the system did."
    )


@strawberry.type
class PeriodQueries:
    accounting_periods = root_connection(
        AccountingPeriod,
        description="Closed months, newest first (closed months form an unbroken run).",
        sort=by_date("month"),
    )

    @strawberry.field(
        description="The last closed month, as its first day: nothing may be dated in it or "
        "before it. Null while every month is open. Everyone may read it: whoever records "
        "an event of an earlier day learns where its entry will be dated."
    )
    async def books_closed_through(self, info: Info) -> date | None:
        rows = await info.context.loaders.fetch_once(closing.closed_through_query())
        return rows[0]["month"] if rows else None


@strawberry.input(description="Close the books through a month.")
class PeriodCloseInput:
    month: date = strawberry.field(
        description="The first day of the month to close; the month must have ended. Every "
        "open month before it is closed too, in order."
    )


@strawberry.input(description="Reopen a closed month, and every later one (admins only).")
class PeriodReopenInput:
    month: date = strawberry.field(description="The first day of the closed month to reopen.")
    reason: str = strawberry.field(description="Why (required; kept in the audit trail).")


@strawberry.type(description="Result of periodReopen.")
class PeriodReopenPayload:
    accounting_period: AccountingPeriod | None = strawberry.field(
        default=None,
        description="The last month still closed after the reopening; null when no month "
        "is closed any more, or on errors.",
    )
    errors: list[MutationError] = strawberry.field(
        default_factory=list,
        description="Why nothing was changed; empty on success.",
        metadata={ESTIMATED_ITEMS: 5},
    )


@strawberry.type
class PeriodMutations:
    period_close = mutation(
        PeriodCloseInput,
        AccountingPeriod,
        "Close a month and every open month before it: open foreign-currency invoices are "
        "revalued at the month-end rate (reversed on the next day), December closes the "
        "year (income and expenses to retained earnings), and the month's account totals "
        "are frozen. Returns the month closed.",
        lambda input, session, journal: closing.close(
            session=session, journal=journal, month=input.month
        ),
    )

    @strawberry.mutation(
        description="Reopen a closed month and every later one (admins only, audited with "
        "the reason): their totals are dropped and what their closes posted (revaluations, "
        "year-end closing) is reversed; closing them again posts afresh."
    )
    async def period_reopen(
        self, info: Info, input: Annotated[PeriodReopenInput, INPUT]
    ) -> PeriodReopenPayload:
        # The month reopened no longer exists as a node: the payload names what stays closed.
        return await run_mutation(
            info,
            input,
            lambda input, session, journal: closing.reopen(
                session=session, journal=journal, month=input.month, reason=input.reason
            ),
            node=AccountingPeriod,
            payload=PeriodReopenPayload,
            entity="accounting_period",
            writes="PeriodReopening",
            request=None,
        )
