"""Delivery lifecycle: shipped deliveries are in transit until delivered or failed."""

from domain.core.state_machine import StateMachine

DELIVERY_STATUSES = ("in_transit", "delivered", "failed")

DELIVERY_MACHINE = StateMachine(
    "delivery",
    DELIVERY_STATUSES,
    {"deliver": {"in_transit": "delivered"}, "fail": {"in_transit": "failed"}},
)
