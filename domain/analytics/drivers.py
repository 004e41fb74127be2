"""Plans known ahead of time, as regressors of the revenue forecast.

**Campaign reach**: on each day, the contacted members of planned, active and completed
campaigns who are within the attribution window after their touch (the touch rule is the
campaign results' own, `domain.analytics.campaigns`). A campaign is planned before it runs:
its members are added, and their touch is known, ahead of the days they are reached.

What was known when matters. A forecast made at an origin may only use the members added
before it: `CampaignReach.known_at` counts exactly those. A member added later is touched
later too (the touch is never before joining), so the history before any origin is the
same whoever counts it, and a backtest origin sees the plans as they stood on its day, not
as they stand today. Campaign statuses are today's (their history is not kept): a campaign
cancelled after an origin is left out of that origin's plans.

Open deals are not a driver: what was expected to close on a past day, and at what
probability, is not kept (a deal's stage is today's), so no backtest could judge them
honestly; they enter the revenue outlook as its weighted pipeline instead.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.analytics.campaigns import ATTRIBUTION_WINDOW_DAYS, CONTACTED, TOUCHED_AT

CAMPAIGN_REACH = "campaign_reach"

_MEMBERS = f"""
    SELECT c.tier, CAST(m.added_at AT TIME ZONE 'UTC' AS date) AS added_on,
           CAST({TOUCHED_AT} AT TIME ZONE 'UTC' AS date) AS touched_on
    FROM crm.campaign_member m
    JOIN crm.campaign k ON k.id = m.campaign_id
    JOIN crm.customer c ON c.id = m.customer_id
    WHERE k.status IN ('planned', 'active', 'completed') AND {CONTACTED}
      AND m.added_at < :until
"""


@dataclass(frozen=True)
class CampaignReach:
    """Contacted memberships as day numbers from a series' first day."""

    added: np.ndarray
    touched: np.ndarray
    window: int = ATTRIBUTION_WINDOW_DAYS

    def known_at(self, origin: int, days: int) -> np.ndarray:
        """Members within their window on each of the first `days` days, counting only the
        members added before day `origin`."""
        known = self.added < origin
        starts = np.clip(self.touched[known], 0, days)
        ends = np.clip(self.touched[known] + self.window, 0, days)
        change = np.zeros(days + 1)
        np.add.at(change, starts, 1)
        np.add.at(change, ends, -1)
        return np.cumsum(change)[:days]

    def reaches_before(self, origin: int) -> bool:
        """Whether anyone was reached before day `origin` (else there is nothing to fit)."""
        return bool(np.any(self.touched[self.added < origin] < origin))

    def shifted(self, first_day: date, to: date) -> "CampaignReach":
        """The same memberships counted from another first day."""
        offset = (to - first_day).days
        return CampaignReach(self.added - offset, self.touched - offset, self.window)


async def load_campaign_reach(
    connection: AsyncConnection, as_of: date, first_day: date
) -> dict[str, CampaignReach]:
    """Reach of every contacted membership added before `as_of`, for the whole company
    (key '') and per customer tier, as day numbers from `first_day`."""
    until = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC)
    rows = (await connection.execute(text(_MEMBERS), {"until": until})).all()
    tiers = np.array([tier for tier, _, _ in rows], dtype=object)
    added = np.array([(day - first_day).days for _, day, _ in rows], dtype=np.int64)
    touched = np.array([(day - first_day).days for _, _, day in rows], dtype=np.int64)
    reach = {"": CampaignReach(added, touched)}
    for tier in sorted(set(tiers)):
        chosen = tiers == tier
        reach[str(tier)] = CampaignReach(added[chosen], touched[chosen])
    return reach
