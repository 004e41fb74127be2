"""What each CLI command does; `api.cli` only parses arguments."""

import argparse
import asyncio
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from api import migrate as migrations
from api.cli_errors import CliError
from api.runtime import endpoints
from api.settings import Settings

DEV_TOKEN_TTL_S = 12 * 3600
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


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
    from domain.demo.production import add_production
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
        print(f"production today: {asyncio.run(add_production(found.database_url))}")


def serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from api.logs import logging_config

    _check_security(settings)
    with (
        _sigterm_exits(),
        endpoints(settings) as found,
        _metrics_directory(settings, args.workers),
    ):
        _export_endpoints(found.database_url, found.redis_url)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers,
            log_config=logging_config(settings),
            log_level=settings.log_level.lower(),
            access_log=False,  # the request line comes from api.observability
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            timeout_graceful_shutdown=settings.shutdown_grace_s,
        )


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM raises SystemExit, so embedded servers started here are stopped on the way out.

    While serving, uvicorn handles SIGTERM itself; after its graceful shutdown it restores
    this handler and raises the signal again, which lands here.
    """
    import signal

    def exit_now(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, exit_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _metrics_directory(settings: Settings, processes: int) -> Iterator[None]:
    """With several processes, prometheus-client's multiprocess mode in a clean directory.

    Set before uvicorn starts its processes, which read it when they import the metrics.
    """
    import os
    import shutil
    import tempfile
    from pathlib import Path

    if processes == 1 and settings.metrics_dir is None:
        yield
        return
    owned = settings.metrics_dir is None
    directory = (
        Path(tempfile.mkdtemp(prefix="bizgraph-metrics-")) if owned else settings.metrics_dir
    )
    assert directory is not None
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    try:
        yield
    finally:
        if owned:
            shutil.rmtree(directory, ignore_errors=True)


def dev(args: argparse.Namespace, settings: Settings) -> None:
    """Everything needed to try bizgraph locally, in one process tree that Ctrl-C stops."""
    import subprocess
    import sys
    import threading

    import uvicorn

    from api.app import create_app
    from api.logs import logging_config
    from api.recompute import expand
    from api.recompute import run_sync as run_recompute
    from domain.demo.production import add_production
    from domain.demo.seed import database_is_empty, seed_database

    host = args.host or settings.host
    port = args.port or settings.port
    _check_security(settings)
    with _sigterm_exits(), endpoints(settings) as found:
        _export_endpoints(found.database_url, found.redis_url)
        migrations.upgrade(found.database_url)
        if asyncio.run(database_is_empty(found.database_url)):
            print(f"seeding demo data ({args.customers} customers)…", flush=True)
            print(asyncio.run(seed_database(found.database_url, customers=args.customers)))
            print(f"production today: {asyncio.run(add_production(found.database_url))}")
            print("computing metrics and forecasts…", flush=True)
            run_recompute(found.database_url, expand(None))
        settings = _reloaded_settings()
        graphiql_token = _dev_admin_token(settings, found.database_url, host)
        worker = None
        if not args.no_worker:
            # A separate process: CPU-heavy forecasts never stall API requests.
            worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker"])
        url = f"http://{host}:{port}/graphql"
        app = create_app(settings, graphiql_token=graphiql_token)
        server = uvicorn.Server(
            uvicorn.Config(
                app, host=host, port=port, log_config=logging_config(settings), access_log=False
            )
        )
        # Printed once the API answers, so it is the last thing on the screen.
        threading.Thread(
            target=_announce, args=(server, url, not args.no_browser), daemon=True
        ).start()
        try:
            server.run()
        except KeyboardInterrupt:
            pass  # Ctrl-C: uvicorn has shut down; stop the worker below (as uvicorn.run does)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()


def _announce(server: Any, url: str, open_browser: bool) -> None:
    """The essentials, framed, once the API is up; then GraphiQL in a browser."""
    import time
    import webbrowser

    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.1)
    lines = [
        "bizgraph is running",
        f"GraphiQL  {url}  (opens with an admin token on this machine)",
        "A token   bizgraph token --employee EMAIL --role ROLE",
        "Stop      Ctrl-C",
    ]
    rule = "-" * (max(len(line) for line in lines) + 4)
    print("\n".join([rule, *(f"  {line}" for line in lines), rule]), flush=True)
    if open_browser:
        webbrowser.open(url)


def _export_endpoints(database_url: str, redis_url: str | None) -> None:
    """Make the resolved URLs visible to child processes (uvicorn workers, the worker)."""
    import os

    os.environ["DATABASE_URL"] = database_url
    if redis_url is not None:
        os.environ["REDIS_URL"] = redis_url
    _reloaded_settings()


def _reloaded_settings() -> Settings:
    from api.settings import get_settings

    get_settings.cache_clear()
    return get_settings()


def _check_security(settings: Settings) -> None:
    from api.security.layer import InsecureConfiguration, check

    try:
        check(settings)
    except InsecureConfiguration as error:
        raise CliError(str(error)) from error


def _dev_admin_token(settings: Settings, database_url: str, host: str) -> Callable[[], str] | None:
    """Print an admin token for the first active employee; GraphiQL opens with a fresh one.

    Only on a loopback interface: anyone who can load the page would get the token.
    """
    from api.security.tokens import hs256_secret, mint

    email = asyncio.run(_first_active_employee(database_url))
    secret = hs256_secret(settings, settings.data_dir)
    if email is None or secret is None:
        print("no active employee (or no HS256 secret): no development token", flush=True)
        return None

    def admin_token(ttl_seconds: int = DEV_TOKEN_TTL_S) -> str:
        return mint(
            secret,
            email=email,
            roles=["admin"],
            ttl_seconds=ttl_seconds,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )

    print(f"development admin token ({email}, 12 h):\n{admin_token()}", flush=True)
    if host not in LOOPBACK_HOSTS:
        print(f"GraphiQL gets no token: {host} is not a loopback interface", flush=True)
        return None
    return admin_token


async def _first_active_employee(database_url: str) -> str | None:
    import asyncpg

    from domain.core.sessions import asyncpg_dsn

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        email = await connection.fetchval(
            "SELECT email FROM erp.employee WHERE status = 'active' ORDER BY id LIMIT 1"
        )
        return str(email) if email is not None else None
    finally:
        await connection.close()


def token(args: argparse.Namespace, settings: Settings) -> None:
    from api.security.tokens import hs256_secret, mint

    secret = hs256_secret(settings, settings.data_dir)
    if secret is None:
        raise CliError(
            "no BIZGRAPH_JWT_SECRET to sign with (in prod, tokens come from your identity provider)"
        )
    print(
        mint(
            secret,
            email=args.employee,
            roles=sorted(set(args.role)),
            ttl_seconds=args.ttl,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )


def bi_role(args: argparse.Namespace, settings: Settings) -> None:
    import sys

    from api.bi_role import BiRoleError, ensure_bi_role

    password = sys.stdin.readline().rstrip("\n") if args.password == "-" else args.password
    if not password:
        raise CliError("the password must not be empty")
    with endpoints(settings, need_redis=False) as found:
        try:
            report = asyncio.run(
                ensure_bi_role(
                    found.database_url,
                    name=args.name,
                    password=password,
                    connection_limit=args.connection_limit,
                )
            )
        except BiRoleError as error:
            raise CliError(str(error)) from error
    print(
        f"role {report.name} may read the bi views of {report.database} and nothing else; "
        "rerun after upgrades"
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def worker(args: argparse.Namespace, settings: Settings) -> None:
    import sys

    from api.logs import configure_logging
    from workers.main import WorkerOptions, check, run

    with endpoints(settings) as found:
        assert found.redis_url is not None
        if args.check:
            sys.exit(check(found.redis_url))
        configure_logging(settings)
        options = WorkerOptions(
            queue_name=settings.queue_name,
            job_timeout_s=settings.job_timeout_s,
            heartbeat_s=settings.job_heartbeat_s,
            effect_deadline_s=settings.effect_deadline_s,
            shutdown_grace_s=settings.shutdown_grace_s,
            metrics_port=settings.worker_metrics_port,
        )
        run(found.database_url, found.redis_url, burst=args.burst, options=options)


def recompute(args: argparse.Namespace, settings: Settings) -> None:
    from api.recompute import expand, run_sync

    if args.as_of is not None and args.as_of > date.today():
        raise CliError(f"--as-of {args.as_of} is in the future: nothing is known about it yet")
    with endpoints(settings, need_redis=False) as found:
        failed = run_sync(found.database_url, expand(args.what), as_of=args.as_of)
    if failed:
        raise CliError(f"recompute failed for: {', '.join(failed)} (see ops.job_run)")


def import_records(args: argparse.Namespace, settings: Settings) -> None:
    from api.imports import run_import

    with endpoints(settings, need_redis=False) as found:
        run_import(found.database_url, args)


def export(args: argparse.Namespace, settings: Settings) -> None:
    from api.imports import run_export

    with endpoints(settings, need_redis=False) as found:
        run_export(found.database_url, args)


def rates(args: argparse.Namespace, settings: Settings) -> None:
    from api.rates import load_rates

    with endpoints(settings, need_redis=False) as found:
        count = load_rates(found.database_url, args.file)
    print(f"{count} exchange rate{'' if count == 1 else 's'} loaded")


def books(args: argparse.Namespace, settings: Settings) -> None:
    from api.books import check_books

    with endpoints(settings, need_redis=False) as found:
        disagreements = check_books(found.database_url)
    for name, count in disagreements.items():
        print(f"{'ok' if count == 0 else f'{count} disagree'}: {name}")
    if any(disagreements.values()):
        raise CliError("the books disagree with the operations")


def operations(args: argparse.Namespace, settings: Settings) -> None:
    from api.operations import register_directory

    with endpoints(settings, need_redis=False) as found:
        registered = register_directory(
            found.database_url, args.directory, client=args.client, manifest=args.manifest
        )
    print(
        f"{registered.operations} operations from {registered.files} files, "
        f"{registered.new} new; manifest: {registered.manifest}"
    )
