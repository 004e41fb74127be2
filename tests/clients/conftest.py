"""JavaScript clients against a real API process on the demo company: GraphiQL in Chromium,
Apollo Client's normalized cache.

Collected only where their tools are installed (`tools.missing()` says so in the run's
header: never silently). The npm packages, pinned by `package-lock.json`, are installed
on first use into `node_modules/` here."""

import fcntl
import hashlib
import json
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.demo.seed import seed_database
from tests.api.conftest import DEMO_SEED, DEMO_TODAY, TEST_SECRET
from tests.clients.tools import CHROMIUM, NODE, NPM
from tests.conftest import truncate_all
from tests.faults.processes import BizgraphProcess, free_port

HERE = Path(__file__).parent

collect_ignore = []
if not (NODE and NPM):
    collect_ignore += ["test_graphiql_browser.py", "test_apollo_cache.py"]
elif not CHROMIUM:
    collect_ignore += ["test_graphiql_browser.py"]


@pytest.fixture(scope="session")
def node_packages() -> Path:
    """`npm ci` once per lock file (test workers take turns: one installs, the others find
    it done)."""
    assert NPM is not None
    lock = (HERE / "package-lock.json").read_bytes()
    stamp = HERE / "node_modules" / ".installed-lock"
    guard = Path(tempfile.gettempdir()) / f"bizgraph-npm-{hashlib.sha1(bytes(HERE)).hexdigest()}"
    with guard.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_bytes() != lock:
            subprocess.run(
                [NPM, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                cwd=HERE,
                check=True,
                capture_output=True,
            )
            stamp.write_bytes(lock)
    return HERE / "node_modules"


def run_node(script: str, config: dict[str, object], tmp_path: Path) -> dict[str, object]:
    """Run one of this folder's scripts with a JSON config; it prints one JSON object."""
    assert NODE is not None
    path = tmp_path / f"{Path(script).stem}.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [NODE, script, str(path)], cwd=HERE, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-4000:] or done.stdout[-4000:]
    seen: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return seen


@dataclass(frozen=True)
class Api:
    url: str  # the GraphQL endpoint


@pytest.fixture(scope="module")
async def demo_company(database_url: str, engine: AsyncEngine) -> AsyncIterator[None]:
    await seed_database(database_url, customers=80, seed=DEMO_SEED, today=DEMO_TODAY, reset=True)
    yield
    await truncate_all(engine)


def _start(
    command: list[str], database_url: str, redis_url: str, log: Path
) -> tuple[BizgraphProcess, Api]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BIZGRAPH_JWT_SECRET": TEST_SECRET,
    }
    process = BizgraphProcess([*command, "--port", str(port)], env, log).start()
    return process, Api(f"http://127.0.0.1:{port}/graphql")


def _stop(process: BizgraphProcess) -> None:
    if process.alive():
        process.signal(signal.SIGTERM)
        assert process.process is not None
        try:
            process.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.signal(signal.SIGKILL)


@pytest.fixture(scope="module")
def api_process(
    demo_company: None, database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[BizgraphProcess, Api]]:
    """`bizgraph serve` on the demo company."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    process, api = _start(["serve"], database_url, redis_url, log)
    try:
        yield process, api
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def dev_process(
    demo_company: None, database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[BizgraphProcess, Api]]:
    """`bizgraph dev` on the demo company (no worker, no browser): GraphiQL comes with the
    development token, as on a developer's machine."""
    log = tmp_path_factory.mktemp("dev") / "dev.log"
    process, api = _start(["dev", "--no-worker", "--no-browser"], database_url, redis_url, log)
    try:
        yield process, api
    finally:
        _stop(process)
