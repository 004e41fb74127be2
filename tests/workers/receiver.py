"""A real HTTP server receiving webhooks, started by a test on a free local port.

Each path is one receiver (`/a`, `/b`); its mode says how it answers: `ok` (200), `fail`
(500 with an error page), `slow:<seconds>` (200, late), `hang` (never answers: the sender's
time-out). It keeps every request as received, and how many were in flight at once.
"""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    base_url: str = ""
    modes: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    most_in_flight: Counter[str] = field(default_factory=Counter)

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def at(self, name: str) -> list[Received]:
        return [r for r in self.received if r.path == f"/{name}"]

    async def handle(self, request: Request) -> Response:
        name = request.path_params["name"]
        mode = self.modes.get(name, "ok")
        self.in_flight[name] += 1
        self.most_in_flight[name] = max(self.most_in_flight[name], self.in_flight[name])
        try:
            body = await request.body()
            if mode.startswith("slow:"):
                await asyncio.sleep(float(mode.removeprefix("slow:")))
            elif mode == "hang":
                await asyncio.Event().wait()
            self.received.append(
                Received(request.url.path, dict(request.headers), body, time.perf_counter())
            )
            if mode == "fail":
                return PlainTextResponse("boom! " * 200, status_code=500)
            return PlainTextResponse("thanks")
        finally:
            self.in_flight[name] -= 1


@asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/{name}", receiver.handle, methods=["POST"])])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.perf_counter() + 10
    while not server.started:
        assert time.perf_counter() < deadline, "the receiver did not start"
        assert not task.done(), "the receiver stopped"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    receiver.base_url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        server.should_exit = True
        server.force_exit = True
        await task


def refused_url() -> str:
    """A local URL nobody listens on: connections are refused."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody"
