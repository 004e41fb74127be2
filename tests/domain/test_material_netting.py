"""Material requirements netting, in plain Python: free stock, supplies by their day,
weekly lots, packs, lead times, explosion level by level, and pegging."""

from datetime import date, timedelta
from decimal import Decimal

from domain.production.netting import Demand, Item, Make, Supply, consume_forecast, levels, plan

TODAY = date(2026, 3, 2)  # a Monday


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def demand(item: int, offset: int, quantity: str, reference: str = "o1") -> Demand:
    return Demand(item, day(offset), Decimal(quantity), "sales_order_line", reference)


def test_free_stock_first_then_a_purchase_in_whole_packs() -> None:
    items = {1: Item(1, free=10, pack_size=6, buy_lead_time_days=2)}
    (buy,) = plan(items, [demand(1, 1, "4"), demand(1, 3, "10", "o2")], [], today=TODAY)
    assert (buy.action, buy.quantity, buy.due_on, buy.start_on, buy.late) == (
        "buy",
        6,  # 4 short, a pack of 6
        day(3),
        day(1),
        False,
    )
    assert [(p.reference, p.quantity) for p in buy.pegs] == [("o2", Decimal(4))]


def test_a_supply_serves_only_demands_on_or_after_its_day() -> None:
    items = {1: Item(1, free=0)}
    supplies = [Supply(1, day(5), 10, "purchase_order", "po1")]
    suggestions = plan(items, [demand(1, 3, "4"), demand(1, 6, "8", "o2")], supplies, today=TODAY)
    assert [(s.due_on, s.quantity) for s in suggestions] == [(day(3), 4)]


def test_needs_of_one_week_make_one_suggestion_and_the_next_week_another() -> None:
    items = {1: Item(1, free=0)}
    demands = [demand(1, 0, "3", "a"), demand(1, 4, "2", "b"), demand(1, 7, "5", "c")]
    first, second = plan(items, demands, [], today=TODAY)
    assert (first.due_on, first.quantity) == (day(0), 5)
    assert [(p.reference, p.quantity) for p in first.pegs] == [("a", 3), ("b", 2)]
    assert (second.due_on, second.quantity, [p.reference for p in second.pegs]) == (
        day(7),
        5,
        ["c"],
    )


def test_demand_explodes_through_every_level_with_lead_times() -> None:
    # P (2 days) = 1 S + 4 B; S (3 days) = 2.2 A (scrap included); A bought in 7 days.
    items = {
        1: Item(1, free=2, make=Make(2, [(2, Decimal(1)), (4, Decimal(4))])),
        2: Item(2, free=3, make=Make(3, [(3, Decimal("2.2"))])),
        3: Item(3, free=0, buy_lead_time_days=7),
        4: Item(4, free=100, buy_lead_time_days=1),
    }
    suggestions = {s.item_id: s for s in plan(items, [demand(1, 10, "10")], [], today=TODAY)}
    assert set(suggestions) == {1, 2, 3}  # B is covered by stock
    product, sub, part = suggestions[1], suggestions[2], suggestions[3]
    assert (product.action, product.quantity, product.due_on, product.start_on) == (
        "make",
        8,
        day(10),
        day(8),
    )
    assert (sub.quantity, sub.due_on, sub.start_on) == (5, day(8), day(5))
    assert [(p.source, p.reference) for p in sub.pegs] == [("suggestion", product.key)]
    # 5 × 2.2 = 11 units of A, needed on day 5, ordered 7 days before: late, so ordered
    # today and due in 7 days.
    assert (part.quantity, part.due_on, part.start_on, part.late) == (11, day(7), TODAY, True)


def test_a_component_used_at_two_depths_is_netted_at_the_deepest() -> None:
    items = {
        1: Item(1, free=0, make=Make(0, [(2, Decimal(1)), (3, Decimal(1))])),
        2: Item(2, free=0, make=Make(0, [(3, Decimal(1))])),
        3: Item(3, free=0),
    }
    assert levels(items) == {1: 0, 2: 1, 3: 2}
    (part,) = [s for s in plan(items, [demand(1, 0, "1")], [], today=TODAY) if s.item_id == 3]
    # One unit straight into P and one through S: both demands are netted together.
    assert part.quantity == 2
    assert sorted(p.reference for p in part.pegs) == ["make:1:2026-03-02", "make:2:2026-03-02"]


def test_orders_taken_are_part_of_the_forecast_they_fall_in() -> None:
    forecast = [
        Demand(1, day(0), Decimal(10), "forecast", "week 1"),
        Demand(1, day(7), Decimal(10), "forecast", "week 2"),
        Demand(2, day(0), Decimal(3), "forecast", "other item"),
    ]
    orders = [demand(1, 1, "4"), demand(1, 2, "9", "o2")]
    consumed = consume_forecast([*orders, *forecast])
    assert [(d.reference, d.quantity) for d in consumed if d.source == "forecast"] == [
        ("week 1", Decimal(0)),  # 13 ordered in its week: the forecast is used up
        ("week 2", Decimal(10)),
        ("other item", Decimal(3)),
    ]
    # Netted, the first week needs the 13 ordered, not 13 plus the forecast's 10.
    (buy, later) = plan({1: Item(1, free=0)}, consumed, [], today=TODAY)
    assert (buy.quantity, later.quantity) == (13, 10)
