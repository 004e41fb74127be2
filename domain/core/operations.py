"""One business operation, one transaction: permission, idempotency, the service, its audit
and outbox rows, the result read back, commit — or, on any expected failure, a rollback and
nothing written.

Every surface that changes data (the GraphQL mutations today) runs its domain service
through `perform`, which owns the transaction; services only `flush()`.

What the caller reports is read inside the transaction, so a success is reported exactly
when the commit happened: a read after the commit could fail (the database going away) and
turn a saved change into a reported failure, which a retrying client would then repeat.
The commit itself is the one step whose outcome can be unknown to us (the connection lost
while committing): that is `CommitOutcomeUnknown`, told apart from failures before it,
which certainly wrote nothing.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy.exc import IntegrityError

from domain.core import idempotency
from domain.core.access import Viewer
from domain.core.database_errors import CommitOutcomeUnknown, is_database_unavailable
from domain.core.errors import DomainError
from domain.core.journal import Journal
from domain.core.permissions import ensure_can_write
from domain.core.sessions import Session, SessionFactory


class Identified(Protocol):
    id: int


Read = TypeVar("Read")

# A domain service call: given the transaction's session and journal, the record it changed.
Work = Callable[[Session, Journal], Awaitable[Identified]]
# What the caller reports of that record, read in the same transaction after the work.
ReadBack = Callable[[Session, int], Awaitable[Read]]


class Performed(Generic[Read]):
    __slots__ = ("entity_id", "read")

    def __init__(self, entity_id: int, read: Read) -> None:
        self.entity_id = entity_id
        self.read = read


async def perform(
    work: Work,
    *,
    sessions: SessionFactory,
    viewer: Viewer,
    request_id: str,
    operation: str,
    writes: str,
    fields: Iterable[str],
    read_back: ReadBack[Read],
    idempotency_key: str | None = None,
    request: Mapping[str, Any] | None = None,
) -> Performed[Read]:
    """Run `work` in one transaction; the id of the record it changed and `read_back` of it.

    `writes` is the type the viewer must be allowed to change, `fields` the fields of it the
    request names (restricted ones are checked one by one). With an `idempotency_key`, a
    repeat of the same `request` by the same viewer returns the first result without running
    `work` again. Raises `DomainError` / `Rejected` (nothing written) for expected failures,
    `CommitOutcomeUnknown` when the database went away while committing.
    """
    journal = Journal(actor=viewer, request_id=request_id)
    try:
        async with sessions() as session, session.begin() as transaction:
            ensure_can_write(viewer, writes, fields)
            principal = viewer.principal
            replayed = await _replayed(session, principal, operation, idempotency_key, request)
            if replayed is not None:
                entity_id = replayed
            else:
                entity_id = (await work(session, journal)).id
                await journal.write(session)
                if idempotency_key is not None:
                    await idempotency.remember(
                        session,
                        principal=principal,
                        operation=operation,
                        key=idempotency_key,
                        result={"id": entity_id},
                    )
            read = await read_back(session, entity_id)
            await _commit(transaction)
    except IntegrityError as error:
        # Our checks run first; a unique violation here means a concurrent request won a race.
        if isinstance(error.orig, Exception) and isinstance(
            error.orig.__cause__, UniqueViolationError
        ):
            raise DomainError("DUPLICATE", "a concurrent change created the same record") from error
        raise
    return Performed(entity_id, read)


async def _commit(transaction: Any) -> None:
    try:
        await transaction.commit()
    except Exception as error:
        if is_database_unavailable(error):
            raise CommitOutcomeUnknown("the connection was lost while committing") from error
        raise


async def _replayed(
    session: Session,
    principal: str,
    operation: str,
    key: str | None,
    request: Mapping[str, Any] | None,
) -> int | None:
    if key is None:
        return None
    fingerprint = idempotency.request_hash(request or {})
    stored = await idempotency.claim(
        session, principal=principal, operation=operation, key=key, fingerprint=fingerprint
    )
    return None if stored is None else int(stored["id"])
