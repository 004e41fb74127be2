"""Campaigns, customers, contacts and interactions."""

import numpy as np
import pandas as pd

from domain.crm.vocabulary import (
    CAMPAIGN_CHANNELS,
    CUSTOMER_STATUSES,
    CUSTOMER_TIERS,
    INTERACTION_CHANNELS,
)
from domain.demo.frame import Frame, cents_to_text, email_address, ints_where, round_robin

COUNTRIES = np.array(["DE", "FR", "GB", "NL", "US", "ES", "IT", "SE", "PL", "CH"])
COUNTRY_WEIGHTS = np.array([0.3, 0.15, 0.14, 0.1, 0.1, 0.06, 0.06, 0.03, 0.03, 0.03])
INDUSTRIES = np.array(
    [
        "Manufacturing",
        "Retail",
        "Healthcare",
        "Education",
        "Finance",
        "Logistics",
        "Public Sector",
        "Hospitality",
        "Construction",
        "Media",
    ]
)
# Customers start joining this long before the history window opens (see generate_customers).
ARRIVALS_BEFORE_DAYS = 3 * 365
ARRIVAL_GROWTH = 2.0
CREDIT_LIMIT_CENTS = np.array([5_000, 20_000, 60_000, 200_000]) * 100
SUBJECTS = {
    "email": ("Quote follow-up", "Invoice question", "Newsletter reply", "Renewal reminder"),
    "phone": ("Discovery call", "Support call", "Price negotiation", "Delivery enquiry"),
    "meeting": ("Quarterly review", "Product demo", "On-site visit", "Contract signing"),
    "chat": ("Order status", "Product question", "Login help"),
    "web": ("Demo request form", "Whitepaper download", "Pricing page visit"),
    "social": ("LinkedIn message", "Event follow-up", "Mention reply"),
}


