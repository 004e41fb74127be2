"""RFM segmentation: quintile scores (5 = best) mapped to named segments.

One rule table drives both the Python function and the SQL CASE used by the batch
recompute, so the two cannot disagree. Rules are checked in order; the first match wins.
"""

RFM_SEGMENTS = (
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New",
    "At risk",
    "Can't lose",
    "Hibernating",
    "Lost",
)

# (segment, recency range, frequency+monetary average range) — inclusive bounds.
# FM is the rounded-down mean of F and M, a common simplification of the R × FM grid.
_RULES: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    ("Champions", (4, 5), (4, 5)),
    ("Loyal", (3, 3), (4, 5)),
    ("Potential loyalist", (4, 5), (2, 3)),
    ("New", (4, 5), (1, 1)),
    ("Can't lose", (1, 2), (5, 5)),
    ("At risk", (1, 3), (3, 4)),
    ("Hibernating", (2, 3), (1, 2)),
    ("Lost", (1, 1), (1, 2)),
)


def segment_case_sql(r_col: str, f_col: str, m_col: str) -> str:
    """The segment of quintile scores r, f, m (each 1–5) as a SQL CASE expression."""
    fm = f"(({f_col} + {m_col}) / 2)"
    branches = [
        f"WHEN {r_col} BETWEEN {r_low} AND {r_high} AND {fm} BETWEEN {fm_low} AND {fm_high} "
        f"THEN '{name.replace(chr(39), chr(39) * 2)}'"
        for name, (r_low, r_high), (fm_low, fm_high) in _RULES
    ]
    return "CASE " + " ".join(branches) + " END"
