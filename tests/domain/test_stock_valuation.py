"""Moving average cost, carried as the value of what is on hand."""

from decimal import Decimal

from domain.erp.stock_valuation import average_cost, value_change
from domain.finance.posting import Line, converted


def test_a_receipt_adds_what_it_cost_and_moves_the_average() -> None:
    added = value_change(
        on_hand=10,
        stock_value=Decimal("50.00"),
        delta=10,
        incoming_value=Decimal("70.00"),
        standard_cost=Decimal("9.99"),
    )
    assert added == Decimal("70.00")
    assert average_cost(20, Decimal("120.00")) == Decimal("6.0000")


def test_goods_leave_at_the_average_and_the_last_unit_takes_what_is_left() -> None:
    # 3 units worth 10.00: a third each would be 3.33, 3.33 and 3.34 — never a lost cent.
    first = value_change(
        on_hand=3,
        stock_value=Decimal("10.00"),
        delta=-1,
        incoming_value=None,
        standard_cost=Decimal("0"),
    )
    second = value_change(
        on_hand=2,
        stock_value=Decimal("10.00") + first,
        delta=-1,
        incoming_value=None,
        standard_cost=Decimal("0"),
    )
    last = value_change(
        on_hand=1,
        stock_value=Decimal("10.00") + first + second,
        delta=-1,
        incoming_value=None,
        standard_cost=Decimal("0"),
    )
    assert (first, second, last) == (Decimal("-3.33"), Decimal("-3.34"), Decimal("-3.33"))
    assert first + second + last == Decimal("-10.00")


def test_units_found_without_a_price_come_in_at_the_average_or_the_standard_cost() -> None:
    assert value_change(
        on_hand=4,
        stock_value=Decimal("10.00"),
        delta=2,
        incoming_value=None,
        standard_cost=Decimal("9.00"),
    ) == Decimal("5.00")
    assert value_change(
        on_hand=0,
        stock_value=Decimal("0"),
        delta=2,
        incoming_value=None,
        standard_cost=Decimal("9.00"),
    ) == Decimal("18.00")


def test_a_foreign_currency_entry_is_converted_and_still_balances() -> None:
    # At 0.5, 100.05 net and 19.05 tax round to 50.03 and 9.53, but their 119.10 total to
    # 59.55: the largest line takes up the cent so the entry balances.
    lines = converted(
        [
            Line("receivable", debit=Decimal("119.10")),
            Line("revenue", credit=Decimal("100.05")),
            Line("output_vat", credit=Decimal("19.05")),
        ],
        "USD",
        Decimal("0.5"),
    )
    assert [(line.debit, line.credit) for line in lines] == [
        (Decimal("59.56"), Decimal("0")),
        (Decimal("0"), Decimal("50.03")),
        (Decimal("0"), Decimal("9.53")),
    ]
    assert [line.amount_currency for line in lines] == [
        Decimal("119.10"),
        Decimal("-100.05"),
        Decimal("-19.05"),
    ]
    assert all(line.currency == "USD" for line in lines)
