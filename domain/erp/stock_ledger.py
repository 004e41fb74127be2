"""The only code that changes stock: levels and their append-only ledger move together.

Every change is a conditional `UPDATE … WHERE <the result stays valid> RETURNING`, so two
transactions can never both take the last units: the second waits for the first's row lock,
re-evaluates the condition against the committed row, and finds nothing left. Rows are
touched in (item, warehouse) order so concurrent orders for the same items never deadlock.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError
from domain.erp import stock_position
from domain.erp.models.stock import StockItem, StockLevel, StockMovement


@dataclass(frozen=True)
class StockChange:
    """A change to one item in one warehouse; `field` names the input that asked for it."""

    stock_item_id: int
    warehouse_id: int
    delta_on_hand: int = 0
    delta_reserved: int = 0
    field: str | None = None


@dataclass(frozen=True)
class Reference:
    """What a movement belongs to, for the ledger."""

    reason: str
    sales_order_id: int | None = None
    delivery_id: int | None = None
    purchase_order_id: int | None = None
    employee_id: int | None = None


class InsufficientStock(DomainError):
    def __init__(self, sku: str, available: int, wanted: int, field: str | None) -> None:
        super().__init__(
            "INSUFFICIENT_STOCK",
            f"only {available} of {sku} available (asked for {wanted})",
            field,
        )


async def move(
    *, session: AsyncSession, kind: str, changes: list[StockChange], reference: Reference
) -> None:
    """Apply `changes` as movements of `kind`; refuses any that would oversell or go negative."""
    merged = _merge(changes)
    if any(change.delta_on_hand > 0 for change in merged):
        await _ensure_levels(session, merged)
    for change in merged:
        new_on_hand = StockLevel.on_hand + change.delta_on_hand
        new_reserved = StockLevel.reserved + change.delta_reserved
        applied = await session.execute(
            update(StockLevel)
            .where(
                StockLevel.stock_item_id == change.stock_item_id,
                StockLevel.warehouse_id == change.warehouse_id,
                and_(new_reserved >= 0, new_on_hand >= new_reserved),
            )
            .values(on_hand=new_on_hand, reserved=new_reserved, updated_at=func.now())
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
                "reason": reference.reason,
                "sales_order_id": reference.sales_order_id,
                "delivery_id": reference.delivery_id,
                "purchase_order_id": reference.purchase_order_id,
                "employee_id": reference.employee_id,
            }
            for change in merged
        ],
    )


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
    for change in changes:
        key = (change.stock_item_id, change.warehouse_id)
        totals[key][0] += change.delta_on_hand
        totals[key][1] += change.delta_reserved
        fields.setdefault(key, change.field)
    return [
        StockChange(item, warehouse, on_hand, reserved, fields[(item, warehouse)])
        for (item, warehouse), (on_hand, reserved) in sorted(totals.items())
        if on_hand or reserved
    ]


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
