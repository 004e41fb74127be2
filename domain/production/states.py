"""Lifecycles of bills of materials and work orders."""

from domain.core.state_machine import StateMachine

# A draft may still change; an active revision is what work orders and the plan use; an
# archived one stays for the work orders made from it.
BOM_STATUSES = ("draft", "active", "archived")

BOM_MACHINE = StateMachine(
    "bill of materials",
    BOM_STATUSES,
    {
        "activate": {"draft": "active"},
        "archive": {"active": "archived", "draft": "archived"},
    },
)

# planned: components listed, nothing held; released: components reserved; in progress:
# output and scrap reported as they happen (components consumed with them); completed:
# closed, what is left released and the variance recorded; cancelled: reservations
# released, nothing made.
WORK_ORDER_STATUSES = ("planned", "released", "in_progress", "completed", "cancelled")

WORK_ORDER_MACHINE = StateMachine(
    "work order",
    WORK_ORDER_STATUSES,
    {
        "release": {"planned": "released"},
        "start": {"released": "in_progress"},
        "report": {"in_progress": "in_progress"},
        "close": {"in_progress": "completed"},
        "cancel": {"planned": "cancelled", "released": "cancelled", "in_progress": "cancelled"},
    },
)

# Work orders whose components are or will be needed, and whose output is still to come.
OPEN_WORK_ORDER_STATUSES = ("planned", "released", "in_progress")
