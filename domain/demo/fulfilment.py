"""Deliveries, invoices, payments, purchase orders and the stock they leave behind."""

import numpy as np
import pandas as pd

from domain.demo.frame import Frame, cents_to_text, round_half_up_div

CARRIERS = np.array(["DHL", "UPS", "DPD", "GLS", "FedEx"])
PAYMENT_TERMS_DAYS = 30


def _not_yet_fulfilled(frame: Frame, orders: np.ndarray) -> None:
    """Orders whose full delivery is still on its way are confirmed, not yet fulfilled: an
    order is fulfilled when every unit arrived (`domain.erp.deliveries.mark_delivered`)."""
    if not len(orders):
        return
    status = frame.pools["order_status"]
    status[orders - 1] = "confirmed"
    frame.tables["erp.sales_order"]["status"] = status


def generate_deliveries(frame: Frame) -> None:
    """Ship fulfilled orders in full (a few after a failed attempt), some confirmed in part."""
    rng = frame.rng
    status = frame.pools["order_status"]
    order_day = frame.pools["order_day"]
    n_orders = len(status)
    order_ids = np.arange(1, n_orders + 1)
    line_order = frame.pools["line_order"]

    fulfilled = order_ids[status == "fulfilled"]
    confirmed = order_ids[status == "confirmed"]
    partial = confirmed[rng.random(len(confirmed)) < 0.4]
    failed_first = fulfilled[rng.random(len(fulfilled)) < 0.03]
    if len(fulfilled) and not len(failed_first):
        failed_first = fulfilled[:1]

    # One row per delivery: (order, kind) where kind 0 = failed attempt, 1 = full, 2 = partial.
    delivery_order = np.concatenate([failed_first, fulfilled, partial])
    kind = np.concatenate(
        [np.zeros(len(failed_first), int), np.ones(len(fulfilled), int), np.full(len(partial), 2)]
    )
    sort = np.lexsort((kind, delivery_order))
    delivery_order, kind = delivery_order[sort], kind[sort]
    n = len(delivery_order)
    ids = np.arange(1, n + 1)
    ship_day = order_day[delivery_order - 1] + rng.integers(1, 4, size=n)
    ship_day = np.where(
        kind == 1, ship_day + np.where(np.isin(delivery_order, failed_first), 4, 0), ship_day
    )
    ship_day = np.minimum(ship_day, frame.days)
    expected_transit = rng.integers(2, 5, size=n)
    transit = expected_transit + np.where(
        rng.random(n) < 0.12, rng.integers(1, 6, size=n), -rng.integers(0, 2, size=n)
    )
    arrival = ship_day + np.maximum(transit, 1)
    arrived = arrival <= frame.days
    delivery_status = np.where(kind == 0, "failed", np.where(arrived, "delivered", "in_transit"))
    if n and not (delivery_status == "in_transit").any():
        delivery_status[-1] = "in_transit"
        arrived[-1] = False
    _not_yet_fulfilled(frame, delivery_order[(kind == 1) & (delivery_status == "in_transit")])
    seconds = frame.business_seconds(n)
    shipped_at = frame.day_offsets_to_instants(ship_day, seconds)
    expected_at = frame.day_offsets_to_instants(ship_day + expected_transit, seconds, planned=True)
    arrival_at = frame.day_offsets_to_instants(np.minimum(arrival, frame.days), seconds + 3600)
    carrier = frame.pick(CARRIERS, n)
    frame.tables["erp.delivery"] = pd.DataFrame(
        {
            "id": ids,
            "number": [f"DL-{i:08d}" for i in ids],
            "sales_order_id": delivery_order,
            "warehouse_id": frame.pools["order_warehouse"][delivery_order - 1],
            "status": delivery_status,
            "carrier": carrier,
            "tracking_number": [
                f"{c[:2].upper()}{rng_value:010d}"
                for c, rng_value in zip(carrier, rng.integers(0, 10**10, size=n), strict=True)
            ],
            "shipped_at": shipped_at,
            "expected_at": expected_at,
            "delivered_at": arrival_at.where(delivery_status == "delivered", None),
            "failed_at": arrival_at.where(delivery_status == "failed", None),
            "failure_reason": pd.Series(
                ["Recipient not available; returned to warehouse"] * n
            ).where(delivery_status == "failed", None),
        }
    )
    # Delivery lines: full and failed deliveries carry every line, partial ones the first line.
    line_ids = np.arange(1, len(line_order) + 1)
    lines_by_order = pd.Series(line_ids).groupby(line_order)
    starts = lines_by_order.min().to_numpy()
    counts = lines_by_order.size().to_numpy()
    take = np.where(kind == 2, 1, counts[delivery_order - 1])
    delivery_line_delivery = np.repeat(ids, take)
    offset = pd.Series(delivery_line_delivery).groupby(delivery_line_delivery).cumcount().to_numpy()
    order_line = starts[delivery_order - 1][delivery_line_delivery - 1] + offset
    frame.tables["erp.delivery_line"] = pd.DataFrame(
        {
            "id": np.arange(1, len(order_line) + 1),
            "delivery_id": delivery_line_delivery,
            "sales_order_line_id": order_line,
            "quantity": frame.pools["line_quantity"][order_line - 1],
        }
    )
    shipped = np.zeros(len(line_order), dtype=np.int64)
    counted = delivery_status[delivery_line_delivery - 1] != "failed"
    np.add.at(
        shipped, order_line[counted] - 1, frame.pools["line_quantity"][order_line[counted] - 1]
    )
    frame.pools["line_shipped"] = shipped
    # What left the shelf (every delivery) and came back (failed ones), for the stock ledger.
    frame.pools["shipment_delivery"] = delivery_line_delivery
    frame.pools["shipment_order_line"] = order_line
    frame.pools["shipment_failed"] = delivery_status[delivery_line_delivery - 1] == "failed"
    frame.pools["order_ship_day"] = np.full(n_orders, -1)
    frame.pools["order_ship_day"][delivery_order - 1] = ship_day
    frame.pools["delivery_arrival_day"] = np.where(arrived, arrival, -1)


