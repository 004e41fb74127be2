"""Supplier bills for what purchase orders received, and what was paid on them.

Every order that received goods is billed for what arrived, a few days after it arrived;
receipts of the last two weeks are often not billed yet (goods received not invoiced).
Most bills are at the order's cost, some at a slightly different price (price differences);
a few were entered with wrong prices, voided and entered again under the supplier's same
number. Domestic suppliers charge VAT; foreign ones bill without (reverse charge, imports).
Bills are paid around their due date, a few in part, a few not yet. Amounts follow
`domain.finance.supplier_bills` (net per line at the supplier's price, tax on the bill's net
rounded half up). This module draws on its own random stream: the rest of the demo is the
same with or without it.
"""

import numpy as np
import pandas as pd

from domain.demo.frame import Frame, cents_to_text, round_half_up_div
from domain.erp.pricing import tax_rate_for
from domain.finance.supplier_bills import DEFAULT_TERMS_DAYS

STREAM = 3  # this module's random numbers come from seed + STREAM
HOME_COUNTRY = "DE"
REPRICED_SHARE = 0.15
VOIDED_SHARE = 0.03
UNBILLED_RECENT_SHARE = 0.5  # of receipts in the last two weeks
VOID_REASON = "Wrong prices; the supplier sent a corrected invoice"


def generate_bills(frame: Frame) -> None:
    rng = np.random.default_rng(frame.seed + STREAM)
    orders = frame.tables["erp.purchase_order"]
    lines = frame.tables["erp.purchase_order_line"]
    received_day = pd.Series(frame.pools["receipt_day"]).groupby(frame.pools["receipt_po"]).max()
    received = np.isin(orders["status"].to_numpy(), ["received", "partially_received"])
    order = orders["id"].to_numpy()[received]
    arrived = received_day.reindex(order).to_numpy()
    recent = arrived > frame.days - 14
    billed = ~(recent & (rng.random(len(order)) < UNBILLED_RECENT_SHARE))
    if billed.all() and len(order) > 1:
        billed[np.argmax(arrived)] = False  # the latest receipt: received, not invoiced yet
    order, arrived = order[billed], arrived[billed]
    bill_day = np.minimum(arrived + rng.integers(0, 11, size=len(order)), frame.days)
    voided = rng.random(len(order)) < VOIDED_SHARE
    if len(order) > 1 and not voided.any():
        voided[0] = True
    void_day = np.minimum(bill_day + rng.integers(1, 6, size=len(order)), frame.days)

    # One row per bill: the voided first attempts, then the bills that stand.
    bill_order = np.concatenate([order[voided], order])
    day = np.concatenate([bill_day[voided], np.where(voided, void_day, bill_day)])
    voided_on = np.concatenate([void_day[voided], np.zeros(len(order), int)])
    wrong = np.concatenate([np.ones(voided.sum(), bool), np.zeros(len(order), bool)])
    sort = np.lexsort((~wrong, day))
    bill_order, day, voided_on, wrong = bill_order[sort], day[sort], voided_on[sort], wrong[sort]
    n = len(bill_order)
    ids = np.arange(1, n + 1)

    billed_lines = (
        pd.DataFrame({"bill": np.arange(n), "purchase_order_id": bill_order})
        .merge(lines[lines["quantity_received"] > 0], on="purchase_order_id")
        .sort_values(["bill", "id"], ignore_index=True)
    )
    line_bill = billed_lines["bill"].to_numpy()
    quantity = billed_lines["quantity_received"].to_numpy()
    cost = (pd.to_numeric(billed_lines["unit_cost"]).to_numpy() * 100).round().astype(np.int64)
    repriced = rng.random(len(line_bill)) < REPRICED_SHARE
    change = np.where(
        wrong[line_bill], 100, np.where(repriced, rng.integers(-30, 41, size=len(line_bill)), 0)
    )
    unit_price = round_half_up_div(cost * (1000 + change), 1000)
    net = unit_price * quantity
    difference = net - cost * quantity

    supplier = orders["supplier_id"].to_numpy()[bill_order - 1]
    country = frame.tables["erp.supplier"]["country"].to_numpy()[supplier - 1]
    rate = np.where(country == HOME_COUNTRY, int(tax_rate_for(HOME_COUNTRY) * 1000), 0)
    bill_net = np.bincount(line_bill, weights=net, minlength=n).astype(np.int64)
    bill_difference = np.bincount(line_bill, weights=difference, minlength=n).astype(np.int64)
    tax = round_half_up_div(bill_net * rate, 1000)
    total = bill_net + tax
    numbers = np.array([f"SI-{po:06d}" for po in bill_order], dtype=object)
    paid = _payments(frame, rng, ids, numbers, supplier, total, day, wrong)
    status = np.where(
        wrong,
        "void",
        np.where(paid <= 0, "open", np.where(paid >= total, "paid", "partially_paid")),
    )
    finance = frame.pools["finance"]
    frame.tables["finance.supplier_bill"] = pd.DataFrame(
        {
            "id": ids,
            "number": numbers,
            "supplier_id": supplier,
            "purchase_order_id": bill_order,
            "status": status,
            "currency": "EUR",
            "bill_date": frame.day_offsets_to_dates(day),
            "due_on": frame.day_offsets_to_dates(day + DEFAULT_TERMS_DAYS),
            "tax_rate": [f"{r / 1000:.4f}" for r in rate],
            "net": cents_to_text(bill_net),
            "tax": cents_to_text(tax),
            "total": cents_to_text(total),
            "price_difference": cents_to_text(bill_difference),
            "void_reason": pd.Series([VOID_REASON] * n).where(wrong, None),
            "voided_at": frame.day_offsets_to_instants(
                voided_on, frame.business_seconds(n, rng)
            ).where(wrong, None),
            "created_by_id": frame.pick(finance, n, rng) if len(finance) else None,
            "created_at": frame.day_offsets_to_instants(day, frame.business_seconds(n, rng)),
        }
    )
    frame.tables["finance.supplier_bill_line"] = pd.DataFrame(
        {
            "id": np.arange(1, len(line_bill) + 1),
            "supplier_bill_id": line_bill + 1,
            "purchase_order_line_id": billed_lines["id"],
            "stock_item_id": billed_lines["stock_item_id"],
            "quantity": quantity,
            "unit_price": cents_to_text(unit_price),
            "unit_cost": cents_to_text(cost),
            "net": cents_to_text(net),
            "price_difference": cents_to_text(difference),
        }
    )


