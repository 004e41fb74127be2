"""Warehouses, suppliers, stock items and the tier price list."""

import numpy as np
import pandas as pd

from domain.demo.frame import Frame, cents_to_text
from domain.erp.models.stock import STOCK_CATEGORIES
from domain.erp.pricing import DEFAULT_PRICE_RULES

WAREHOUSES = (
    ("WH-BER", "Berlin Central", "Berlin", "DE"),
    ("WH-RTM", "Rotterdam Port", "Rotterdam", "NL"),
    ("WH-LYS", "Lyon South", "Lyon", "FR"),
    ("WH-MAN", "Manchester North", "Manchester", "GB"),
)
# Typical list price (EUR) and unit names per category, so the catalogue reads plausibly.
CATEGORY_PRICE = {
    "hardware": 420.0,
    "software": 260.0,
    "services": 900.0,
    "consumables": 18.0,
    "accessories": 45.0,
}
CATEGORY_NOUNS = {
    "hardware": ("Laptop", "Monitor", "Docking Station", "Server", "Router", "Printer", "Scanner"),
    "software": ("Licence", "Subscription", "Suite", "Add-on", "Support Plan"),
    "services": ("Installation", "Training Day", "Consulting Day", "Audit", "Migration"),
    "consumables": ("Toner", "Paper Pack", "Label Roll", "Ink Set", "Cleaning Kit"),
    "accessories": ("Keyboard", "Mouse", "Headset", "Cable Set", "Adapter", "Bag"),
}
ADJECTIVES = ("Pro", "Plus", "Lite", "Max", "Eco", "Ultra", "Prime", "Flex", "One", "Edge")


def generate_catalog(frame: Frame) -> None:
    rng = frame.rng
    frame.tables["erp.warehouse"] = pd.DataFrame(
        {
            "id": np.arange(1, len(WAREHOUSES) + 1),
            "code": [w[0] for w in WAREHOUSES],
            "name": [w[1] for w in WAREHOUSES],
            "city": [w[2] for w in WAREHOUSES],
            "country": [w[3] for w in WAREHOUSES],
        }
    )
    supplier_count = 30
    frame.tables["erp.supplier"] = pd.DataFrame(
        {
            "id": np.arange(1, supplier_count + 1),
            "code": [f"S{i:04d}" for i in range(1, supplier_count + 1)],
            "name": frame.pick(frame.companies, supplier_count),
            "email": [f"orders@supplier{i}.example" for i in range(1, supplier_count + 1)],
            "country": rng.choice(
                ["DE", "NL", "FR", "GB", "PL", "IT", "US", "CN"], size=supplier_count
            ),
            "lead_time_days": rng.integers(3, 45, size=supplier_count),
        }
    )
    count = int(min(300, max(40, frame.customers // 5)))
    category = np.array(STOCK_CATEGORIES, dtype=object)[np.arange(count) % len(STOCK_CATEGORIES)]
    rng.shuffle(category[len(STOCK_CATEGORIES) :])
    typical = np.array([CATEGORY_PRICE[c] for c in category])
    price_cents = np.maximum(
        99, (typical * rng.lognormal(0, 0.55, size=count) * 100).astype(np.int64)
    )
    price_cents = price_cents // 100 * 100 + 99  # prices end in .99
    margin = rng.uniform(0.35, 0.75, size=count)
    cost_cents = (price_cents * margin).astype(np.int64)
    names = [
        f"{rng.choice(CATEGORY_NOUNS[c])} {rng.choice(ADJECTIVES)} {100 + i}"
        for i, c in enumerate(category)
    ]
    frame.tables["erp.stock_item"] = pd.DataFrame(
        {
            "id": np.arange(1, count + 1),
            "sku": [f"{c[:3].upper()}-{i:05d}" for i, c in enumerate(category, start=1)],
            "name": names,
            "category": category,
            "unit_price": cents_to_text(price_cents),
            "unit_cost": cents_to_text(cost_cents),
            "reorder_point": np.where(category == "services", 0, rng.integers(5, 60, size=count)),
            "pack_size": np.where(category == "consumables", 10, 1),
            "supplier_id": rng.integers(1, supplier_count + 1, size=count),
        }
    )
    frame.pools["item_price_cents"] = price_cents
    frame.pools["item_category"] = category
    # Popularity follows a long tail: a few items sell most.
    popularity = rng.zipf(1.6, size=count).astype(float)
    frame.pools["item_popularity"] = popularity / popularity.sum()

    # The company sells in EUR, USD and GBP: the same tier rules in each, items converted
    # at the day's rate (monthly rates below).
    currencies = list(RATE_PATHS)
    frame.tables["erp.price_list"] = pd.DataFrame(
        {
            "id": np.arange(1, len(currencies) + 1),
            "name": [
                "Standard tier prices" + ("" if c == "EUR" else f" ({c})") for c in currencies
            ],
            "currency": currencies,
            "valid_from": frame.start,
        }
    )
    rules = len(DEFAULT_PRICE_RULES)
    frame.tables["erp.price_rule"] = pd.DataFrame(
        {
            "id": np.arange(1, rules * len(currencies) + 1),
            "price_list_id": np.repeat(np.arange(1, len(currencies) + 1), rules),
            "tier": [r.tier for r in DEFAULT_PRICE_RULES] * len(currencies),
            "category": [r.category for r in DEFAULT_PRICE_RULES] * len(currencies),
            "min_quantity": [r.min_quantity for r in DEFAULT_PRICE_RULES] * len(currencies),
            "discount_percent": [str(r.discount_percent) for r in DEFAULT_PRICE_RULES]
            * len(currencies),
        }
    )
    frame.tables["finance.exchange_rate"] = _monthly_rates(frame)


# EUR per unit at the start of the history, and how far it drifts each month (a random walk).
RATE_PATHS = {"EUR": None, "USD": (0.92, 0.015), "GBP": (1.16, 0.01)}


def _monthly_rates(frame: Frame) -> pd.DataFrame:
    """A rate on the first day of every month of the history, per foreign currency."""
    months = pd.date_range(frame.start.replace(day=1), frame.today, freq="MS").date
    # A generator of their own: rates added to the demo leave every other figure as it was.
    rng = np.random.default_rng(frame.seed + 1)
    rows = []
    for currency, path in RATE_PATHS.items():
        if path is None:
            continue
        start, drift = path
        walk = start * np.exp(np.cumsum(rng.normal(0, drift, size=len(months))))
        rows += [
            (currency, month, f"{value:.6f}") for month, value in zip(months, walk, strict=True)
        ]
    table = pd.DataFrame(rows, columns=["currency", "valid_on", "rate"])
    table.insert(0, "id", np.arange(1, len(table) + 1))
    return table