def generate_invoices(frame: Frame) -> None:
    """Invoices for fulfilled and half of the confirmed orders; payments by how overdue they are."""
    rng = frame.rng
    status = frame.pools["order_status"]
    order_ids = np.arange(1, len(status) + 1)
    invoiced = (status == "fulfilled") | ((status == "confirmed") & (rng.random(len(status)) < 0.5))
    order = order_ids[invoiced]
    n = len(order)
    ids = np.arange(1, n + 1)
    ship_day = frame.pools["order_ship_day"][order - 1]
    issued = np.where(ship_day >= 0, ship_day, frame.pools["order_day"][order - 1] + 1)
    issued = np.minimum(issued, frame.days)
    due = issued + PAYMENT_TERMS_DAYS
    subtotal = frame.pools["order_subtotal"][order - 1]
    tax = frame.pools["order_tax"][order - 1]
    total = subtotal + tax
    overdue = due < frame.days
    roll = rng.random(n)
    outcome = np.where(
        overdue,
        np.select([roll < 0.015, roll < 0.06, roll < 0.10], ["void", "partial", "unpaid"], "paid"),
        np.select([roll < 0.015, roll < 0.12, roll < 0.55], ["void", "partial", "unpaid"], "paid"),
    ).astype(object)
    for position, wanted in enumerate(("void", "partial", "unpaid", "paid")):
        if n > position and not (outcome == wanted).any():
            outcome[position] = wanted
    paid_cents = np.select(
        [outcome == "paid", outcome == "partial"],
        [total, round_half_up_div(total * rng.integers(20, 80, size=n), 100)],
        0,
    )
    paid_cents = np.where((outcome == "partial") & (paid_cents >= total), total - 1, paid_cents)
    paid_cents = np.where((outcome == "partial") & (paid_cents <= 0), 0, paid_cents)
    outcome = np.where((outcome == "partial") & (paid_cents <= 0), "unpaid", outcome)
    invoice_status = (
        pd.Series(outcome)
        .map({"void": "void", "partial": "partially_paid", "unpaid": "issued", "paid": "paid"})
        .to_numpy()
    )
    frame.tables["erp.invoice"] = pd.DataFrame(
        {
            "id": ids,
            "number": [f"INV-{i:08d}" for i in ids],
            "customer_id": frame.pools["order_customer"][order - 1],
            "sales_order_id": order,
            "status": invoice_status,
            "currency": "EUR",
            "issued_on": frame.day_offsets_to_dates(issued),
            "due_on": frame.day_offsets_to_dates(due),
            "subtotal": cents_to_text(subtotal),
            "tax_total": cents_to_text(tax),
            "total": cents_to_text(total),
            "voided_at": frame.day_offsets_to_instants(issued, frame.business_seconds(n)).where(
                invoice_status == "void", None
            ),
            "void_reason": pd.Series(["Order amended; reissued"] * n).where(
                invoice_status == "void", None
            ),
        }
    )
    # Invoice lines mirror the order lines.
    line_order = frame.pools["line_order"]
    line_mask = invoiced[line_order - 1]
    invoice_of_order = np.zeros(len(status) + 1, dtype=np.int64)
    invoice_of_order[order] = ids
    line_ids = np.arange(1, len(line_order) + 1)[line_mask]
    frame.tables["erp.invoice_line"] = pd.DataFrame(
        {
            "id": np.arange(1, len(line_ids) + 1),
            "invoice_id": invoice_of_order[line_order[line_mask]],
            "sales_order_line_id": line_ids,
            "description": frame.tables["erp.stock_item"]["name"].to_numpy()[
                frame.pools["line_item"][line_ids - 1] - 1
            ],
            "quantity": frame.pools["line_quantity"][line_ids - 1],
            "unit_price": cents_to_text(frame.pools["line_unit_cents"][line_ids - 1]),
            "line_total": cents_to_text(frame.pools["line_cents"][line_ids - 1]),
            "tax_amount": cents_to_text(frame.pools["line_tax_cents"][line_ids - 1]),
        }
    )
    # Payments: one, or two instalments for some; never after today, never before issue.
    payer = paid_cents > 0
    split = payer & (rng.random(n) < 0.15) & (paid_cents >= 2)
    first_amount = np.where(split, paid_cents // 2, paid_cents)
    pay_day = np.minimum(issued + rng.integers(3, PAYMENT_TERMS_DAYS + 15, size=n), frame.days)
    second_day = np.minimum(pay_day + rng.integers(5, 30, size=n), frame.days)
    invoice = np.concatenate([ids[payer], ids[split]])
    amount = np.concatenate([first_amount[payer], (paid_cents - first_amount)[split]])
    when = np.concatenate([pay_day[payer], second_day[split]])
    order_by = np.lexsort((when, invoice))
    invoice, amount, when = invoice[order_by], amount[order_by], when[order_by]
    m = len(invoice)
    frame.pools.update(
        invoice_order=order,
        invoice_issued_day=issued,
        payment_invoice=invoice,
        payment_day=when,
        payment_cents=amount,
    )
    frame.tables["erp.payment"] = pd.DataFrame(
        {
            "id": np.arange(1, m + 1),
            "number": [f"PAY-{i:08d}" for i in range(1, m + 1)],
            "invoice_id": invoice,
            "customer_id": frame.pools["order_customer"][order[invoice - 1] - 1],
            "amount": cents_to_text(amount),
            "currency": "EUR",
            "method": rng.choice(
                ["bank_transfer", "card", "direct_debit", "cheque", "cash"],
                size=m,
                p=[0.6, 0.2, 0.15, 0.03, 0.02],
            ),
            "reference": [f"RF{i:010d}" for i in range(1, m + 1)],
            "received_at": frame.day_offsets_to_instants(when, frame.business_seconds(m)),
        }
    )