def _payments(
    frame: Frame,
    rng: np.random.Generator,
    bill: np.ndarray,
    numbers: np.ndarray,
    supplier: np.ndarray,
    total: np.ndarray,
    day: np.ndarray,
    voided: np.ndarray,
) -> np.ndarray:
    """Write the payments of the bills that stand; returns what was paid on each bill."""
    n = len(bill)
    due = day + DEFAULT_TERMS_DAYS
    roll = rng.random(n)
    overdue = due < frame.days
    share = np.where(
        overdue,
        np.select([roll < 0.06, roll < 0.10], [0, 50], 100),
        np.where(roll < 0.2, 100, 0),
    )
    if n > 2 and not ((share == 50) & ~voided).any():
        share[np.flatnonzero(~voided)[0]] = 50
    share = np.where(voided | (total <= 0), 0, share)
    paid = round_half_up_div(total * share, 100)
    paid_day = np.where(
        overdue,
        due + rng.integers(-10, 6, size=n),
        day + (rng.random(n) * np.maximum(frame.days - day, 0)).astype(int),
    )
    paid_day = np.clip(paid_day, day, frame.days)
    paying = np.flatnonzero(paid > 0)
    paying = paying[np.argsort(paid_day[paying], kind="stable")]  # numbered as they were paid
    m = len(paying)
    paid_at = frame.day_offsets_to_instants(paid_day[paying], frame.business_seconds(m, rng))
    finance = frame.pools["finance"]
    frame.tables["finance.supplier_payment"] = pd.DataFrame(
        {
            "id": np.arange(1, m + 1),
            "number": [f"SP-{i:08d}" for i in range(1, m + 1)],
            "supplier_bill_id": bill[paying],
            "supplier_id": supplier[paying],
            "amount": cents_to_text(paid[paying]),
            "currency": "EUR",
            "paid_at": paid_at,
            "reference": [f"Bill {number}" for number in numbers[paying]],
            "created_by_id": frame.pick(finance, m, rng) if len(finance) else None,
            "created_at": paid_at,
        }
    )
    return paid
