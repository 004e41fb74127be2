"""A graphql-transport-ws client over the `websockets` library, as a browser's would speak."""

import asyncio
import json
from collections import defaultdict, deque
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

PROTOCOL = "graphql-transport-ws"


class LiveClient:
    """One connection; messages for each subscription are kept until read."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.messages: dict[str, deque[dict[str, Any]]] = defaultdict(deque)

    @classmethod
    async def connect(cls, url: str, payload: dict[str, Any] | None) -> "LiveClient":
        connection = await websockets.connect(url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
        client = cls(connection)
        await client.send({"type": "connection_init", "payload": payload or {}})
        return client

    @classmethod
    async def signed_in(cls, url: str, token: str) -> "LiveClient":
        client = await cls.connect(url, {"Authorization": f"Bearer {token}"})
        acknowledged = await client.receive()
        assert acknowledged["type"] == "connection_ack", acknowledged
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, within: float = 10.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), within)
        # Text frames only: browsers' graphql-ws client refuses a binary frame.
        assert isinstance(raw, str), f"a binary frame: {raw!r}"
        message: dict[str, Any] = json.loads(raw)
        return message

    async def subscribe(self, id: str, query: str, **variables: Any) -> None:
        await self.send(
            {"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def next(self, id: str, within: float = 10.0) -> dict[str, Any]:
        """The next message for subscription `id` (`next`, `error` or `complete`)."""
        while not self.messages[id]:
            message = await self.receive(within)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            self.messages[message.get("id", "")].append(message)
        return self.messages[id].popleft()

    async def close_code(self, within: float = 10.0) -> tuple[int | None, str]:
        """Wait until the server closes the connection; its close code and reason."""
        try:
            while True:
                await self.receive(within)
        except websockets.ConnectionClosed as closed:
            received = closed.rcvd
            return (received.code, received.reason) if received else (None, "")

    async def close(self) -> None:
        await self.connection.close()
