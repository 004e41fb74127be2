"""What each CLI command does; `api.cli` only parses arguments."""

import argparse
import asyncio
import socket

from api import migrate as migrations
from api.runtime import endpoints
from api.settings import Settings


def describe_error(error: BaseException) -> str:
    """A one-line description of an unexpected failure, naming the likely cause."""
    if isinstance(error, (ConnectionRefusedError, socket.gaierror, TimeoutError)) or (
        isinstance(error, OSError) and "connect" in str(error).lower()
    ):
        return f"cannot reach the server ({error.__class__.__name__}: {error})"
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{error.__class__.__name__}: {first}" if first else error.__class__.__name__


def migrate(args: argparse.Namespace, settings: Settings) -> None:
    with endpoints(settings, need_redis=False) as found:
        migrations.upgrade(found.database_url, args.revision)
        print(f"database migrated to {args.revision}")


def seed(args: argparse.Namespace, settings: Settings) -> None:
    from domain.demo.seed import seed_database

    with endpoints(settings, need_redis=False) as found:
        migrations.upgrade(found.database_url)
        report = asyncio.run(
            seed_database(
                found.database_url,
                customers=args.customers,
                seed=args.seed,
                years=args.years,
                reset=args.reset,
            )
        )
        print(report)


def serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    with endpoints(settings) as found:
        _export_endpoints(found.database_url, found.redis_url)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers,
            log_level=settings.log_level.lower(),
            proxy_headers=True,
            timeout_graceful_shutdown=20,
        )


def dev(args: argparse.Namespace, settings: Settings) -> None:
    """Everything needed to try bizgraph locally, in one process tree that Ctrl-C stops."""
    import subprocess
    import sys
    import webbrowser

    import uvicorn

    from api.recompute import expand
    from api.recompute import run_sync as run_recompute
    from domain.demo.seed import database_is_empty, seed_database

    host = args.host or settings.host
    port = args.port or settings.port
    with endpoints(settings) as found:
        _export_endpoints(found.database_url, found.redis_url)
        migrations.upgrade(found.database_url)
        if asyncio.run(database_is_empty(found.database_url)):
            print(f"seeding demo data ({args.customers} customers)…", flush=True)
            print(asyncio.run(seed_database(found.database_url, customers=args.customers)))
            print("computing metrics and forecasts…", flush=True)
            run_recompute(found.database_url, expand(None))
        worker = None
        if not args.no_worker:
            # A separate process: CPU-heavy forecasts never stall API requests.
            worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker"])
        url = f"http://{host}:{port}/graphql"
        print(f"GraphiQL: {url}", flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        try:
            uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()


def _export_endpoints(database_url: str, redis_url: str | None) -> None:
    """Make the resolved URLs visible to child processes (uvicorn workers, the worker)."""
    import os

    os.environ["DATABASE_URL"] = database_url
    if redis_url is not None:
        os.environ["REDIS_URL"] = redis_url
    from api.settings import get_settings

    get_settings.cache_clear()


def worker(args: argparse.Namespace, settings: Settings) -> None:
    import sys

    from workers.main import check, run

    with endpoints(settings) as found:
        assert found.redis_url is not None
        if args.check:
            sys.exit(check(found.redis_url))
        run(found.database_url, found.redis_url, burst=args.burst)


def recompute(args: argparse.Namespace, settings: Settings) -> None:
    from api.cli import CliError
    from api.recompute import expand, run_sync

    with endpoints(settings, need_redis=False) as found:
        failed = run_sync(found.database_url, expand(args.what))
    if failed:
        raise CliError(f"recompute failed for: {', '.join(failed)} (see ops.job_run)")
