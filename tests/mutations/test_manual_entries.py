"""Finance keeps the chart and writes entries by hand; the rules of posting hold for them too."""

from typing import Any

import asyncpg

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import ERRORS

POST = f"""mutation($input: JournalEntryPostInput!) {{ journalEntryPost(input: $input) {{
  journalEntry {{ id number kind entryDate lines {{ account {{ code }} debit credit }} }}
  {ERRORS} }} }}"""
REVERSE = f"""mutation($input: JournalEntryReverseInput!) {{ journalEntryReverse(input: $input) {{
  journalEntry {{ kind reverses {{ number }} lines {{ debit credit }} }} {ERRORS} }} }}"""
CREATE = f"""mutation($input: AccountCreateInput!) {{ accountCreate(input: $input) {{
  account {{ id code type version parent {{ code }} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: AccountUpdateInput!) {{ accountUpdate(input: $input) {{
  account {{ isActive version }} {ERRORS} }} }}"""
POST_BLIND = f"""mutation($input: JournalEntryPostInput!) {{ journalEntryPost(input: $input) {{
  {ERRORS} }} }}"""
ACCOUNTS = """query($search: String) { accounts(first: 50, filter: {search: $search}) {
  edges { node { id code purpose version } } } }"""


def finance(world: World) -> Viewer:
    return Viewer(world.admin.employee_id, "ada@example.com", frozenset({"finance"}))


async def account(execute: Execute, world: World, code: str) -> dict[str, Any]:
    edges = (await execute(ACCOUNTS, {"search": code}, viewer=finance(world)))["accounts"]["edges"]
    return next(edge["node"] for edge in edges if edge["node"]["code"] == code)


async def rent_paid(execute: Execute, world: World, credit: str = "1200.00") -> dict[str, Any]:
    rent, bank = await account(execute, world, "6200"), await account(execute, world, "1100")
    result = await execute(
        POST,
        {
            "input": {
                "date": "2026-11-30",
                "description": "November rent",
                "lines": [
                    {"account": rent["id"], "debit": "1200.00"},
                    {"account": bank["id"], "credit": credit},
                ],
            }
        },
        viewer=finance(world),
    )
    return result["journalEntryPost"]  # type: ignore[no-any-return]


async def test_finance_posts_and_reverses_an_entry(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    posted = await rent_paid(execute, world)
    assert posted["errors"] == []
    entry = posted["journalEntry"]
    assert (entry["kind"], entry["entryDate"], entry["number"][:4]) == (
        "MANUAL",
        "2026-11-30",
        "GEN-",
    )
    assert [
        (line["account"]["code"], line["debit"], line["credit"]) for line in entry["lines"]
    ] == [
        ("6200", "1200.00", "0.00"),
        ("1100", "0.00", "1200.00"),
    ]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM ops.audit_log WHERE action = 'journal_entry.posted'"
        )
        == 1
    )

    undo = {"input": {"id": entry["id"], "date": "2026-12-01", "reason": "Paid twice"}}
    reversed_ = (await execute(REVERSE, undo, viewer=finance(world)))["journalEntryReverse"]
    assert reversed_["errors"] == []
    assert reversed_["journalEntry"]["reverses"] == {"number": entry["number"]}
    assert [line["credit"] for line in reversed_["journalEntry"]["lines"]] == ["1200.00", "0.00"]
    again = (await execute(REVERSE, undo, viewer=finance(world)))["journalEntryReverse"]
    assert [error["code"] for error in again["errors"]] == ["INVALID_TRANSITION"]


async def test_an_unbalanced_entry_writes_nothing(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    await account(execute, world, "6200")
    before = await row_counts(db)
    refused = await rent_paid(execute, world, credit="1000.00")
    assert [error["code"] for error in refused["errors"]] == ["UNBALANCED_ENTRY"]
    assert await row_counts(db) == before


async def test_only_finance_writes_the_books(execute: Execute, world: World) -> None:
    bank = await account(execute, world, "1100")
    refused = (
        await execute(
            POST_BLIND,
            {
                "input": {
                    "date": "2026-11-30",
                    "description": "Mine now",
                    "lines": [
                        {"account": bank["id"], "debit": "1.00"},
                        {"account": bank["id"], "credit": "1.00"},
                    ],
                }
            },
            viewer=world.rep,
        )
    )["journalEntryPost"]
    assert [error["code"] for error in refused["errors"]] == ["FORBIDDEN"]


async def test_the_chart_is_kept_by_finance(execute: Execute, world: World) -> None:
    expenses = await account(execute, world, "6000")
    created = (
        await execute(
            CREATE,
            {
                "input": {
                    "code": "6500",
                    "name": "Travel",
                    "type": "EXPENSE",
                    "parent": expenses["id"],
                }
            },
            viewer=finance(world),
        )
    )["accountCreate"]
    assert created["errors"] == []
    assert created["account"]["parent"] == {"code": "6000"}

    duplicate = (
        await execute(
            CREATE,
            {
                "input": {
                    "code": "6500",
                    "name": "Travel",
                    "type": "ASSET",
                    "parent": expenses["id"],
                }
            },
            viewer=finance(world),
        )
    )["accountCreate"]
    assert sorted(error["code"] for error in duplicate["errors"]) == ["DUPLICATE", "VALIDATION"]

    receivable = await account(execute, world, "1200")
    kept = (
        await execute(
            UPDATE,
            {
                "input": {
                    "id": receivable["id"],
                    "version": receivable["version"],
                    "isActive": False,
                }
            },
            viewer=finance(world),
        )
    )["accountUpdate"]
    assert [error["code"] for error in kept["errors"]] == ["ACCOUNT_INACTIVE"]

    rent = await account(execute, world, "6200")
    retired = (
        await execute(
            UPDATE,
            {"input": {"id": rent["id"], "version": rent["version"], "isActive": False}},
            viewer=finance(world),
        )
    )["accountUpdate"]
    assert retired["account"] == {"isActive": False, "version": rent["version"] + 1}
    refused = await rent_paid(execute, world)
    assert [error["code"] for error in refused["errors"]] == ["ACCOUNT_INACTIVE"]
