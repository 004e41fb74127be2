"""Support ticket lifecycle and vocabularies."""

from domain.core.state_machine import StateMachine

TICKET_STATUSES = ("open", "in_progress", "waiting", "resolved", "closed")
TICKET_CATEGORIES = ("question", "incident", "complaint", "return", "billing")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")

TICKET_MACHINE = StateMachine(
    "ticket",
    TICKET_STATUSES,
    {
        "start": {"open": "in_progress", "waiting": "in_progress"},
        "wait": {"open": "waiting", "in_progress": "waiting"},
        "resolve": {"open": "resolved", "in_progress": "resolved", "waiting": "resolved"},
        "reopen": {"resolved": "open"},
        "close": {"resolved": "closed"},
    },
)
