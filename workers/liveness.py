"""A worker's claims die with it: job markers that need a heartbeat, pool processes that
need their parent.

**Job markers.** arq marks a job it runs "in progress" in Redis; no other worker takes the
job while the marker lives, and a killed worker's job runs again once it expires. arq
gives the marker the longest job timeout + 10 s (610 s here), so a killed worker held its
jobs for ten minutes. Here every marker lives `TTL_BEATS` heartbeats and the running job
renews it every beat: a live job of any length keeps it, a dead worker's job is free again
within `TTL_BEATS` × the heartbeat.

**Pool processes.** Model fits run in a process pool. A worker killed with SIGKILL runs no
clean-up, and its pool processes (and multiprocessing's resource tracker, which lives
while they hold its pipe) would run on for good. Each pool process asks the kernel for
SIGKILL when its parent dies (Linux: `PR_SET_PDEATHSIG`); elsewhere a thread watches the
parent.
"""

import asyncio
import ctypes
import dataclasses
import logging
import os
import signal
import sys
import threading
import time
from contextlib import suppress
from typing import Any, TypeVar

from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError

log = logging.getLogger("bizgraph.worker")

TTL_BEATS = 3
PR_SET_PDEATHSIG = 1

Job = TypeVar("Job")


def marker_ttl_s(heartbeat_s: float) -> float:
    return heartbeat_s * TTL_BEATS


def with_heartbeat(function: Job, heartbeat_s: float) -> Job:
    """A copy of an arq `Function` or `CronJob` that renews its in-progress marker."""
    coroutine = function.coroutine  # type: ignore[attr-defined]
    ttl_ms = int(marker_ttl_s(heartbeat_s) * 1000)

    async def job(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        key = in_progress_key_prefix + ctx["job_id"]
        beating = asyncio.create_task(_beat(ctx["redis"], key, heartbeat_s, ttl_ms))
        try:
            return await coroutine(ctx, *args, **kwargs)
        finally:
            beating.cancel()

    return dataclasses.replace(function, coroutine=job)  # type: ignore[type-var]


async def _beat(redis: Any, key: str, every_s: float, ttl_ms: int) -> None:
    while True:
        await asyncio.sleep(every_s)
        # Redis gone: the job goes on; the marker may lapse and the job run twice, which
        # jobs are made for (idempotent).
        with suppress(RedisError, OSError):
            await redis.pexpire(key, ttl_ms)


def die_with_parent(parent_pid: int) -> None:
    """In a pool process: end when `parent_pid`, the worker, ends."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    else:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)