def generate_campaigns(frame: Frame) -> None:
    rng = frame.rng
    count = int(min(120, 24 + frame.customers // 1500))
    starts = np.sort(rng.integers(0, frame.days + 30, size=count))
    length = rng.integers(14, 75, size=count)
    ends = starts + length
    status = np.where(
        starts > frame.days, "planned", np.where(ends < frame.days, "completed", "active")
    )
    cancelled = rng.random(count) < 0.05
    status = np.where(cancelled & (status != "completed"), "cancelled", status)
    status[-1] = "planned"
    status[-2] = "cancelled"
    channels = np.array(CAMPAIGN_CHANNELS, dtype=object)[np.arange(count) % len(CAMPAIGN_CHANNELS)]
    budget = rng.integers(2_000, 60_000, size=count) * 100
    names = [
        f"{season} {year} {channel.title()} — {theme}"
        for season, year, channel, theme in zip(
            frame.pick(np.array(["Spring", "Summer", "Autumn", "Winter"]), count),
            [frame.start.year + int(s) // 365 for s in starts],
            channels,
            frame.pick(
                np.array(["Upgrade", "New Customers", "Loyalty", "Clearance", "Launch"]), count
            ),
            strict=True,
        )
    ]
    frame.tables["crm.campaign"] = pd.DataFrame(
        {
            "id": np.arange(1, count + 1),
            "name": names,
            "channel": channels,
            "status": status,
            "budget": cents_to_text(budget),
            "starts_on": frame.day_offsets_to_dates(starts),
            "ends_on": frame.day_offsets_to_dates(ends),
            "owner_id": frame.pick(frame.pools["marketing"], count)
            if len(frame.pools["marketing"])
            else None,
        }
    )
    frame.pools["campaign_start"] = starts
    frame.pools["campaign_end"] = ends


def joining_positions(uniform: np.ndarray) -> np.ndarray:
    """Where in the arrivals' span (0 = first day, 1 = last) each customer joined, for an
    arrival rate growing linearly to `ARRIVAL_GROWTH` times its first day's (inverse CDF)."""
    g = ARRIVAL_GROWTH - 1
    return np.asarray((np.sqrt(1 + g * (2 + g) * uniform) - 1) / g)


def generate_customers(frame: Frame) -> None:
    rng = frame.rng
    n = frame.customers
    ids = np.arange(1, n + 1)
    tier = round_robin(CUSTOMER_TIERS, n, rng, [0.5, 0.3, 0.15, 0.05])
    status = round_robin(CUSTOMER_STATUSES, n, rng, [0.1, 0.1, 0.65, 0.15])
    # Customers have been joining for years before the history starts, a few more each
    # year (the arrival rate doubles from the first to the last day), so the window opens
    # on a customer base in its steady state: established customers have been dropping
    # out at the rate new ones arrive, and revenue trends only as the base grows.
    position = joining_positions(rng.random(n))
    created = (-ARRIVALS_BEFORE_DAYS + position * (ARRIVALS_BEFORE_DAYS + frame.days)).astype(int)
    created = np.minimum(created, frame.days - 1)
    kind = np.where(rng.random(n) < 0.8, "company", "person")
    first, last = frame.person_names(n)
    company = frame.pick(frame.companies, n)
    name = np.where(
        kind == "company",
        company,
        np.char.add(np.char.add(first.astype(str), " "), last.astype(str)),
    )
    email_local = np.where(kind == "company", "info", np.char.lower(first.astype(str)))
    email = [
        email_address(local, i, domain=f"customer{i % 997}.example")
        for i, local in zip(ids, email_local, strict=True)
    ]
    tier_index = pd.Series(tier).map({t: i for i, t in enumerate(CUSTOMER_TIERS)}).to_numpy()
    campaign_start = frame.pools["campaign_start"]
    acquired = rng.random(n) < 0.2
    campaign_for_created = np.searchsorted(
        campaign_start, created, side="right"
    )  # campaigns started before
    acquisition = np.where(acquired & (campaign_for_created > 0), campaign_for_created, 0)
    frame.tables["crm.customer"] = pd.DataFrame(
        {
            "id": ids,
            "code": [f"C{i:06d}" for i in ids],
            "name": name,
            "kind": kind,
            "email": email,
            "phone": [f"+49 30 {i:07d}" for i in ids],
            "country": rng.choice(COUNTRIES, size=n, p=COUNTRY_WEIGHTS),
            "industry": frame.pick(INDUSTRIES, n),
            "tier": tier,
            "status": status,
            "currency": "EUR",
            "credit_limit": cents_to_text(CREDIT_LIMIT_CENTS[tier_index]),
            "account_manager_id": frame.pick(frame.pools["sales_reps"], n),
            "acquisition_campaign_id": ints_where(acquisition, acquisition > 0),
            "created_at": frame.day_offsets_to_instants(created, frame.business_seconds(n)),
        }
    )
    customer = frame.tables["crm.customer"]
    frame.pools["customer_created"] = created
    frame.pools["customer_tier"] = tier
    frame.pools["customer_status"] = status
    frame.pools["customer_country"] = customer["country"].to_numpy()
    frame.pools["customer_manager"] = customer["account_manager_id"].to_numpy()


def generate_contacts(frame: Frame) -> None:
    rng = frame.rng
    per_customer = rng.integers(1, 4, size=frame.customers)
    customer_id = np.repeat(np.arange(1, frame.customers + 1), per_customer)
    n = len(customer_id)
    first, last = frame.person_names(n)
    first_of_customer = np.r_[True, customer_id[1:] != customer_id[:-1]]
    frame.tables["crm.contact"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "customer_id": customer_id,
            "first_name": first,
            "last_name": last,
            "email": [
                email_address(f, last_name, i, domain="contact.example")
                for i, f, last_name in zip(range(n), first, last, strict=True)
            ],
            "phone": None,
            "title": frame.pick(
                np.array(
                    ["CEO", "CFO", "Buyer", "IT Manager", "Office Manager", "Procurement Lead"]
                ),
                n,
            ),
            "is_primary": first_of_customer,
        }
    )
    frame.pools["contact_customer"] = customer_id


def generate_interactions(frame: Frame) -> None:
    rng = frame.rng
    status = frame.pools["customer_status"]
    mean = np.select(
        [status == "lead", status == "prospect", status == "churned"], [1.5, 3.0, 3.0], 5.0
    )
    per_customer = rng.poisson(mean)
    customer_id = np.repeat(np.arange(1, frame.customers + 1), per_customer)
    n = len(customer_id)
    channel = round_robin(INTERACTION_CHANNELS, n, rng, [0.35, 0.25, 0.1, 0.12, 0.12, 0.06])
    created = np.maximum(frame.pools["customer_created"][customer_id - 1], 0)
    day = created + (rng.random(n) * (frame.days - created)).astype(int)
    day = np.clip(day, 0, frame.days - 1)
    subject = [
        SUBJECTS[c][k % len(SUBJECTS[c])]
        for c, k in zip(channel, rng.integers(0, 12, size=n), strict=True)
    ]
    with_campaign = rng.random(n) < 0.15
    campaigns = len(frame.pools["campaign_start"])
    frame.tables["crm.interaction"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "customer_id": customer_id,
            "employee_id": frame.pools["customer_manager"][customer_id - 1],
            "campaign_id": ints_where(rng.integers(1, campaigns + 1, size=n), with_campaign),
            "channel": channel,
            "direction": np.where(rng.random(n) < 0.55, "outbound", "inbound"),
            "subject": subject,
            "notes": None,
            "occurred_at": frame.day_offsets_to_instants(day, frame.business_seconds(n)),
        }
    )
