"""Purchase orders, stock levels and the ledger that explains them.

Every level equals the sum of its movements: an opening balance, receipts from purchase
orders, shipments of deliveries (and the returns of failed ones), goods customers sent back
(`domain.demo.corrections`), and reservations for the unshipped quantities of open
(placed/confirmed) orders. Stock is valued at each item's
standard cost, in the levels and in the movements alike.
"""

import numpy as np
import pandas as pd

from domain.demo.frame import Frame, cents_to_text


def generate_purchase_orders(frame: Frame) -> None:
    rng = frame.rng
    items = frame.tables["erp.stock_item"]
    item_count = len(items)
    n = item_count * 2
    day = np.sort(rng.integers(0, frame.days, size=n))
    supplier = rng.integers(1, len(frame.tables["erp.supplier"]) + 1, size=n)
    lead = frame.tables["erp.supplier"]["lead_time_days"].to_numpy()[supplier - 1]
    arrived = day + lead <= frame.days
    roll = rng.random(n)
    status = np.where(
        arrived,
        np.select([roll < 0.05, roll < 0.1], ["cancelled", "partially_received"], "received"),
        np.select([roll < 0.15, roll < 0.3], ["draft", "partially_received"], "ordered"),
    ).astype(object)
    for position, wanted in enumerate(
        ("draft", "ordered", "partially_received", "received", "cancelled")
    ):
        if n > position and not (status == wanted).any():
            status[-1 - position] = wanted
    ids = np.arange(1, n + 1)
    line_count = rng.integers(1, 5, size=n)
    line_po = np.repeat(ids, line_count)
    line_item = rng.integers(1, item_count + 1, size=len(line_po))
    quantity = rng.integers(2, 20, size=len(line_po)) * 10
    received = np.select(
        [status[line_po - 1] == "received", status[line_po - 1] == "partially_received"],
        [quantity, quantity // 2],
        0,
    )
    unit_cost = (
        (pd.to_numeric(items["unit_cost"]).to_numpy()[line_item - 1] * 100).round().astype(np.int64)
    )
    totals = pd.Series(unit_cost * quantity).groupby(line_po).sum().to_numpy()
    warehouse = rng.integers(1, len(frame.tables["erp.warehouse"]) + 1, size=n)
    frame.tables["erp.purchase_order"] = pd.DataFrame(
        {
            "id": ids,
            "number": [f"PO-{i:07d}" for i in ids],
            "supplier_id": supplier,
            "warehouse_id": warehouse,
            "status": status,
            "currency": "EUR",
            "total": cents_to_text(totals),
            "ordered_at": frame.day_offsets_to_instants(day, frame.business_seconds(n)),
            "expected_on": frame.day_offsets_to_dates(day + lead),
            "created_by_id": frame.pick(frame.pools["warehouse"], n)
            if len(frame.pools["warehouse"])
            else None,
        }
    )
    frame.tables["erp.purchase_order_line"] = pd.DataFrame(
        {
            "id": np.arange(1, len(line_po) + 1),
            "purchase_order_id": line_po,
            "stock_item_id": line_item,
            "quantity": quantity,
            "quantity_received": received,
            "unit_cost": cents_to_text(unit_cost),
        }
    )
    frame.pools["receipt_po"] = line_po
    frame.pools["receipt_item"] = line_item
    frame.pools["receipt_quantity"] = received
    frame.pools["receipt_day"] = np.minimum(day[line_po - 1] + lead[line_po - 1], frame.days)
    frame.pools["receipt_warehouse"] = warehouse[line_po - 1]


def generate_stock(frame: Frame) -> None:
    rng = frame.rng
    items = frame.tables["erp.stock_item"]
    item_count = len(items)
    warehouses = len(frame.tables["erp.warehouse"])
    level_item = np.repeat(np.arange(1, item_count + 1), warehouses)
    level_warehouse = np.tile(np.arange(1, warehouses + 1), item_count)
    key = (level_item - 1) * warehouses + (level_warehouse - 1)
    cost_cents = (pd.to_numeric(items["unit_cost"]).to_numpy() * 100).round().astype(np.int64)

    # Reservations: unshipped quantities of placed and confirmed orders.
    line_order = frame.pools["line_order"]
    open_line = np.isin(frame.pools["order_status"][line_order - 1], ["placed", "confirmed"])
    unshipped = np.where(open_line, frame.pools["line_quantity"] - frame.pools["line_shipped"], 0)
    reserving = np.flatnonzero(unshipped > 0)
    reserve_key = (frame.pools["line_item"][reserving] - 1) * warehouses + (
        frame.pools["order_warehouse"][line_order[reserving] - 1] - 1
    )
    reserved = np.bincount(reserve_key, weights=unshipped[reserving], minlength=len(key)).astype(
        np.int64
    )

    received = frame.pools["receipt_quantity"] > 0
    receipt_key = (frame.pools["receipt_item"][received] - 1) * warehouses + (
        frame.pools["receipt_warehouse"][received] - 1
    )
    receipts = np.bincount(
        receipt_key, weights=frame.pools["receipt_quantity"][received], minlength=len(key)
    ).astype(np.int64)

    reorder_point = items["reorder_point"].to_numpy()[level_item - 1]
    low = rng.random(len(key)) < 0.15
    spare = np.where(
        low, rng.integers(0, np.maximum(reorder_point, 1)), rng.integers(20, 400, size=len(key))
    )
    spare = np.where(low, np.minimum(spare, np.maximum(reorder_point - 1, 0)), spare)
    on_hand = np.maximum(reserved + spare, receipts)
    shipped_key = (frame.pools["line_item"] - 1) * warehouses + (
        frame.pools["order_warehouse"][line_order - 1] - 1
    )
    shipped = np.bincount(
        shipped_key, weights=frame.pools["line_shipped"], minlength=len(key)
    ).astype(np.int64)
    returned_key = (frame.pools["return_item"] - 1) * warehouses + (
        frame.pools["return_warehouse"] - 1
    )
    returned = np.bincount(
        returned_key, weights=frame.pools["return_quantity"], minlength=len(key)
    ).astype(np.int64)
    opening = on_hand - receipts + shipped - returned
    frame.tables["erp.stock_level"] = pd.DataFrame(
        {
            "id": np.arange(1, len(key) + 1),
            "stock_item_id": level_item,
            "warehouse_id": level_warehouse,
            "on_hand": on_hand,
            "reserved": reserved,
            "stock_value": cents_to_text(on_hand * cost_cents[level_item - 1]),
        }
    )
    start_instant = frame.day_offsets_to_instants(np.zeros(1, int), np.zeros(1, int)).iloc[0]
    opening_rows = pd.DataFrame(
        {
            "stock_item_id": level_item[opening > 0],
            "warehouse_id": level_warehouse[opening > 0],
            "kind": "adjustment",
            "delta_on_hand": opening[opening > 0],
            "delta_reserved": 0,
            "reason": "Opening balance",
            "sales_order_id": None,
            "delivery_id": None,
            "purchase_order_id": None,
            "occurred_at": start_instant,
        }
    )
    receipt_rows = pd.DataFrame(
        {
            "stock_item_id": frame.pools["receipt_item"][received],
            "warehouse_id": frame.pools["receipt_warehouse"][received],
            "kind": "receipt",
            "delta_on_hand": frame.pools["receipt_quantity"][received],
            "delta_reserved": 0,
            "reason": "Purchase order receipt",
            "sales_order_id": None,
            "delivery_id": None,
            "purchase_order_id": frame.pools["receipt_po"][received],
            "occurred_at": frame.day_offsets_to_instants(
                frame.pools["receipt_day"][received], frame.business_seconds(int(received.sum()))
            ),
        }
    )
    reservation_rows = pd.DataFrame(
        {
            "stock_item_id": frame.pools["line_item"][reserving],
            "warehouse_id": frame.pools["order_warehouse"][line_order[reserving] - 1],
            "kind": "reservation",
            "delta_on_hand": 0,
            "delta_reserved": unshipped[reserving],
            "reason": "Reserved for sales order",
            "sales_order_id": line_order[reserving],
            "delivery_id": None,
            "purchase_order_id": None,
            "occurred_at": frame.day_offsets_to_instants(
                frame.pools["order_day"][line_order[reserving] - 1],
                frame.business_seconds(len(reserving)),
            ),
        }
    )
    movements = pd.concat(
        [opening_rows, receipt_rows, *_shipment_rows(frame), _return_rows(frame), reservation_rows],
        ignore_index=True,
    )
    movements.insert(0, "id", np.arange(1, len(movements) + 1))
    movements["value"] = cents_to_text(
        movements["delta_on_hand"].to_numpy(np.int64)
        * cost_cents[movements["stock_item_id"].to_numpy(np.int64) - 1]
    )
    frame.tables["erp.stock_movement"] = movements


def _shipment_rows(frame: Frame) -> list[pd.DataFrame]:
    """Units leaving with every delivery, and coming back with each that failed."""
    deliveries = frame.tables["erp.delivery"]
    delivery = frame.pools["shipment_delivery"]
    order_line = frame.pools["shipment_order_line"]
    failed = frame.pools["shipment_failed"]
    quantity = frame.pools["line_quantity"][order_line - 1]
    common = {
        "stock_item_id": frame.pools["line_item"][order_line - 1],
        "warehouse_id": deliveries["warehouse_id"].to_numpy()[delivery - 1],
        "delta_reserved": 0,
        "sales_order_id": frame.pools["line_order"][order_line - 1],
        "delivery_id": delivery,
        "purchase_order_id": None,
    }
    shipments = pd.DataFrame(
        {
            **common,
            "kind": "shipment",
            "delta_on_hand": -quantity,
            "reason": "Shipped",
            "occurred_at": deliveries["shipped_at"].to_numpy()[delivery - 1],
        }
    )
    returns = pd.DataFrame(
        {
            **common,
            "kind": "return",
            "delta_on_hand": quantity,
            "reason": "Returned after failed delivery",
            "occurred_at": deliveries["failed_at"].to_numpy()[delivery - 1],
        }
    )
    return [shipments, returns[failed]]


def _return_rows(frame: Frame) -> pd.DataFrame:
    """Units customers sent back (sales returns)."""
    return pd.DataFrame(
        {
            "stock_item_id": frame.pools["return_item"],
            "warehouse_id": frame.pools["return_warehouse"],
            "kind": "return",
            "delta_on_hand": frame.pools["return_quantity"],
            "delta_reserved": 0,
            "reason": frame.pools["return_reason"],
            "sales_order_id": frame.pools["return_order"],
            "delivery_id": None,
            "purchase_order_id": None,
            "occurred_at": pd.Series(frame.pools["return_received_at"]),
        }
    )
