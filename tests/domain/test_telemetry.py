"""Per-request SQL time counts concurrent statements once."""

from domain.core.telemetry import RequestStats


def test_sql_time_is_the_union_of_statement_intervals() -> None:
    stats = RequestStats("r")
    # Two batches overlapping (1-4 and 2-3), then one alone (6-7): 3 s + 1 s.
    stats.sql_intervals += [(6.0, 7.0), (1.0, 4.0), (2.0, 3.0)]
    assert stats.sql_seconds == 4.0


def test_partly_overlapping_statements_add_only_the_uncovered_part() -> None:
    stats = RequestStats("r")
    stats.sql_intervals += [(0.0, 2.0), (1.5, 3.0)]
    assert stats.sql_seconds == 3.0
    assert RequestStats("empty").sql_seconds == 0.0
