"""Placing an order the way the `salesOrderPlace` mutation will: one transaction with the
order, its lines, the stock reservation and the outbox event.

The one place tests simulate the mutation; swap the body for the real service once it lands.
"""

import uuid
from decimal import Decimal

import asyncpg

WAREHOUSE_ID = 1


async def place_order(
    db: asyncpg.Connection, customer_id: int, lines: list[tuple[int, int]]
) -> tuple[int, Decimal]:
    """Place an order of (stock item, quantity) lines at list price; (order id, subtotal)."""
    async with db.transaction():
        prices = {
            row["id"]: row["unit_price"]
            for row in await db.fetch(
                "SELECT id, unit_price FROM erp.stock_item WHERE id = ANY($1::bigint[])",
                [item for item, _ in lines],
            )
        }
        subtotal = sum((prices[item] * quantity for item, quantity in lines), Decimal("0"))
        order_id = await db.fetchval(
            """
            INSERT INTO erp.sales_order (number, customer_id, warehouse_id, status, subtotal,
                                         tax_total, total, ordered_at)
            VALUES ($1, $2, $3, 'placed', $4, 0, $4, now()) RETURNING id
            """,
            f"SO-T-{uuid.uuid4().hex[:12]}",
            customer_id,
            WAREHOUSE_ID,
            subtotal,
        )
        for line_no, (item, quantity) in enumerate(lines, start=1):
            await db.execute(
                """
                INSERT INTO erp.sales_order_line (sales_order_id, line_no, stock_item_id, quantity,
                                                  list_price, unit_price, line_total)
                VALUES ($1, $2, $3, $4::int, $5::numeric, $5, $5 * $4)
                """,
                order_id,
                line_no,
                item,
                quantity,
                prices[item],
            )
            await db.execute(
                "UPDATE erp.stock_level SET reserved = reserved + $3 "
                "WHERE stock_item_id = $1 AND warehouse_id = $2",
                item,
                WAREHOUSE_ID,
                quantity,
            )
            await db.execute(
                "INSERT INTO erp.stock_movement (stock_item_id, warehouse_id, kind, "
                "delta_reserved, sales_order_id) VALUES ($1, $2, 'reservation', $3, $4)",
                item,
                WAREHOUSE_ID,
                quantity,
                order_id,
            )
        await db.execute(
            "INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, customer_id) "
            "VALUES ('sales_order.placed', 'sales_order', $1, $2)",
            order_id,
            customer_id,
        )
    return order_id, subtotal
