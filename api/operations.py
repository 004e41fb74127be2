"""`bizgraph operations register DIR`: a client build's operations, registered for the
safelist and for hash-only requests, and the manifest the client ships."""

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from api.cli_errors import CliError
from api.persisted_queries import manifest as manifest_of
from api.persisted_queries import operations_of
from domain.core.sessions import create_engine, session_factory
from domain.integrations import persisted
from domain.integrations.persisted import Operation

MANIFEST_NAME = "persisted-query-manifest.json"


@dataclass(frozen=True)
class Registered:
    files: int
    operations: int
    new: int
    manifest: Path


def register_directory(
    database_url: str, directory: Path, *, client: str | None, manifest: Path | None
) -> Registered:
    """Check and register every operation of DIR's .graphql files; write the manifest."""
    from schema.build import build_schema

    if not directory.is_dir():
        raise CliError(f"{directory} is not a directory")
    files = sorted(directory.rglob("*.graphql"))
    if not files:
        raise CliError(f"no .graphql files under {directory}")
    schema = build_schema()._schema
    texts = {str(path): path.read_text(encoding="utf-8") for path in files}
    try:
        found = operations_of(texts, schema)
    except ValueError as error:  # a syntax or schema error: named, and nothing registered
        raise CliError(str(error)) from error
    operations = {operation.sha256: operation for operation in found}
    new = asyncio.run(_register(database_url, list(operations.values()), client or directory.name))
    target = manifest or directory / MANIFEST_NAME
    target.write_text(json.dumps(manifest_of(operations.values()), indent=2) + "\n")
    return Registered(len(files), len(operations), new, target)


async def _register(database_url: str, operations: list[Operation], client: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await persisted.register(session, operations, client)
    finally:
        await engine.dispose()
