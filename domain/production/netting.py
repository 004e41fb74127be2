"""Material requirements planning, the arithmetic: net what items are needed for against
what is there and on its way, level by level down the bills of materials, and suggest what
to make and what to buy, each suggestion pegged to the demand it serves.

Pure: the facts come in (`domain.flows.material_plan` reads them), suggestions go out.

- An item's **free stock** is what is on hand and not reserved; reserved units already
  serve open orders and released work orders, so those are no demand here.
- **Demands** (independent: orders not reserved yet, the demand forecast less those
  orders (`consume_forecast`), weighted opportunities; dependent: components of planned
  work orders and of the suggestions made one level up) are served in date order, first
  from free stock, then from **supplies** (open purchase orders, open work orders) that
  arrive by the demand's day, then from a new suggestion.
- Items are netted by **low-level code** (the deepest level they appear on in any
  structure), so every demand on a component is known before it is netted.
- Suggestions are lot-for-lot per ISO week: needs of one item in one week become one
  suggestion due on the first of them, purchases rounded up to whole packs. A make
  suggestion starts its lead time before it is due, and its components are needed on
  that day; a buy suggestion is ordered the supplier's lead time before. One that should
  have started or been ordered before today is `late`: it starts today and is due when
  it can be done, its lead time from today.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class Demand:
    item_id: int
    on: date
    quantity: Decimal
    source: str  # sales_order_line, forecast, opportunity, work_order, suggestion
    reference: str  # the source's own id (a suggestion's key)


@dataclass(frozen=True)
class Supply:
    item_id: int
    on: date
    quantity: int
    source: str  # purchase_order, work_order
    reference: str


@dataclass(frozen=True)
class Make:
    lead_time_days: int
    components: Sequence[tuple[int, Decimal]]  # (component, units per unit made, scrap in)


@dataclass(frozen=True)
class Item:
    item_id: int
    free: int  # on hand less reserved
    pack_size: int = 1
    buy_lead_time_days: int = 0
    make: Make | None = None  # None: bought


@dataclass(frozen=True)
class Peg:
    """A demand (or the part of it) that a suggestion serves."""

    source: str
    reference: str
    on: date
    quantity: Decimal


@dataclass
class Suggestion:
    key: str
    action: str  # make, buy
    item_id: int
    due_on: date
    start_on: date
    quantity: int = 0
    late: bool = False
    pegs: list[Peg] = field(default_factory=list)


def plan(
    items: Mapping[int, Item],
    demands: Iterable[Demand],
    supplies: Iterable[Supply],
    *,
    today: date,
) -> list[Suggestion]:
    """The suggestions that cover every demand, items netted top level first."""
    wanted: dict[int, list[Demand]] = defaultdict(list)
    for demand in demands:
        if demand.quantity > 0 and demand.item_id in items:
            wanted[demand.item_id].append(demand)
    arriving: dict[int, list[Supply]] = defaultdict(list)
    for supply in supplies:
        if supply.quantity > 0:
            arriving[supply.item_id].append(supply)
    suggestions: list[Suggestion] = []
    level = levels(items)
    for item_id in sorted(items, key=lambda i: (level[i], i)):
        item = items[item_id]
        made = _net(item, wanted[item_id], arriving[item_id], today)
        suggestions += made
        if item.make is None:
            continue
        for suggestion in made:
            for component, per_unit in item.make.components:
                wanted[component].append(
                    Demand(
                        component,
                        suggestion.start_on,
                        per_unit * suggestion.quantity,
                        "suggestion",
                        suggestion.key,
                    )
                )
    return suggestions


def consume_forecast(demands: Iterable[Demand], days: int = 7) -> list[Demand]:
    """Orders already taken are part of what the forecast expected: each forecast demand
    (covering `days` from its day) is reduced by the order lines of its item due within
    them, never below zero."""
    demands = list(demands)
    orders: dict[int, list[Demand]] = defaultdict(list)
    for demand in demands:
        if demand.source == "sales_order_line":
            orders[demand.item_id].append(demand)
    consumed = []
    for demand in demands:
        if demand.source == "forecast":
            end = demand.on + timedelta(days=days)
            taken = sum(
                (o.quantity for o in orders[demand.item_id] if demand.on <= o.on < end),
                Decimal(0),
            )
            demand = Demand(
                demand.item_id,
                demand.on,
                max(demand.quantity - taken, Decimal(0)),
                demand.source,
                demand.reference,
            )
        consumed.append(demand)
    return consumed


def levels(items: Mapping[int, Item]) -> dict[int, int]:
    """Each item's low-level code: 0 for what nothing is made of, else one more than the
    deepest item made of it."""
    found = dict.fromkeys(items, 0)
    frontier = list(items)
    # Longest path downwards; structures have no cycles (refused when drafted).
    for _ in range(len(items) + 1):
        moved = []
        for item_id in frontier:
            make = items[item_id].make
            for component, _per_unit in make.components if make else ():
                if component in found and found[component] < found[item_id] + 1:
                    found[component] = found[item_id] + 1
                    moved.append(component)
        if not moved:
            break
        frontier = moved
    return found


def _net(
    item: Item, demands: list[Demand], supplies: list[Supply], today: date
) -> list[Suggestion]:
    demands = sorted(demands, key=lambda d: (d.on, d.source, d.reference))
    supplies = sorted(supplies, key=lambda s: s.on)
    free = Decimal(item.free)
    arrived = 0
    made: list[Suggestion] = []
    open_suggestion: Suggestion | None = None
    surplus = Decimal(0)  # of the open suggestion, beyond what its pegs took
    for demand in demands:
        while arrived < len(supplies) and supplies[arrived].on <= demand.on:
            free += supplies[arrived].quantity
            arrived += 1
        need = demand.quantity
        taken = min(free, need)
        free -= taken
        need -= taken
        if need <= 0:
            continue
        due = max(demand.on, today)
        if open_suggestion is not None and _week(open_suggestion.due_on) == _week(due):
            taken = min(surplus, need)
            surplus -= taken
            if taken:
                open_suggestion.pegs.append(_peg(demand, taken))
            need -= taken
            if need > 0:
                added = _lot(item, need + open_suggestion.quantity) - open_suggestion.quantity
                open_suggestion.quantity += added
                open_suggestion.pegs.append(_peg(demand, need))
                surplus += added - need
            continue
        # A new week: what the last suggestion has left over stays free stock.
        free += surplus
        taken = min(free, need)
        free -= taken
        need -= taken
        if need <= 0:
            continue
        open_suggestion = _suggest(item, due, today)
        open_suggestion.quantity = _lot(item, need)
        open_suggestion.pegs.append(_peg(demand, need))
        surplus = open_suggestion.quantity - need
        made.append(open_suggestion)
    return made


def _suggest(item: Item, needed: date, today: date) -> Suggestion:
    """Started its lead time before it is needed; when that is past, started today and
    due when it can be done at the earliest (late)."""
    action = "make" if item.make is not None else "buy"
    lead = item.make.lead_time_days if item.make is not None else item.buy_lead_time_days
    start = needed - timedelta(days=lead)
    late = start < today
    due = today + timedelta(days=lead) if late else needed
    return Suggestion(
        key=f"{action}:{item.item_id}:{due.isoformat()}",
        action=action,
        item_id=item.item_id,
        due_on=due,
        start_on=max(start, today),
        late=late,
    )


def _lot(item: Item, need: Decimal) -> int:
    units = math.ceil(need)
    if item.make is None and item.pack_size > 1:
        return math.ceil(units / item.pack_size) * item.pack_size
    return units


def _week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def _peg(demand: Demand, quantity: Decimal) -> Peg:
    return Peg(demand.source, demand.reference, demand.on, quantity)
