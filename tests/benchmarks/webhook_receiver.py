"""The webhook benchmark's receiver, a process of its own (so its work never slows the sender
being measured): `python -m tests.benchmarks.webhook_receiver PORT`.

`POST /<name>` receives an event; `/<name>`'s mode (`POST /mode/<name>/<mode>`) says how it
answers: `ok` (200), `fail` (500) or `slow` (200 after `SLOW_S`). `GET /stats` gives, per
name, the requests received, the distinct event ids, the most in flight at once, and when
the first and last 2xx were answered.
"""

import asyncio
import sys
import time
from collections import defaultdict
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

SLOW_S = 10.0

modes: dict[str, str] = defaultdict(lambda: "ok")
stats: dict[str, dict[str, Any]] = defaultdict(
    lambda: {"requests": 0, "ids": set(), "in_flight": 0, "most_in_flight": 0, "first": None}
)


async def receive(request: Request) -> Response:
    name = request.path_params["name"]
    entry = stats[name]
    entry["in_flight"] += 1
    entry["most_in_flight"] = max(entry["most_in_flight"], entry["in_flight"])
    try:
        await request.body()
        mode = modes[name]
        if mode == "slow":
            await asyncio.sleep(SLOW_S)
        entry["requests"] += 1
        if mode == "fail":
            return PlainTextResponse("unavailable", status_code=500)
        entry["ids"].add(request.headers["bizgraph-event-id"])
        now = time.time()
        entry["first"] = entry["first"] or now
        entry["last"] = now
        return PlainTextResponse("ok")
    finally:
        entry["in_flight"] -= 1


async def set_mode(request: Request) -> Response:
    modes[request.path_params["name"]] = request.path_params["mode"]
    return PlainTextResponse("ok")


async def show(_: Request) -> Response:
    return JSONResponse(
        {
            name: {**{k: v for k, v in entry.items() if k != "ids"}, "unique": len(entry["ids"])}
            for name, entry in stats.items()
        }
    )


app = Starlette(
    routes=[
        Route("/stats", show, methods=["GET"]),
        Route("/mode/{name}/{mode}", set_mode, methods=["POST"]),
        Route("/{name}", receive, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off")
