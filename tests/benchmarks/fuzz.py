"""The longer fuzz run: freshly drawn documents from the schema against a seeded API.

    .venv/bin/python -m tests.benchmarks.fuzz --documents 3000

Seeds a small demo company (DATABASE_URL's server, or an embedded PostgreSQL), builds the
app in production mode and sends `--documents` generated queries, mutations and invalid
documents (`tests.fuzz`), each as one of several roles in turn, over ASGI. Prints how many
were answered with data, with typed errors by code, and every problem: a 5xx, an
INTERNAL_SERVER_ERROR or a stack trace in a message. Exits non-zero if it found one.
"""

import argparse
import asyncio
import logging
import os
import platform
import sys
import time
import uuid
from collections import Counter

import asyncpg
import httpx

from api.app import create_app
from api.security.tokens import mint
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database
from tests.benchmarks.scratch import scratch_database
from tests.fuzz import documents, problems

ROLES = ("admin", "sales_rep", "marketing", "support", "finance", "warehouse", "hr")
SECRET = "fuzz-only-secret-" + uuid.uuid4().hex


async def fuzz(database_url: str, count: int) -> bool:
    # strawberry logs every GraphQL error on its own logger; deployments silence it (api/logs.py).
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)
    settings = Settings(
        DATABASE_URL=database_url,
        BIZGRAPH_ENV="prod",
        BIZGRAPH_JWT_SECRET=SECRET,
        BIZGRAPH_RATE_LIMIT_PER_MINUTE=0,
        BIZGRAPH_LOG_LEVEL="CRITICAL",
    )
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    email = await connection.fetchval(
        "SELECT email FROM erp.employee WHERE status = 'active' ORDER BY id LIMIT 1"
    )
    await connection.close()
    tokens = [
        mint(
            SECRET,
            email=email,
            roles=[role],
            ttl_seconds=3600,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        for role in ROLES
    ]
    drawn = documents(count, fixed=False)
    app = create_app(settings)
    answers: Counter[str] = Counter()
    found: list[str] = []
    started = time.perf_counter()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fuzz") as client:
        for index, (kind, document) in enumerate(drawn):
            headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}
            response = await client.post("/graphql", json={"query": document}, headers=headers)
            body = response.json() if response.content else None
            errors = body.get("errors") if isinstance(body, dict) else None
            code = (errors[0].get("extensions") or {}).get("code") if errors else "data"
            answers[f"{kind}: {code}"] += 1
            found += [
                f"{kind} as {ROLES[index % len(ROLES)]}: {p}\n{document}"
                for p in problems(response.status_code, body)
            ]
    await app.state.bizgraph.reads.close()
    await app.state.bizgraph.engine.dispose()
    seconds = time.perf_counter() - started
    print(f"{len(drawn)} documents in {seconds:.0f} s")
    for answer, n in sorted(answers.items()):
        print(f"{n:>6}  {answer}")
    print(f"problems: {len(found)}")
    for problem in found[:20]:
        print(problem)
    return not found


def main() -> None:
    parser = argparse.ArgumentParser(description="Fuzz the API with documents from its schema.")
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=200, help="demo company size")
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with scratch_database("bizgraph-fuzz") as database_url:
        asyncio.run(seed_database(database_url, customers=args.customers, seed=42, reset=True))
        clean = asyncio.run(fuzz(database_url, args.documents))
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
