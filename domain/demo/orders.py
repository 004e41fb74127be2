"""Order history simulated customer by customer (vectorised).

Each customer buys as a Poisson process with its own rate from the day it joined and may
drop out after any purchase (the buy-till-you-die story the BG/NBD model assumes). Purchase
times are thinned by weekly and yearly seasonality, and campaigns lift their contacted
members' rate for a while, so forecasts and campaign results have something to find; the
trend is the customer base's own (customers join at a slowly growing rate).
"""

from decimal import Decimal

import numpy as np
import pandas as pd

from domain.analytics.campaigns import ATTRIBUTION_WINDOW_DAYS
from domain.crm.vocabulary import CUSTOMER_TIERS
from domain.demo.frame import Frame, cents_to_text, round_half_up_div
from domain.erp.models.stock import STOCK_CATEGORIES
from domain.erp.order_states import ORDER_STATUSES
from domain.erp.pricing import DEFAULT_PRICE_RULES, best_rule, tax_rate_for

WEEKDAY_FACTOR = np.array([1.15, 1.2, 1.2, 1.15, 1.0, 0.35, 0.25])  # Monday first
TIER_RATE = {"bronze": 0.7, "silver": 1.0, "gold": 1.5, "platinum": 2.4}
QUANTITY_BREAKS = (1, 10, 50)
# A contacted campaign member buys this much more often (0.8: 80 % more) during the
# campaign's attribution window, which the control groups let the campaign results measure.
CAMPAIGN_LIFT = 0.8
CAMPAIGN_WINDOW_DAYS = ATTRIBUTION_WINDOW_DAYS


def seasonality(frame: Frame, days: np.ndarray) -> np.ndarray:
    """Relative demand on each day: weekday pattern × year-end peak / summer dip."""
    start = np.datetime64(frame.start.isoformat(), "D")
    dates = start + days.astype("timedelta64[D]")
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(int)
    yearly = 1 + 0.25 * np.cos(2 * np.pi * (day_of_year - 335) / 365.25)
    return np.asarray(WEEKDAY_FACTOR[weekday] * yearly)


