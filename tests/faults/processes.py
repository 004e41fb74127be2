"""Real `bizgraph` processes for fault tests, and polling with a deadline (never sleeps to sync)."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, within: float, what: str, interval: float = 0.05
) -> float:
    """Poll `condition` until it holds; returns the seconds it took. Fails after `within`."""
    started = time.monotonic()
    while True:
        if await condition():
            return time.monotonic() - started
        if time.monotonic() - started > within:
            raise AssertionError(f"not within {within:g} s: {what}")
        await asyncio.sleep(interval)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BizgraphProcess:
    """`python -m api.cli <args>` with its own environment; stderr goes to a file we can read."""

    def __init__(
        self, args: list[str], env: dict[str, str], log_file: Path, unset: tuple[str, ...] = ()
    ) -> None:
        self.args = args
        self.env = {**os.environ, "BIZGRAPH_ENV": "dev", "BIZGRAPH_LOG_LEVEL": "INFO", **env}
        for name in unset:
            self.env.pop(name, None)
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "BizgraphProcess":
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    async def wait_for_log(self, text: str, *, within: float = 30.0) -> None:
        async def logged() -> bool:
            if text in self.log():
                return True
            assert self.alive(), f"process exited early:\n{self.log()[-3000:]}"
            return False

        await wait_until(logged, within=within, what=f"log line {text!r}")

    def signal(self, number: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    async def ready(self, base: str, *, within: float = 60.0) -> None:
        """Wait until the API at `base` answers /readyz (failing at once if it exited)."""

        async def answering() -> bool:
            assert self.alive(), self.log()[-3000:]
            try:
                async with httpx.AsyncClient() as http:
                    return (await http.get(f"{base}/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(answering, within=within, what="the API answering /readyz", interval=0.1)

    async def exit_code(self, *, within: float = 30.0) -> int:
        async def exited() -> bool:
            return not self.alive()

        await wait_until(exited, within=within, what="process exit")
        assert self.process is not None
        return self.process.returncode

    def stop(self) -> None:
        """Make sure the process is gone (teardown)."""
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait()


def worker_process(
    database_url: str, redis_url: str, queue: str, log_file: Path, **settings: str
) -> BizgraphProcess:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BIZGRAPH_QUEUE_NAME": queue,
        **settings,
    }
    return BizgraphProcess(["worker"], env, log_file)


def worker_check(redis_url: str, database_url: str) -> int:
    """The exit status of `bizgraph worker --check` (the container health check)."""
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": database_url}
    command = [sys.executable, "-m", "api.cli", "worker", "--check"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False).returncode


def child_processes(pid: int) -> set[int]:
    """Live processes whose parent is `pid` (read from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            state = _stat(int(entry.name))
            if state is not None and state[1] == pid and state[0] != "Z":
                found.add(int(entry.name))
    return found


def has_ended(pid: int) -> bool:
    state = _stat(pid)
    return state is None or state[0] == "Z"  # a zombie has ended; only its entry is left


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None once it is gone."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])
