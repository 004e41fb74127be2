"""Stock at cost: a moving average per item and warehouse, kept as the value of what is on hand.

Each stock level carries `stock_value`, what its units on hand cost. Goods coming in add
what they cost (a receipt at its purchase price; a return or a found unit at the current
average); goods going out take their share of the value at the current average, and the
last unit out takes whatever value is left. The average is therefore `stock_value / on_hand`
at any moment, and because the total is what is stored, rounding never makes the value of
the stock drift away from the sum of its movements, which is what the inventory account in
the ledger holds.
"""

from decimal import Decimal

from domain.core.money import ZERO, money


def value_change(
    *,
    on_hand: int,
    stock_value: Decimal,
    delta: int,
    incoming_value: Decimal | None,
    standard_cost: Decimal,
) -> Decimal:
    """The change in stock value when `delta` units move (negative: they leave)."""
    if delta == 0:
        return ZERO
    if delta > 0:
        if incoming_value is not None:
            return money(incoming_value)
        average = stock_value / on_hand if on_hand > 0 else standard_cost
        return money(average * delta)
    if on_hand + delta <= 0:
        return -stock_value
    return -money(stock_value * -delta / on_hand)


def average_cost(on_hand: int, stock_value: Decimal) -> Decimal | None:
    """What one unit on hand cost on average; None when nothing is on hand."""
    return (stock_value / on_hand).quantize(Decimal("0.0001")) if on_hand > 0 else None
