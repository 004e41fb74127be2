"""The only code that changes stock: levels and their append-only ledger move together, in
units and at cost (domain.erp.stock_valuation).

Every change is a conditional `UPDATE … WHERE <the result stays valid> RETURNING`, so two
transactions can never both take the last units: the second waits for the first's row lock,
re-evaluates the condition against the committed row, and finds nothing left. Rows are
touched in (item, warehouse) order so concurrent orders for the same items never deadlock.
A change of units on hand locks its level first (in the same order), because the value that
leaves depends on the value and units there right now.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError
from domain.core.money import ZERO
from domain.erp import stock_position
from domain.erp.models.stock import StockItem, StockLevel, StockMovement
from domain.erp.stock_valuation import value_change


@dataclass(frozen=True)
class StockChange:
    """A change to one item in one warehouse; `field` names the input that asked for it.
    `value` is what incoming units cost in all (a receipt); without it they come in at the
    current average cost."""

    stock_item_id: int
    warehouse_id: int
    delta_on_hand: int = 0
    delta_reserved: int = 0
    field: str | None = None
    value: Decimal | None = None


@dataclass(frozen=True)
class Reference:
    """What a movement belongs to, for the ledger."""

    reason: str
    sales_order_id: int | None = None
    delivery_id: int | None = None
    purchase_order_id: int | None = None
    employee_id: int | None = None
    work_order_id: int | None = None


class InsufficientStock(DomainError):
    def __init__(self, sku: str, available: int, wanted: int, field: str | None) -> None:
        super().__init__(
            "INSUFFICIENT_STOCK",
            f"only {available} of {sku} available (asked for {wanted})",
            field,
        )


async def move(
    *, session: AsyncSession, kind: str, changes: list[StockChange], reference: Reference
) -> Decimal:
    """Apply `changes` as movements of `kind`; refuses any that would oversell or go negative.
    Returns the change in the value of stock at cost (negative when goods left)."""
    merged = _merge(changes)
    if any(change.delta_on_hand > 0 for change in merged):
        await _ensure_levels(session, merged)
    values = await _values(session, merged)
    for change, value in zip(merged, values, strict=True):
        new_on_hand = StockLevel.on_hand + change.delta_on_hand
        new_reserved = StockLevel.reserved + change.delta_reserved
        applied = await session.execute(
            update(StockLevel)
            .where(
                StockLevel.stock_item_id == change.stock_item_id,
                StockLevel.warehouse_id == change.warehouse_id,
                and_(new_reserved >= 0, new_on_hand >= new_reserved),
            )
            .values(
                on_hand=new_on_hand,
                reserved=new_reserved,
                stock_value=StockLevel.stock_value + value,
                updated_at=func.now(),
            )
            .returning(StockLevel.id)
        )
        if applied.first() is None:
            raise await _shortage(session, change)
    await session.execute(
        insert(StockMovement),
        [
            {
                "stock_item_id": change.stock_item_id,
                "warehouse_id": change.warehouse_id,
                "kind": kind,
                "delta_on_hand": change.delta_on_hand,
                "delta_reserved": change.delta_reserved,
                "value": value,
                "reason": reference.reason,
                "sales_order_id": reference.sales_order_id,
                "delivery_id": reference.delivery_id,
                "purchase_order_id": reference.purchase_order_id,
                "employee_id": reference.employee_id,
                "work_order_id": reference.work_order_id,
            }
            for change, value in zip(merged, values, strict=True)
        ],
    )
    return sum(values, ZERO)


async def available(session: AsyncSession, stock_item_id: int, warehouse_id: int) -> int:
    """Units that can still be promised (on hand minus reserved) in one warehouse."""
    value = await session.scalar(
        select(stock_position.available()).where(
            StockLevel.stock_item_id == stock_item_id, StockLevel.warehouse_id == warehouse_id
        )
    )
    return int(value or 0)


def _merge(changes: list[StockChange]) -> list[StockChange]:
    """One change per (item, warehouse), in lock order, dropping those that move nothing."""
    totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    fields: dict[tuple[int, int], str | None] = {}
    values: dict[tuple[int, int], Decimal] = {}
    for change in changes:
        key = (change.stock_item_id, change.warehouse_id)
        totals[key][0] += change.delta_on_hand
        totals[key][1] += change.delta_reserved
        fields.setdefault(key, change.field)
        if change.value is not None:
            values[key] = values.get(key, ZERO) + change.value
    return [
        StockChange(*key, on_hand, reserved, fields[key], values.get(key))
        for key, (on_hand, reserved) in sorted(totals.items())
        if on_hand or reserved
    ]


async def _values(session: AsyncSession, changes: list[StockChange]) -> list[Decimal]:
    """The value each change moves, its levels locked (in lock order) while it is computed."""
    moving = [(c.stock_item_id, c.warehouse_id) for c in changes if c.delta_on_hand]
    if not moving:
        return [ZERO] * len(changes)
    rows = await session.execute(
        select(
            StockLevel.stock_item_id,
            StockLevel.warehouse_id,
            StockLevel.on_hand,
            StockLevel.stock_value,
            StockItem.unit_cost,
        )
        .join(StockItem, StockItem.id == StockLevel.stock_item_id)
        .where(tuple_(StockLevel.stock_item_id, StockLevel.warehouse_id).in_(moving))
        .order_by(StockLevel.stock_item_id, StockLevel.warehouse_id)
        .with_for_update(of=StockLevel)
    )
    levels = {(row[0], row[1]): row[2:] for row in rows}
    values = []
    for change in changes:
        key = (change.stock_item_id, change.warehouse_id)
        if not change.delta_on_hand or key not in levels:
            values.append(ZERO)  # a missing level fails as a shortage when it is updated
            continue
        on_hand, stock_value, standard_cost = levels[key]
        values.append(
            value_change(
                on_hand=on_hand,
                stock_value=stock_value,
                delta=change.delta_on_hand,
                incoming_value=change.value,
                standard_cost=standard_cost,
            )
        )
    return values


async def _ensure_levels(session: AsyncSession, changes: list[StockChange]) -> None:
    # Receiving an item into a warehouse for the first time creates its level row.
    await session.execute(
        upsert(StockLevel)
        .values(
            [
                {"stock_item_id": c.stock_item_id, "warehouse_id": c.warehouse_id}
                for c in changes
                if c.delta_on_hand > 0
            ]
        )
        .on_conflict_do_nothing(index_elements=["stock_item_id", "warehouse_id"])
    )


async def _shortage(session: AsyncSession, change: StockChange) -> DomainError:
    sku = await session.scalar(select(StockItem.sku).where(StockItem.id == change.stock_item_id))
    have = await available(session, change.stock_item_id, change.warehouse_id)
    wanted = change.delta_reserved if change.delta_reserved > 0 else -change.delta_on_hand
    if wanted <= 0:
        # Releasing or shipping more than is reserved means our own bookkeeping is wrong.
        raise RuntimeError(f"stock change {change} would corrupt the ledger")
    return InsufficientStock(sku or f"item {change.stock_item_id}", have, wanted, change.field)