def simulate_order_days(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """(customer_id, day offset) of every order in the window, sorted by customer then time.

    Purchases are simulated from the day each customer joined, years before the window
    for most, so drop-outs before the window are drop-outs; only the window's orders are
    kept. A campaign's contacted members buy at `1 + CAMPAIGN_LIFT` times their rate for
    the attribution window after their touch; the held-out control group does not.
    """
    rng = frame.rng
    status = frame.pools["customer_status"]
    tier = frame.pools["customer_tier"]
    buying = np.isin(status, ["active", "churned"])
    rate = rng.gamma(0.9, 1 / 35, size=frame.customers) * np.vectorize(TIER_RATE.get)(tier)
    first_day = frame.pools["customer_created"]
    # Churned customers stopped buying well before today.
    last_day = np.where(status == "churned", frame.days - 150, frame.days)
    span = np.maximum(last_day - first_day, 0) * buying
    peak = WEEKDAY_FACTOR.max() * 1.25
    candidates = rng.poisson(rate * peak * span)
    customer = np.repeat(np.arange(1, frame.customers + 1), candidates)
    day = first_day[customer - 1] + (rng.random(len(customer)) * span[customer - 1]).astype(int)
    lifted_customer, lifted_day = _campaign_lift(frame, rate * peak, last_day, buying)
    customer = np.concatenate([customer, lifted_customer])
    day = np.concatenate([day, lifted_day])
    keep = rng.random(len(day)) * peak < seasonality(frame, day)
    customer, day = customer[keep], day[keep]
    order = np.lexsort((day, customer))
    customer, day = customer[order], day[order]
    # Drop out after a geometric number of purchases (probability p per purchase).
    dropout = rng.beta(1.2, 9, size=frame.customers)
    lifetime_purchases = rng.geometric(dropout)
    rank = pd.Series(customer).groupby(customer).cumcount().to_numpy()
    kept = (rank < lifetime_purchases[customer - 1]) & (day >= 0)
    return customer[kept], day[kept]


def _campaign_lift(
    frame: Frame, candidate_rate: np.ndarray, last_day: np.ndarray, buying: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Extra purchase candidates of contacted members in their window after the touch."""
    rng = frame.rng
    members = frame.pools["member_customer"]
    touch = frame.pools["member_touch"]
    treated = frame.pools["member_treated"]
    end = np.minimum(touch + CAMPAIGN_WINDOW_DAYS, last_day[members - 1] + 1)
    length = np.where(treated & buying[members - 1], np.maximum(end - touch, 0), 0)
    extra = rng.poisson(candidate_rate[members - 1] * CAMPAIGN_LIFT * length)
    member = np.repeat(np.arange(len(members)), extra)
    day = touch[member] + (rng.random(len(member)) * length[member]).astype(int)
    return members[member], day


def discount_table() -> np.ndarray:
    """Discount in tenths of a percent by [tier, category, quantity break]."""
    table = np.zeros(
        (len(CUSTOMER_TIERS), len(STOCK_CATEGORIES), len(QUANTITY_BREAKS)), dtype=np.int64
    )
    for t, tier in enumerate(CUSTOMER_TIERS):
        for c, category in enumerate(STOCK_CATEGORIES):
            for b, quantity in enumerate(QUANTITY_BREAKS):
                rule = best_rule(
                    DEFAULT_PRICE_RULES, tier=tier, category=category, quantity=quantity
                )
                table[t, c, b] = int((rule.discount_percent if rule else Decimal(0)) * 10)
    return table


def generate_orders(frame: Frame) -> None:
    rng = frame.rng
    customer, day = simulate_order_days(frame)
    n = len(customer)
    ids = np.arange(1, n + 1)
    age = frame.days - day
    recent = age <= 21
    status = np.where(rng.random(n) < 0.04, "cancelled", "fulfilled").astype(object)
    recent_status = rng.choice(
        np.array(ORDER_STATUSES, dtype=object), size=n, p=[0.08, 0.3, 0.32, 0.25, 0.05]
    )
    status = np.where(recent, recent_status, status)
    for position, wanted in enumerate(ORDER_STATUSES):
        if n and not (status == wanted).any():
            status[n - 1 - position % n] = wanted
    warehouse = rng.choice(np.arange(1, 5), size=n, p=[0.4, 0.25, 0.2, 0.15])

    line_count = np.minimum(rng.geometric(0.5, size=n), 6)
    line_order = np.repeat(ids, line_count)
    line_no = pd.Series(line_order).groupby(line_order).cumcount().to_numpy() + 1
    items = rng.choice(
        len(frame.pools["item_popularity"]), size=len(line_order), p=frame.pools["item_popularity"]
    )
    category = frame.pools["item_category"][items]
    quantity = np.where(
        category == "consumables",
        rng.geometric(0.08, size=len(items)),
        rng.geometric(0.45, size=len(items)),
    )
    quantity = np.minimum(quantity, 120)
    order_customer = customer[line_order - 1]
    tier_index = (
        pd.Series(frame.pools["customer_tier"][order_customer - 1])
        .map({t: i for i, t in enumerate(CUSTOMER_TIERS)})
        .to_numpy()
    )
    category_index = (
        pd.Series(category).map({c: i for i, c in enumerate(STOCK_CATEGORIES)}).to_numpy()
    )
    break_index = np.searchsorted(np.array(QUANTITY_BREAKS), quantity, side="right") - 1
    discount10 = discount_table()[tier_index, category_index, break_index]
    list_cents = frame.pools["item_price_cents"][items]
    unit_cents = round_half_up_div(list_cents * (1000 - discount10), 1000)
    line_cents = unit_cents * quantity
    countries = frame.pools["customer_country"]
    rate_by_country = {c: int(tax_rate_for(c) * 1000) for c in np.unique(countries)}
    order_tax_rate = pd.Series(countries[customer - 1]).map(rate_by_country).to_numpy()
    tax_cents = round_half_up_div(line_cents * order_tax_rate[line_order - 1], 1000)
    discount_cents = list_cents * quantity - line_cents

    sums = pd.DataFrame(
        {"o": line_order, "sub": line_cents, "tax": tax_cents, "disc": discount_cents}
    )
    totals = sums.groupby("o").sum()
    subtotal, tax_total, discount_total = (totals[col].to_numpy() for col in ("sub", "tax", "disc"))
    ordered_at = frame.day_offsets_to_instants(day, frame.business_seconds(n))
    frame.tables["erp.sales_order"] = pd.DataFrame(
        {
            "id": ids,
            "number": [f"SO-{y}-{i:07d}" for y, i in zip(ordered_at.dt.year, ids, strict=True)],
            "customer_id": customer,
            # The demo's tiers never change: each order was placed at today's tier.
            "customer_tier": frame.pools["customer_tier"][customer - 1],
            "sales_rep_id": frame.pools["customer_manager"][customer - 1],
            "warehouse_id": warehouse,
            "status": status,
            "currency": "EUR",
            "tax_rate": [f"{r / 1000:.4f}" for r in order_tax_rate],
            "subtotal": cents_to_text(subtotal),
            "discount_total": cents_to_text(discount_total),
            "tax_total": cents_to_text(tax_total),
            "total": cents_to_text(subtotal + tax_total),
            "ordered_at": ordered_at,
            "confirmed_at": ordered_at.where(np.isin(status, ["confirmed", "fulfilled"]), None),
            "cancelled_at": ordered_at.where(status == "cancelled", None),
        }
    )
    frame.tables["erp.sales_order_line"] = pd.DataFrame(
        {
            "id": np.arange(1, len(line_order) + 1),
            "sales_order_id": line_order,
            "line_no": line_no,
            "stock_item_id": items + 1,
            "quantity": quantity,
            "list_price": cents_to_text(list_cents),
            "discount_percent": [f"{d / 10:.2f}" for d in discount10],
            "unit_price": cents_to_text(unit_cents),
            "line_total": cents_to_text(line_cents),
            "tax_amount": cents_to_text(tax_cents),
        }
    )
    frame.pools.update(
        order_customer=customer,
        order_day=day,
        order_status=status,
        order_warehouse=warehouse,
        order_subtotal=subtotal,
        order_tax=tax_total,
        order_tax_permille=order_tax_rate,
        line_order=line_order,
        line_item=items + 1,
        line_quantity=quantity,
        line_cents=line_cents,
        line_unit_cents=unit_cents,
        line_tax_cents=tax_cents,
    )
