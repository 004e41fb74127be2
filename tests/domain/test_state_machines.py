"""Lifecycle rules of orders, deliveries, invoices, purchase orders, deals and tickets."""

from decimal import Decimal

import pytest

from domain.core.errors import DomainError, InvalidTransition
from domain.crm import opportunity_stages
from domain.crm.ticket_states import TICKET_MACHINE
from domain.erp.delivery_states import DELIVERY_MACHINE
from domain.erp.invoice_states import INVOICE_MACHINE, ensure_voidable, status_after_payment
from domain.erp.order_states import ORDER_MACHINE, reserves_stock
from domain.erp.purchase_order_states import PURCHASE_ORDER_MACHINE, status_after_receipt


@pytest.mark.parametrize(
    ("machine", "current", "action", "expected"),
    [
        (ORDER_MACHINE, "draft", "place", "placed"),
        (ORDER_MACHINE, "draft", "confirm", "confirmed"),
        (ORDER_MACHINE, "placed", "confirm", "confirmed"),
        (ORDER_MACHINE, "confirmed", "fulfil", "fulfilled"),
        (ORDER_MACHINE, "placed", "cancel", "cancelled"),
        (DELIVERY_MACHINE, "in_transit", "deliver", "delivered"),
        (DELIVERY_MACHINE, "in_transit", "fail", "failed"),
        (INVOICE_MACHINE, "issued", "void", "void"),
        (PURCHASE_ORDER_MACHINE, "ordered", "complete", "received"),
        (TICKET_MACHINE, "waiting", "resolve", "resolved"),
        (TICKET_MACHINE, "resolved", "reopen", "open"),
    ],
)
def test_legal_transitions(machine, current: str, action: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert machine.next(current, action) == expected


@pytest.mark.parametrize(
    ("machine", "current", "action"),
    [
        (ORDER_MACHINE, "fulfilled", "cancel"),
        (ORDER_MACHINE, "cancelled", "place"),
        (ORDER_MACHINE, "confirmed", "place"),
        (DELIVERY_MACHINE, "delivered", "fail"),
        (INVOICE_MACHINE, "paid", "void"),
        (TICKET_MACHINE, "closed", "reopen"),
        (PURCHASE_ORDER_MACHINE, "received", "cancel"),
    ],
)
def test_illegal_transitions_have_a_stable_code(machine, current: str, action: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidTransition) as error:
        machine.next(current, action)
    assert error.value.code == "INVALID_TRANSITION"


def test_final_states_allow_nothing() -> None:
    assert ORDER_MACHINE.is_final("fulfilled") and ORDER_MACHINE.is_final("cancelled")
    assert DELIVERY_MACHINE.is_final("delivered") and INVOICE_MACHINE.is_final("void")
    assert TICKET_MACHINE.is_final("closed")


def test_reservations_follow_order_status() -> None:
    assert [s for s in ORDER_MACHINE.statuses if reserves_stock(s)] == ["placed", "confirmed"]


def test_invoice_payment_status_and_voiding() -> None:
    assert status_after_payment(Decimal("100"), Decimal("0")) == "issued"
    assert status_after_payment(Decimal("100"), Decimal("40")) == "partially_paid"
    assert status_after_payment(Decimal("100"), Decimal("100")) == "paid"
    with pytest.raises(DomainError) as error:
        ensure_voidable("partially_paid", Decimal("10"))
    assert error.value.code == "INVOICE_HAS_PAYMENTS"


def test_purchase_order_receipts() -> None:
    assert status_after_receipt(10, 0) == "ordered"
    assert status_after_receipt(10, 4) == "partially_received"
    assert status_after_receipt(10, 10) == "received"


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("prospecting", "proposal", True),
        ("proposal", "qualification", True),
        ("negotiation", "prospecting", False),
        ("qualification", "won", False),
        ("negotiation", "won", True),
        ("prospecting", "lost", True),
        ("won", "lost", False),
        ("lost", "prospecting", False),
    ],
)
def test_opportunity_moves(current: str, target: str, allowed: bool) -> None:
    if allowed:
        assert opportunity_stages.move(current, target) == target
    else:
        with pytest.raises(InvalidTransition):
            opportunity_stages.move(current, target)
    assert opportunity_stages.DEFAULT_PROBABILITY["negotiation"] == 75
