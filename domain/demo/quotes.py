"""Quotes: offers to customers, some accepted (they became orders), the rest open, declined
or left to expire.

An accepted quote offered exactly what its order holds, a few days before the order was
placed (accepting a quote places the order, `domain.flows.quotes`). Quotes that did not
become orders offer what one of the customer's orders held, at its prices, on another day:
those valid past today are drafts, sent or declined; older ones were declined or expired
(a sent quote expires when its last valid day passes, `domain.erp.quote_states`). This
module draws on its own random stream: the rest of the demo is the same with or without it.
"""

import numpy as np
import pandas as pd

from domain.demo.frame import Frame
from domain.erp.quotes import DEFAULT_VALID_DAYS

STREAM = 4  # this module's random numbers come from seed + STREAM
ACCEPTED_SHARE = 0.06  # of orders placed from a quote
UNCONVERTED_SHARE = 0.04  # quotes that did not become orders, per order
DECLINE_REASONS = np.array(
    ["Price too high", "Chose another supplier", "Project postponed", "Budget not approved"]
)


def generate_quotes(frame: Frame) -> None:
    rng = np.random.default_rng(frame.seed + STREAM)
    orders = frame.tables["erp.sales_order"]
    placed = np.flatnonzero(orders["status"].to_numpy() != "draft") + 1
    accepted = placed[rng.random(len(placed)) < ACCEPTED_SHARE]
    templates = np.sort(
        rng.choice(len(orders), size=max(4, int(len(orders) * UNCONVERTED_SHARE))) + 1
    )

    order_day = frame.pools["order_day"]
    ordered_at = orders["ordered_at"]
    # Accepted: drafted 1–14 days before the order, sent soon after, decided when ordered.
    accepted_day = np.maximum(order_day[accepted - 1] - rng.integers(1, 15, size=len(accepted)), 0)
    accepted_created = frame.day_offsets_to_instants(
        accepted_day, frame.business_seconds(len(accepted), rng)
    )
    decided = ordered_at.to_numpy()[accepted - 1]
    accepted_created = accepted_created.where(accepted_created.to_numpy() < decided, decided)

    # Not converted: drafted on any day since the template order; the oldest two and the
    # newest two are spread over the statuses, so even a small demo shows each one.
    day = order_day[templates - 1] + (
        rng.random(len(templates)) * (frame.days - order_day[templates - 1])
    ).astype(int)
    day = np.sort(day)
    valid_until = day + DEFAULT_VALID_DAYS
    live = valid_until >= frame.days
    roll = rng.random(len(templates))
    status = np.where(
        live,
        np.select([roll < 0.3, roll < 0.8], ["draft", "sent"], "declined"),
        np.where(roll < 0.6, "declined", "expired"),
    ).astype(object)
    forced = {0: "declined", 1: "expired", len(day) - 2: "sent", len(day) - 1: "draft"}
    for position, wanted in forced.items():
        status[position] = wanted
        if wanted in ("draft", "sent"):
            day[position] = frame.days - position % 2
        elif day[position] + DEFAULT_VALID_DAYS >= frame.days:
            day[position] = max(frame.days - DEFAULT_VALID_DAYS - 5, 0)
    valid_until = day + DEFAULT_VALID_DAYS
    created = frame.day_offsets_to_instants(day, frame.business_seconds(len(day), rng))
    answer_day = np.minimum(day + rng.integers(2, 26, size=len(day)), valid_until)
    answered = frame.day_offsets_to_instants(
        np.minimum(answer_day, frame.days), frame.business_seconds(len(day), rng)
    )
    answered = answered.where(answered > created, created)

    quotes = pd.DataFrame(
        {
            "order": np.concatenate([accepted, templates]),
            "status": np.concatenate([np.full(len(accepted), "accepted", object), status]),
            "created_at": pd.concat([accepted_created, created], ignore_index=True),
            # tz-aware instants even when one part is empty or all missing
            "decided_at": pd.to_datetime(
                pd.concat(
                    [pd.Series(decided), answered.where(status == "declined", None)],
                    ignore_index=True,
                ),
                utc=True,
            ),
            "valid_until": np.concatenate([accepted_day, day]) + DEFAULT_VALID_DAYS,
        }
    )
    quotes = quotes.sort_values(["created_at", "order"], ignore_index=True)
    _write(frame, rng, quotes)


def _write(frame: Frame, rng: np.random.Generator, quotes: pd.DataFrame) -> None:
    orders = frame.tables["erp.sales_order"]
    order = quotes["order"].to_numpy()
    status = quotes["status"].to_numpy()
    n = len(quotes)
    ids = np.arange(1, n + 1)
    row = orders.iloc[order - 1].reset_index(drop=True)
    created = quotes["created_at"]
    # Sent some hours after it was drafted, before any answer; drafts were never sent.
    answer = quotes["decided_at"].fillna(created + pd.Timedelta(days=2))
    sent = created + (answer - created) * rng.uniform(0.1, 0.5, size=n)
    history_ends = frame.day_offsets_to_instants(np.array([frame.days]), np.zeros(1, int))[0]
    sent = sent.where(sent <= history_ends, history_ends)
    frame.tables["erp.quote"] = pd.DataFrame(
        {
            "id": ids,
            "number": [f"QT-{i:08d}" for i in ids],
            "customer_id": row["customer_id"],
            "sales_rep_id": row["sales_rep_id"],
            "warehouse_id": row["warehouse_id"],
            "status": np.where(status == "expired", "sent", status),
            "currency": row["currency"],
            "tax_rate": row["tax_rate"],
            "subtotal": row["subtotal"],
            "discount_total": row["discount_total"],
            "tax_total": row["tax_total"],
            "total": row["total"],
            "valid_until": frame.day_offsets_to_dates(quotes["valid_until"].to_numpy()),
            "notes": None,
            "sent_at": sent.where(status != "draft", None),
            "decided_at": quotes["decided_at"],
            "decline_reason": pd.Series(rng.choice(DECLINE_REASONS, size=n)).where(
                status == "declined", None
            ),
            "sales_order_id": pd.Series(order).astype("Int64").where(status == "accepted", pd.NA),
            "created_at": created,
        }
    )
    lines = frame.tables["erp.sales_order_line"]
    of_order = lines.groupby("sales_order_id").indices
    picked = np.concatenate([of_order[o] for o in order]) if n else np.zeros(0, int)
    quote_of_line = np.repeat(ids, [len(of_order[o]) for o in order])
    copied = lines.iloc[picked].reset_index(drop=True)
    frame.tables["erp.quote_line"] = pd.DataFrame(
        {
            "id": np.arange(1, len(copied) + 1),
            "quote_id": quote_of_line,
            "line_no": copied["line_no"],
            "stock_item_id": copied["stock_item_id"],
            "quantity": copied["quantity"],
            "list_price": copied["list_price"],
            "discount_percent": copied["discount_percent"],
            "unit_price": copied["unit_price"],
            "line_total": copied["line_total"],
            "tax_amount": copied["tax_amount"],
        }
    )
