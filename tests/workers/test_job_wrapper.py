"""Every job is timed, and a job that cannot reach PostgreSQL is retried instead of failed."""

import errno
from typing import Any

import pytest
from arq import Retry
from arq.worker import func

from workers.metrics import JOB_DURATION, instrumented


async def unreachable(ctx: dict[str, Any]) -> None:
    raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")


async def broken(ctx: dict[str, Any]) -> None:
    raise ValueError("a bug")


async def fine(ctx: dict[str, Any], value: int) -> int:
    return value * 2


def _samples(job: str) -> dict[str, float]:
    return {
        sample.labels["outcome"]: sample.value
        for metric in JOB_DURATION.collect()
        for sample in metric.samples
        if sample.name.endswith("_count") and sample.labels["job"] == job
    }


async def test_an_unreachable_database_becomes_a_deferred_retry() -> None:
    job = instrumented(func(unreachable, name="test_unreachable"))
    with pytest.raises(Retry) as raised:
        await job.coroutine({"job_try": 2})
    assert raised.value.defer_score == 10_000
    assert _samples("test_unreachable") == {"retried": 1}


async def test_other_failures_fail_and_successes_pass_through() -> None:
    failing = instrumented(func(broken, name="test_broken"))
    with pytest.raises(ValueError, match="a bug"):
        await failing.coroutine({"job_try": 1})
    working = instrumented(func(fine, name="test_fine"))
    assert await working.coroutine({"job_try": 1}, 21) == 42
    assert _samples("test_broken") == {"failed": 1}
    assert _samples("test_fine") == {"succeeded": 1}


async def test_cron_jobs_are_not_retried() -> None:
    job = instrumented(func(unreachable, name="test_cron_unreachable"), retry_when_db_down=False)
    with pytest.raises(ConnectionRefusedError):
        await job.coroutine({"job_try": 1})
    assert _samples("test_cron_unreachable") == {"failed": 1}
