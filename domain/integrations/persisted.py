"""Registered GraphQL operations, known by the SHA-256 of their text.

A client build registers the operations it ships (`bizgraph operations register`); in
safelist mode the API runs those and nothing else, and any client may send just an
operation's hash instead of its text.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.integrations.models import PersistedOperation

MAX_CLIENT_CHARS = 100


def sha256_of(document: str) -> str:
    """The hash a document is known by: hex SHA-256 of its UTF-8 text, as APQ clients send."""
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True)
class Operation:
    document: str
    names: tuple[str, ...]

    @property
    def sha256(self) -> str:
        return sha256_of(self.document)


async def register(session: AsyncSession, operations: Iterable[Operation], client: str) -> int:
    """Register operations (those already known stay as they are); how many were new."""
    rows = [
        {
            "sha256": operation.sha256,
            "document": operation.document,
            "operation_names": list(operation.names),
            "client": client[:MAX_CLIENT_CHARS],
        }
        for operation in operations
    ]
    if not rows:
        return 0
    statement = (
        insert(PersistedOperation)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["sha256"])
        .returning(PersistedOperation.sha256)
    )
    return len((await session.execute(statement)).all())


async def documents(session: AsyncSession, hashes: Iterable[str]) -> dict[str, str]:
    """The registered documents among `hashes`, by hash."""
    wanted = list(hashes)
    rows = await session.execute(
        select(PersistedOperation.sha256, PersistedOperation.document).where(
            PersistedOperation.sha256.in_(wanted)
        )
    )
    return dict(rows.all())
