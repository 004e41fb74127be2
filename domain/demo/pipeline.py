"""Campaign members (some converting into orders), opportunities and support tickets."""

import numpy as np
import pandas as pd

from domain.crm.opportunity_stages import DEFAULT_PROBABILITY, OPPORTUNITY_STAGES
from domain.crm.ticket_states import TICKET_CATEGORIES, TICKET_PRIORITIES, TICKET_STATUSES
from domain.demo.frame import Frame, cents_to_text, ints_where, round_robin

DEAL_NAMES = np.array(
    [
        "Fleet refresh",
        "Licence renewal",
        "Office fit-out",
        "Support contract",
        "Expansion",
        "Pilot project",
        "Framework agreement",
        "Upgrade",
    ]
)
TICKET_SUBJECTS = {
    "question": "Question about product compatibility",
    "incident": "Device stopped working",
    "complaint": "Complaint about order",
    "return": "Return request",
    "billing": "Invoice amount unclear",
}


def generate_campaign_members(frame: Frame) -> None:
    """Campaign members; about 5% of orders convert a campaign touch shortly before."""
    rng = frame.rng
    starts, ends = frame.pools["campaign_start"], frame.pools["campaign_end"]
    campaigns = len(starts)
    order_day = frame.pools["order_day"]
    order_customer = frame.pools["order_customer"]
    converting = np.flatnonzero(rng.random(len(order_day)) < 0.05)
    # The campaign running when the order came in (started up to 30 days earlier).
    running = np.searchsorted(starts, order_day[converting] - 3, side="right") - 1
    valid = (running >= 0) & (order_day[converting] <= ends[np.maximum(running, 0)] + 30)
    converting, running = converting[valid], running[valid]
    conv = pd.DataFrame(
        {
            "campaign_id": running + 1,
            "customer_id": order_customer[converting],
            "status": "converted",
            "touch": order_day[converting] - rng.integers(5, 25, size=len(converting)),
            "order_day": order_day[converting],
        }
    )
    per_campaign = max(10, int(frame.customers * 0.03))
    campaign = np.repeat(np.arange(1, campaigns + 1), per_campaign)
    others = pd.DataFrame(
        {
            "campaign_id": campaign,
            "customer_id": rng.integers(1, frame.customers + 1, size=len(campaign)),
            "status": rng.choice(["targeted", "responded"], size=len(campaign), p=[0.75, 0.25]),
            "touch": starts[campaign - 1] + rng.integers(0, 10, size=len(campaign)),
            "order_day": -1,
        }
    )
    members = pd.concat([conv, others], ignore_index=True).drop_duplicates(
        ["campaign_id", "customer_id"], keep="first"
    )
    members = members.sort_values(["campaign_id", "customer_id"]).reset_index(drop=True)
    n = len(members)
    touch = members["touch"].to_numpy().clip(-400, frame.days)
    status = members["status"].to_numpy()
    responded_day = np.where(
        status == "targeted", -9999, np.minimum(touch + rng.integers(1, 6, size=n), frame.days)
    )
    seconds = frame.business_seconds(n)
    frame.tables["crm.campaign_member"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "campaign_id": members["campaign_id"].to_numpy(),
            "customer_id": members["customer_id"].to_numpy(),
            "status": status,
            "added_at": frame.day_offsets_to_instants(touch, seconds),
            "responded_at": frame.day_offsets_to_instants(
                np.maximum(responded_day, touch), seconds + 600
            ).where(status != "targeted", None),
            "converted_at": frame.day_offsets_to_instants(
                np.maximum(members["order_day"].to_numpy(), touch), seconds + 1200
            ).where(status == "converted", None),
        }
    )


