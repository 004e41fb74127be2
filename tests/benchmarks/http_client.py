"""A lean HTTP/1.1 client for load generation: keep-alive connections over asyncio streams.

The benchmark's client runs on the same cores as the API and PostgreSQL, so its own cost
is added to every measured latency. httpx spent ~1.2 ms of CPU per Customer 360 request
here, over a third of what the server spent; this client sends a POST and reads a
`Content-Length` response (what uvicorn returns for GraphQL) in a fraction of that.
"""

import asyncio

import orjson


class HttpError(Exception):
    """A response the load generator cannot use."""


class JsonPoster:
    """POSTs JSON to one URL path; one keep-alive connection per concurrent caller."""

    def __init__(
        self, host: str, port: int, path: str, *, headers: dict[str, str] | None = None
    ) -> None:
        self.host, self.port, self.path = host, port, path
        self.headers = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._opened: list[asyncio.StreamWriter] = []

    async def post(self, payload: object) -> tuple[int, bytes]:
        """The status code and body of POSTing `payload` as JSON (bytes: sent as they are)."""
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        request = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\n{self.headers}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        while self._idle:
            # The server closes connections idle past its keep-alive timeout: try the next.
            reader, writer = self._idle.pop()
            try:
                return await self._exchange(reader, writer, request)
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._opened.append(writer)
        return await self._exchange(reader, writer, request)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> tuple[int, bytes]:
        writer.write(request)
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("closed by the server")
        length = None
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise HttpError(f"no Content-Length in the response to {self.path}")
        content = await reader.readexactly(length)
        self._idle.append((reader, writer))
        return int(status_line.split()[1]), content

    async def close(self) -> None:
        for writer in self._opened:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in self._opened), return_exceptions=True)
