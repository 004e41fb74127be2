"""A campaign's lifecycle: planned, then running, then done (or called off on the way)."""

from domain.core.state_machine import StateMachine
from domain.crm.vocabulary import CAMPAIGN_STATUSES

CAMPAIGN_MACHINE = StateMachine(
    "campaign",
    CAMPAIGN_STATUSES,
    {
        "start": {"planned": "active"},
        "complete": {"active": "completed"},
        "cancel": {"planned": "cancelled", "active": "cancelled"},
    },
)
CAMPAIGN_ACTIONS = ("start", "complete", "cancel")