def generate_opportunities(frame: Frame) -> None:
    rng = frame.rng
    n = max(len(OPPORTUNITY_STAGES), int(frame.customers * 0.5))
    customer = rng.integers(1, frame.customers + 1, size=n)
    stage = round_robin(OPPORTUNITY_STAGES, n, rng, [0.14, 0.14, 0.12, 0.1, 0.3, 0.2])
    created = np.clip(
        frame.pools["customer_created"][customer - 1] + rng.integers(0, 400, size=n),
        0,
        frame.days - 1,
    )
    open_stage = ~np.isin(stage, ["won", "lost"])
    expected = np.where(
        open_stage,
        frame.days + rng.integers(-10, 150, size=n),
        created + rng.integers(20, 90, size=n),
    )
    closed = ~open_stage
    closed_day = np.minimum(expected, frame.days)
    # A won deal points at one of the customer's orders when it has any.
    orders_by_customer = (
        pd.Series(np.arange(1, len(frame.pools["order_customer"]) + 1))
        .groupby(frame.pools["order_customer"])
        .last()
    )
    won_order = pd.Series(customer).map(orders_by_customer).where(stage == "won")
    amount = (rng.lognormal(8.3, 0.9, size=n) * 100).astype(np.int64)
    source = ints_where(
        rng.integers(1, len(frame.pools["campaign_start"]) + 1, size=n), rng.random(n) < 0.25
    )
    frame.tables["crm.opportunity"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "customer_id": customer,
            "owner_id": frame.pools["customer_manager"][customer - 1],
            "source_campaign_id": source,
            "sales_order_id": ints_where(won_order.fillna(0).to_numpy(), won_order.notna()),
            "name": [
                f"{name} {c}" for name, c in zip(frame.pick(DEAL_NAMES, n), customer, strict=True)
            ],
            "stage": stage,
            "amount": cents_to_text(amount),
            "currency": "EUR",
            "probability": pd.Series(stage).map(DEFAULT_PROBABILITY).to_numpy(),
            "expected_close_on": frame.day_offsets_to_dates(expected),
            "closed_at": frame.day_offsets_to_instants(closed_day, frame.business_seconds(n)).where(
                closed, None
            ),
            "lost_reason": pd.Series(["Chose a competitor"] * n).where(stage == "lost", None),
            "created_at": frame.day_offsets_to_instants(created, frame.business_seconds(n)),
        }
    )


def generate_tickets(frame: Frame) -> None:
    rng = frame.rng
    n = max(len(TICKET_STATUSES) * 2, int(frame.customers * 0.3))
    category = round_robin(TICKET_CATEGORIES, n, rng, [0.3, 0.25, 0.15, 0.15, 0.15])
    order_customer = frame.pools["order_customer"]
    about_order = (category == "complaint") | (category == "return") | (rng.random(n) < 0.2)
    about_order &= len(order_customer) > 0
    order = np.where(about_order, rng.integers(1, max(len(order_customer), 1) + 1, size=n), 0)
    customer = np.where(
        about_order,
        order_customer[np.maximum(order, 1) - 1] if len(order_customer) else 1,
        rng.integers(1, frame.customers + 1, size=n),
    )
    opened = np.where(
        about_order,
        frame.pools["order_day"][np.maximum(order, 1) - 1] + rng.integers(2, 20, size=n)
        if len(order_customer)
        else 0,
        rng.integers(0, frame.days, size=n),
    )
    opened = np.minimum(opened, frame.days)
    age = frame.days - opened
    status = np.where(
        age > 30,
        np.where(rng.random(n) < 0.7, "closed", "resolved"),
        rng.choice(np.array(TICKET_STATUSES), size=n, p=[0.3, 0.25, 0.15, 0.2, 0.1]),
    )
    status[: len(TICKET_STATUSES)] = TICKET_STATUSES
    done = np.isin(status, ["resolved", "closed"])
    resolved_day = np.minimum(opened + rng.integers(0, 10, size=n), frame.days)
    seconds = frame.business_seconds(n)
    frame.tables["crm.ticket"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "number": [f"TCK-{i:07d}" for i in range(1, n + 1)],
            "customer_id": customer,
            "sales_order_id": ints_where(order, order > 0),
            "assignee_id": frame.pick(frame.pools["support"], n)
            if len(frame.pools["support"])
            else None,
            "subject": [TICKET_SUBJECTS[c] for c in category],
            "category": category,
            "priority": round_robin(TICKET_PRIORITIES, n, rng, [0.2, 0.5, 0.22, 0.08]),
            "status": status,
            "satisfaction": ints_where(rng.integers(1, 6, size=n), done),
            "resolution": pd.Series(["Resolved by support"] * n).where(done, None),
            "opened_at": frame.day_offsets_to_instants(opened, seconds),
            "resolved_at": frame.day_offsets_to_instants(
                np.maximum(resolved_day, opened), seconds + 1800
            ).where(done, None),
        }
    )
