"""The chart of accounts: finance adds accounts, renames, regroups and deactivates them.

An account's type decides which statement it belongs to (balance sheet or profit and
loss), so it never changes once the account exists; a purpose (what automatic postings use
the account for) stays with its account too: deactivating one would stop every posting.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import Conflict, DomainError, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.finance.models import ACCOUNT_TYPES, Account

FIELDS = ("name", "parent_id", "currency", "is_active")


async def create(*, session: AsyncSession, journal: Journal, given: Mapping[str, Any]) -> Account:
    """Add an account to the chart, under a parent of the same type if one is named."""
    problems = Problems()
    code = validation.text(problems, "code", given.get("code"), max_length=20)
    kind = given.get("type")
    if kind not in ACCOUNT_TYPES:
        problems.add("type", f"must be one of {', '.join(ACCOUNT_TYPES)}")
    values = await _checked(
        session, problems, {"is_active": True, "name": None, **given}, kind=kind
    )
    if code and await session.scalar(select(Account.id).where(Account.code == code)):
        problems.add("code", f"account {code} already exists", "DUPLICATE")
    problems.raise_if_any()
    account = Account(code=code, type=kind, **values)
    session.add(account)
    await session.flush()
    journal.record(
        "account.created",
        entity_type="account",
        entity_id=account.id,
        changes={"code": account.code, "name": account.name, "type": account.type},
    )
    return account


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    account_id: int,
    version: int,
    given: Mapping[str, Any],
) -> Account:
    """Rename, regroup, restrict to a currency or (de)activate an account."""
    account = await session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise NotFound("account", "id")
    if account.version != version:
        raise Conflict("account")
    problems = Problems()
    values = await _checked(session, problems, given, kind=account.type, account=account)
    problems.raise_if_any()
    changes = apply_changes(account, values)
    if changes:
        account.version += 1
        await session.flush()
        journal.record(
            "account.updated", entity_type="account", entity_id=account.id, changes=changes
        )
    return account


async def _checked(
    session: AsyncSession,
    problems: Problems,
    given: Mapping[str, Any],
    *,
    kind: str | None,
    account: Account | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = validation.text(problems, "name", given["name"], max_length=200)
    if "currency" in given:
        values["currency"] = (
            None
            if given["currency"] is None
            else validation.currency(problems, "currency", given["currency"])
        )
    if "is_active" in given:
        active = bool(given["is_active"])
        if not active and account is not None and account.purpose is not None:
            problems.add(
                "isActive",
                f"automatic postings use this account ({account.purpose}); "
                "give the purpose to another account first",
                "ACCOUNT_INACTIVE",
            )
        values["is_active"] = active
    if "parent_id" in given:
        values["parent_id"] = await _parent(session, problems, given["parent_id"], kind, account)
    return values


async def _parent(
    session: AsyncSession,
    problems: Problems,
    parent_id: int | None,
    kind: str | None,
    account: Account | None,
) -> int | None:
    if parent_id is None:
        return None
    parent = await session.get(Account, parent_id)
    if parent is None:
        problems.collect(NotFound("parent account", "parent"))
        return None
    if parent.type != kind:
        problems.add("parent", f"an account of type {kind} belongs under one of the same type")
    if account is not None and await _is_below(session, parent.id, account.id):
        problems.add("parent", "an account cannot be placed under itself")
    return parent.id


async def _is_below(session: AsyncSession, candidate: int, account_id: int) -> bool:
    """Whether `candidate` is `account_id` or one of the accounts below it."""
    seen: set[int] = set()
    current: int | None = candidate
    while current is not None and current not in seen:
        if current == account_id:
            return True
        seen.add(current)
        current = await session.scalar(select(Account.parent_id).where(Account.id == current))
    return False


def ensure_postable(account: Account) -> None:
    if not account.is_active:
        raise DomainError("ACCOUNT_INACTIVE", f"account {account.code} is inactive", "account")
