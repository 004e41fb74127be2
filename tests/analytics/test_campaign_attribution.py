"""Campaign attribution: never before a campaign starts, never by one that has not started,
last touch, first touch and linear side by side, each counting an order once; and a control
group against which what the campaign added is measured."""

import math
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.analytics import campaigns

NOW = datetime.now(UTC).replace(microsecond=0)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


async def insert(session: AsyncSession, sql: str, **values: object) -> int:
    return int(await session.scalar(text(sql + " RETURNING id"), values))  # type: ignore[arg-type]


async def campaign(session: AsyncSession, name: str, status: str, starts_days_ago: int) -> int:
    return await insert(
        session,
        "INSERT INTO crm.campaign (name, channel, status, budget, starts_on) "
        "VALUES (:name, 'email', :status, 1000, :starts)",
        name=name,
        status=status,
        starts=(NOW - timedelta(days=starts_days_ago)).date(),
    )


async def results(session: AsyncSession) -> dict[str, tuple[object, ...]]:
    connection = await session.connection()
    await campaigns.recompute_all(connection)
    rows = await session.execute(
        text(
            "SELECT c.name, m.attributed_orders, m.attributed_revenue, m.first_touch_orders, "
            "m.first_touch_revenue, m.linear_orders, m.linear_revenue "
            "FROM analytics.campaign_metrics m JOIN crm.campaign c ON c.id = m.campaign_id"
        )
    )
    return {row[0]: tuple(row[1:]) for row in rows}


async def test_attribution_starts_with_the_campaign_and_splits_three_ways(
    session: AsyncSession,
) -> None:
    customer = await insert(session, "INSERT INTO crm.customer (code, name) VALUES ('C1', 'Acme')")
    warehouse = await insert(
        session, "INSERT INTO erp.warehouse (code, name, country) VALUES ('W', 'Main', 'DE')"
    )
    # Planned for next month, member added today: it has touched no one yet.
    planned = await campaign(session, "Planned", "planned", -30)
    # Started 10 days ago; the member was added 20 days ago, so the touch is its start.
    spring = await campaign(session, "Spring", "active", 10)
    # Started 40 days ago, member added 12 days ago: touched 12 days ago.
    autumn = await campaign(session, "Autumn", "active", 40)
    for campaign_id, added in ((planned, NOW), (spring, days_ago(20)), (autumn, days_ago(12))):
        await session.execute(
            text(
                "INSERT INTO crm.campaign_member (campaign_id, customer_id, added_at) "
                "VALUES (:campaign, :customer, :added)"
            ),
            {"campaign": campaign_id, "customer": customer, "added": added},
        )
    for number, when, subtotal in (
        ("SO-1", days_ago(15), "300.00"),  # before either touch: no campaign's
        ("SO-2", days_ago(11), "100.00"),  # after autumn's touch only
        ("SO-3", days_ago(5), "90.00"),  # after both touches: autumn first, spring last
    ):
        await session.execute(
            text(
                "INSERT INTO erp.sales_order (number, customer_id, warehouse_id, status, "
                "ordered_at, subtotal, total) VALUES (:number, :customer, :warehouse, "
                "'fulfilled', :when, :subtotal, :subtotal)"
            ),
            {
                "number": number,
                "customer": customer,
                "warehouse": warehouse,
                "when": when,
                "subtotal": Decimal(subtotal),
            },
        )

    found = await results(session)
    # (last-touch orders, revenue, first-touch orders, revenue, linear orders, revenue)
    assert found["Planned"] == (0, 0, 0, 0, 0, 0)
    assert found["Spring"] == (1, Decimal("90.00"), 0, 0, Decimal("0.5000"), Decimal("45.00"))
    assert found["Autumn"] == (
        1,
        Decimal("100.00"),
        2,
        Decimal("190.00"),
        Decimal("1.5000"),
        Decimal("145.00"),
    )
    # Each model counts each attributed order once: the totals agree.
    for model in (slice(0, 2), slice(2, 4), slice(4, 6)):
        orders, revenue = (sum(r[model][i] for r in found.values()) for i in (0, 1))
        assert (orders, revenue) == (2, Decimal("190.00")), model


async def test_a_control_group_measures_what_the_campaign_added(session: AsyncSession) -> None:
    warehouse = await insert(
        session, "INSERT INTO erp.warehouse (code, name, country) VALUES ('W', 'Main', 'DE')"
    )
    launch = await campaign(session, "Launch", "active", 20)
    # Revenue within 30 days of the touch: contacted members, then held-out ones.
    treated, control = [100, 200, 0, 300], [50, 0, 0, 0]
    for held_out, spent in ((False, treated), (True, control)):
        for i, amount in enumerate(spent):
            customer = await insert(
                session,
                "INSERT INTO crm.customer (code, name) VALUES (:code, :code)",
                code=f"{'C' if held_out else 'T'}{i}",
            )
            await session.execute(
                text(
                    "INSERT INTO crm.campaign_member (campaign_id, customer_id, added_at, "
                    "held_out) VALUES (:campaign, :customer, :added, :held_out)"
                ),
                {
                    "campaign": launch,
                    "customer": customer,
                    "added": days_ago(15),
                    "held_out": held_out,
                },
            )
            if amount:
                await session.execute(
                    text(
                        "INSERT INTO erp.sales_order (number, customer_id, warehouse_id, status, "
                        "ordered_at, subtotal, total) VALUES (:number, :customer, :warehouse, "
                        "'placed', :when, :amount, :amount)"
                    ),
                    {
                        "number": f"SO-{customer}",
                        "customer": customer,
                        "warehouse": warehouse,
                        "when": days_ago(10),
                        "amount": Decimal(amount),
                    },
                )
    await campaigns.recompute_all(await session.connection())
    row = (
        (
            await session.execute(
                text("SELECT * FROM analytics.campaign_metrics WHERE campaign_id = :id"),
                {"id": launch},
            )
        )
        .one()
        ._mapping
    )
    # Held-out members are never contacted: no touch, nothing attributed through them.
    assert (row["targeted"], row["control_members"]) == (4, 4)
    assert row["attributed_revenue"] == Decimal("600.00")
    mean_t, mean_c = statistics.mean(treated), statistics.mean(control)
    lift = (mean_t - mean_c) * 4
    margin = (
        1.959964
        * math.sqrt(statistics.variance(treated) / 4 + statistics.variance(control) / 4)
        * 4
    )
    assert (row["treated_revenue_per_member"], row["control_revenue_per_member"]) == (
        Decimal("150.00"),
        Decimal("12.50"),
    )
    assert row["incremental_revenue"] == Decimal("550.00") == Decimal(str(lift))
    assert float(row["incremental_revenue_low"]) == pytest.approx(lift - margin, abs=0.01)
    assert float(row["incremental_revenue_high"]) == pytest.approx(lift + margin, abs=0.01)
    assert (row["treated_conversion"], row["control_conversion"]) == (
        Decimal("0.7500"),
        Decimal("0.2500"),
    )
    spread = 1.959964 * math.sqrt(0.75 * 0.25 / 4 + 0.25 * 0.75 / 4)
    assert float(row["incremental_conversion_low"]) == pytest.approx(0.5 - spread, abs=1e-4)
    assert float(row["incremental_conversion_high"]) == pytest.approx(0.5 + spread, abs=1e-4)
