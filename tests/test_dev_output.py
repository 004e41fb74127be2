"""`bizgraph dev` stays readable: the worker's housekeeping does not flood the log."""

import logging

from api.logs import QuietHousekeeping


def _record(level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord("arq.worker", level, __file__, 1, message, None, None)


def test_housekeeping_runs_are_not_logged_but_their_failures_are() -> None:
    quiet = QuietHousekeeping()
    assert not quiet.filter(_record(logging.INFO, "  0.50s → cron:relay_outbox()"))
    assert not quiet.filter(_record(logging.INFO, "  0.01s ← cron:deliver_webhooks ● 0"))
    assert quiet.filter(_record(logging.WARNING, "  1.00s ! cron:relay_outbox failed"))
    assert quiet.filter(_record(logging.INFO, "  0.02s → refresh_customer(42, 7)"))
    assert quiet.filter(_record(logging.INFO, "  0.23s → cron:nightly_recompute()"))
    # The worker's start names every job, the housekeeping ones too: it is kept.
    assert quiet.filter(
        _record(logging.INFO, "Starting worker for 9 functions: cron:relay_outbox, refresh")
    )
