"""When a failed webhook delivery is tried again, when it is given up, and when an endpoint
that keeps failing is disabled.

Retries back off exponentially from 30 s, doubling up to 6 h, with "equal jitter": each
wait is between half and all of its step, so deliveries that failed together (a receiver's
outage) do not come back together, and the whole schedule still spans about a day
(15 attempts over 16–32 h, 24 h on average).
"""

import random
from datetime import timedelta

FIRST_RETRY_S = 30
LONGEST_RETRY_S = 6 * 3600
MAX_ATTEMPTS = 15
# An endpoint is disabled when this many attempts in a row failed and the first of them
# is at least this old: a day of failing, not a receiver's restart.
DISABLE_AFTER_FAILURES = 10
DISABLE_AFTER = timedelta(hours=24)


def retry_step_s(attempts: int) -> float:
    """The longest wait after `attempts` failed attempts (1 = the first)."""
    return float(min(FIRST_RETRY_S * 2 ** (attempts - 1), LONGEST_RETRY_S))


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta | None:
    """How long to wait after `attempts` failed attempts; None: give up (failed)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    step = retry_step_s(attempts)
    return timedelta(seconds=step / 2 + (rng or random).uniform(0, step / 2))


def schedule_span() -> tuple[timedelta, timedelta]:
    """The shortest and longest time from the first attempt to the last."""
    longest = sum(retry_step_s(n) for n in range(1, MAX_ATTEMPTS))
    return timedelta(seconds=longest / 2), timedelta(seconds=longest)
