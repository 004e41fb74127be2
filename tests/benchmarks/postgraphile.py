"""PostGraphile 4 as the read benchmark's peer: installed from npm into a cache folder, served
over the benchmark's database, with documents as close to ours as it can answer
(`tests/benchmarks/postgraphile/`), and its SQL statements counted on the wire."""

import asyncio
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

DOCUMENTS = Path(__file__).parent / "postgraphile"
PACKAGE = "postgraphile@4"
SCHEMAS = "crm,erp,analytics"


def install(cache: Path) -> Path:
    """The `postgraphile` command, installed into `cache` unless it is there already."""
    command = cache / "node_modules" / ".bin" / "postgraphile"
    if not command.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("the PostGraphile peer needs node and npm")
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", PACKAGE],
            check=True,
            capture_output=True,
        )
    return command


def start(command: Path, database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """PostGraphile serving the benchmark database on `port`, as `workers` processes."""
    arguments = [
        str(command),
        "--connection",
        database_url,
        "--schema",
        SCHEMAS,
        "--port",
        str(port),
        "--disable-query-log",
        "--disable-graphiql",
    ]
    if workers > 1:
        arguments += ["--cluster-workers", str(workers)]
    return subprocess.Popen(
        arguments,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NODE_ENV": "production"},
    )


def document(name: str) -> str:
    return (DOCUMENTS / f"{name}.graphql").read_text()


class StatementCounter:
    """A TCP relay in front of PostgreSQL counting the statements a client runs: simple
    queries ('Q') and executions of prepared ones ('E') of the wire protocol."""

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 5432
        self.statements = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(self.host, self.port)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            sink.close()

        try:
            await asyncio.gather(
                self._count(reader, upstream_writer),
                pipe(upstream_reader, writer),
                return_exceptions=True,
            )
        except asyncio.CancelledError:
            pass  # the relay is closing
        finally:
            writer.close()
            upstream_writer.close()

    async def _count(self, reader: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        # The startup message (and an SSL request before it) carries no type byte.
        while True:
            header = await reader.readexactly(8)
            sink.write(header)
            length = int.from_bytes(header[:4], "big")
            sink.write(await reader.readexactly(length - 8))
            if int.from_bytes(header[4:8], "big") != 80877103:  # not an SSL request
                break
        while True:
            kind = await reader.readexactly(1)
            length = int.from_bytes(await reader.readexactly(4), "big")
            body = await reader.readexactly(length - 4)
            if kind in (b"Q", b"E"):
                self.statements += 1
            sink.write(kind + length.to_bytes(4, "big") + body)
            await sink.drain()


def wait_until_serving(port: int, timeout_s: float = 60) -> None:
    """Wait for a server to accept connections on `port`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
