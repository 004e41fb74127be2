"""Quote lifecycle: draft → sent → accepted or declined; a draft or sent quote whose last
valid day has passed is expired.

Expiry is read, not stored: `current_status` is the rule every surface uses (the API's
`status`, the root list's filter, the check before accepting), so a quote is expired the
day after its `valid_until` without a job to mark it.
"""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, case, func, literal

from domain.core.literal_sql import one_of
from domain.core.state_machine import StateMachine

QUOTE_STATUSES = ("draft", "sent", "accepted", "declined", "expired")
# What the table holds; `expired` is only ever read.
STORED_QUOTE_STATUSES = ("draft", "sent", "accepted", "declined")
# A quote still waiting for an answer expires when its last valid day has passed.
OPEN_QUOTE_STATUSES = ("draft", "sent")

QUOTE_MACHINE = StateMachine(
    "quote",
    QUOTE_STATUSES,
    {
        "send": {"draft": "sent"},
        "accept": {"sent": "accepted"},
        "decline": {"sent": "declined"},
    },
)


def is_expired(quote: Any, as_of: date | None = None) -> ColumnElement[bool]:
    """Still open, and its last valid day is before `as_of` (today by default)."""
    day = func.current_date() if as_of is None else literal(as_of, Date)
    return and_(one_of(quote.c.status, OPEN_QUOTE_STATUSES), quote.c.valid_until < day)


def current_status(quote: Any, as_of: date | None = None) -> ColumnElement[str]:
    """The stored status, or `expired` for an open quote past its valid-until day."""
    return case((is_expired(quote, as_of), "expired"), else_=quote.c.status)
