"""A few saved customer segments, so the demo's segments have figures to show.

Their conditions are `where` values on customers as a client would send them (GraphQL
names); `tests/api/test_segments.py` reads each one's figures through the API.
"""

import json
from datetime import UTC, datetime, time, timedelta

import pandas as pd

from domain.demo.frame import Frame

OPEN_STAGES = ["QUALIFICATION", "PROPOSAL", "NEGOTIATION"]


def generate_segments(frame: Frame) -> None:
    lapsed_since = datetime.combine(frame.today - timedelta(days=180), time(), UTC)
    segments = [
        (
            "Gold and platinum, owing",
            "Our best tiers with something still to pay.",
            {"tier": {"in": ["GOLD", "PLATINUM"]}, "openBalance": {"gt": "0"}},
        ),
        (
            "Overdue with an open deal",
            "An invoice more than 30 days overdue, and a deal still open: talk before selling.",
            {
                "invoices": {"some": {"daysOverdue": {"gt": 30}}},
                "opportunities": {"some": {"stage": {"in": OPEN_STAGES}}},
            },
        ),
        (
            "Active, no order in six months",
            "Active customers who have not ordered for 180 days: win them back.",
            {
                "status": {"eq": "ACTIVE"},
                "orders": {"none": {"orderedAt": {"gte": lapsed_since.isoformat()}}},
            },
        ),
    ]
    marketing = frame.pools["marketing"]
    frame.tables["crm.segment"] = pd.DataFrame(
        {
            "id": range(1, len(segments) + 1),
            "name": [name for name, _, _ in segments],
            "description": [about for _, about, _ in segments],
            "definition": [json.dumps(where) for _, _, where in segments],
            "created_by_id": [int(marketing[0]) if len(marketing) else None] * len(segments),
        }
    )
