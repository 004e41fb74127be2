"""What the security checks cost per request, without a database.

    .venv/bin/python -m tests.benchmarks.security_overhead

Prints microseconds per call for verifying an HS256 token and for each query limit on the
Customer 360 document (token count with and without its cache, depth and alias rule,
row estimate), next to graphql-core's parse and full validation for scale.
"""

import asyncio
import os
import platform
import time
from collections.abc import Callable

from graphql import parse, validate

from api.graphiql import CUSTOMER_360
from api.security.query_limits import QueryLimits, _token_count
from api.security.tokens import TokenVerifier, mint
from api.settings import Settings
from schema.build import build_schema

SECRET = "benchmark-only-secret-of-32-bytes-or-more"


def per_call_us(call: Callable[[], object], seconds: float = 1.0) -> float:
    calls = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(50):
            call()
        calls += 50
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    settings = Settings(BIZGRAPH_JWT_SECRET=SECRET)
    limits = QueryLimits.from_settings(settings)
    schema = build_schema()._schema
    document = parse(CUSTOMER_360)
    operation = document.definitions[0]
    verifier = TokenVerifier(settings, secret=SECRET)
    token = mint(
        SECRET,
        email="a@b.c",
        roles=["admin"],
        ttl_seconds=600,
        issuer="bizgraph",
        audience="bizgraph-api",
    )
    loop = asyncio.new_event_loop()
    rows = [
        ("verify an HS256 token", lambda: loop.run_until_complete(verifier.verify(token))),
        ("count tokens (cache hit)", lambda: limits.check_tokens(CUSTOMER_360)),
        ("count tokens (no cache)", lambda: _token_count(CUSTOMER_360, 2000)),
        ("depth and aliases rule", lambda: validate(schema, document, [limits.shape_rule])),
        (
            "row estimate and `first`",
            lambda: limits.check_rows(schema, document, operation, {"id": "x"}),  # type: ignore[arg-type]
        ),
        ("for scale: parse", lambda: parse(CUSTOMER_360)),
        ("for scale: full validation", lambda: validate(schema, document)),
    ]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print("| step (Customer 360 document) | µs per call |")
    print("|---|---|")
    for label, call in rows:
        print(f"| {label} | {per_call_us(call):.0f} |", flush=True)
    loop.close()


if __name__ == "__main__":
    main()
