"""Campaign members (some converting into orders), opportunities and support tickets."""

from decimal import Decimal

import numpy as np
import pandas as pd

from domain.analytics.campaigns import ATTRIBUTION_WINDOW_DAYS
from domain.crm import campaigns
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
# The share of a campaign's audience held back as its control group, where it has one.
DEMO_CONTROL_SHARE = Decimal("0.1")
TICKET_SUBJECTS = {
    "question": "Question about product compatibility",
    "incident": "Device stopped working",
    "complaint": "Complaint about order",
    "return": "Return request",
    "billing": "Invoice amount unclear",
}


def plan_campaign_members(frame: Frame) -> None:
    """Who each campaign targets, drawn before the orders so that contacted members can buy
    more (`domain.demo.orders`), planned ahead so that a forecast can know them; two
    campaigns in three hold back a control group by the API's own draw."""
    rng = frame.rng
    starts = frame.pools["campaign_start"]
    status = frame.tables["crm.campaign"]["status"].to_numpy()
    per_campaign = max(10, int(frame.customers * 0.03))
    campaign = np.repeat(np.arange(1, len(starts) + 1), per_campaign)
    # Audiences are built ahead: two to thirteen weeks before the start, from the customers
    # who had joined by then.
    added = starts[campaign - 1] - rng.integers(14, 92, size=len(campaign))
    joined = np.sort(frame.pools["customer_created"])
    by_join = np.argsort(frame.pools["customer_created"], kind="stable") + 1
    eligible = np.maximum(np.searchsorted(joined, added, side="right"), 1)
    customer = by_join[(rng.random(len(campaign)) * eligible).astype(int)]
    members = pd.DataFrame({"campaign_id": campaign, "customer_id": customer, "added": added})
    members = members.drop_duplicates(["campaign_id", "customer_id"])
    members = members.sort_values(["campaign_id", "customer_id"])
    campaign = members["campaign_id"].to_numpy()
    customer = members["customer_id"].to_numpy()
    added = members["added"].to_numpy()
    touch = starts[campaign - 1]
    controlled = campaign % 3 != 0
    held_out = np.array(
        [
            bool(c) and campaigns.held_out(int(k), int(m), DEMO_CONTROL_SHARE)
            for c, k, m in zip(controlled, campaign, customer, strict=True)
        ],
        dtype=bool,
    )
    touching = np.isin(status[campaign - 1], ["active", "completed"])
    frame.pools.update(
        member_campaign=campaign,
        member_customer=customer,
        member_added=added,
        member_touch=touch,
        member_held_out=held_out,
        member_treated=touching & ~held_out & (touch <= frame.days),
    )


def generate_campaign_members(frame: Frame) -> None:
    """The members drawn by `plan_campaign_members`, with what became of them: a contacted
    member who ordered within the window converted (on that order's day); a quarter of the
    other contacted members responded; held-out members were never contacted."""
    rng = frame.rng
    campaign = frame.pools["member_campaign"]
    customer = frame.pools["member_customer"]
    touch = frame.pools["member_touch"]
    treated = frame.pools["member_treated"]
    n = len(campaign)
    orders = pd.DataFrame(
        {"customer_id": frame.pools["order_customer"], "day": frame.pools["order_day"]}
    )
    window = pd.DataFrame({"member": np.arange(n), "customer_id": customer, "touch": touch})
    pairs = window[treated].merge(orders, on="customer_id")
    pairs = pairs[(pairs["day"] >= pairs["touch"])]
    pairs = pairs[pairs["day"] < pairs["touch"] + ATTRIBUTION_WINDOW_DAYS]
    first_order = pairs.groupby("member")["day"].min()
    order_day = np.full(n, -1)
    order_day[first_order.index.to_numpy()] = first_order.to_numpy()
    status = np.where(
        order_day >= 0,
        "converted",
        np.where(treated & (rng.random(n) < 0.25), "responded", "targeted"),
    ).astype(object)
    if n and "responded" not in status:  # tiny demos still show every status
        status[np.flatnonzero(treated & (status == "targeted"))[:1]] = "responded"
    responded_day = np.minimum(
        np.where(status == "converted", order_day, touch + rng.integers(1, 6, size=n)), frame.days
    )
    seconds = frame.business_seconds(n)
    frame.tables["crm.campaign_member"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "campaign_id": campaign,
            "customer_id": customer,
            "status": status,
            "held_out": frame.pools["member_held_out"],
            "added_at": frame.day_offsets_to_instants(frame.pools["member_added"], seconds),
            "responded_at": frame.day_offsets_to_instants(responded_day, seconds + 600).where(
                status != "targeted", None
            ),
            "converted_at": frame.day_offsets_to_instants(order_day, seconds + 1200).where(
                status == "converted", None
            ),
        }
    )


def generate_opportunities(frame: Frame) -> None:
    rng = frame.rng
    n = max(len(OPPORTUNITY_STAGES), int(frame.customers * 0.5))
    customer = rng.integers(1, frame.customers + 1, size=n)
    stage = round_robin(OPPORTUNITY_STAGES, n, rng, [0.14, 0.14, 0.12, 0.1, 0.3, 0.2])
    created = np.clip(
        np.maximum(frame.pools["customer_created"][customer - 1], 0) + rng.integers(0, 400, size=n),
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
