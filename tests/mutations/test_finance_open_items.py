"""Receivables and payables aging and the customer statement, read from the ledger as of a
past day, within the record rules: a sales rep sees only the customers they manage."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from tests.mutations.conftest import Execute, World
from tests.mutations.ledger_builders import (
    Ask,
    Line,
    as_role,
    book,
    invoice,
    pay,
    supplier_bill,
)
from tests.mutations.ledger_builders import ask as ask  # a fixture
from tests.mutations.operations import create_customer, key

AGING = """query($asOf: Date!, $first: Int, $after: String) {
  receivablesAging(asOf: $asOf, first: $first, after: $after) {
    total { notDue days1To30 days31To60 days61To90 over90 total }
    unassigned { total }
    customers { totalCount pageInfo { hasNextPage endCursor }
      edges { node { code customer { code } notDue days1To30 days31To60 days61To90 over90
        total } } } } }"""
PAYABLES = """query($asOf: Date!) { payablesAging(asOf: $asOf) {
  total { total } unassigned { total }
  suppliers { code supplier { code } notDue days1To30 days31To60 days61To90 over90 total } } }"""
STATEMENT = """query($id: ID!, $from: Date!, $to: Date!) { customer(id: $id) {
  statement(from: $from, to: $to) { from to openingBalance totalDebit totalCredit
    closingBalance lineCount
    lines { date entryNumber description document debit credit balance } } } }"""
STATEMENTS = """query($from: Date!, $to: Date!) { customers(first: 10) { edges { node {
  code statement(from: $from, to: $to) { closingBalance } } } } }"""

AS_OF = date(2026, 6, 30)
BUCKETS = ("notDue", "days1To30", "days31To60", "days61To90", "over90", "total")


@dataclass(frozen=True)
class Receivables:
    """Two customers' invoices of the past: `mine` is the rep's, `theirs` the other rep's."""

    mine: dict[str, Any]
    theirs: dict[str, Any]
    invoices: dict[str, int]


async def receivables(execute: Execute, world: World, db: asyncpg.Connection) -> Receivables:
    mine = await create_customer(
        execute, name="Mine AG", accountManager=World.gid("Employee", world.rep_employee)
    )
    theirs = await create_customer(
        execute, name="Theirs BV", accountManager=World.gid("Employee", world.other_rep_employee)
    )
    a, b = key(mine["id"]), key(theirs["id"])
    invoices = {
        # number: (customer, issued, due, total) — days past due at AS_OF in the comment
        "A-1": await invoice(db, a, "A-1", date(2026, 6, 1), date(2026, 7, 1), "100"),  # -1
        "A-2": await invoice(db, a, "A-2", date(2026, 5, 16), date(2026, 6, 15), "200"),  # 15
        "A-3": await invoice(db, a, "A-3", date(2026, 3, 31), date(2026, 4, 30), "300"),  # 61
        "A-7": await invoice(db, a, "A-7", date(2026, 6, 10), date(2026, 6, 30), "10"),  # 0
        "B-4": await invoice(db, b, "B-4", date(2026, 4, 20), date(2026, 5, 20), "400"),  # 41
        "B-5": await invoice(db, b, "B-5", date(2026, 1, 1), date(2026, 1, 31), "500"),  # 150
        "B-6": await invoice(db, b, "B-6", date(2026, 5, 1), date(2026, 6, 1), "600"),  # paid
    }
    await pay(db, a, invoices["A-2"], date(2026, 6, 20), "50")
    await pay(db, b, invoices["B-6"], date(2026, 6, 25), "600")
    await pay(db, a, invoices["A-1"], date(2026, 7, 5), "100")  # after AS_OF
    # Booked by hand: one for customer B without an invoice (due on its date), one for nobody.
    await book(
        db, date(2026, 6, 20), Line("1200", debit="25", customer=b), Line("4100", credit="25")
    )
    await book(db, date(2026, 6, 29), Line("1200", debit="7"), Line("4100", credit="7"))
    return Receivables(mine, theirs, invoices)


def amounts(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(row[name] for name in BUCKETS)


def aged(report: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    return {
        edge["node"]["customer"]["code"]: amounts(edge["node"])
        for edge in report["customers"]["edges"]
    }


async def test_receivables_age_by_due_date_largest_debtor_first(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    books = await receivables(execute, world, db)
    mine, theirs = books.mine["code"], books.theirs["code"]
    report = (await execute(AGING, {"asOf": AS_OF.isoformat()}))["receivablesAging"]
    assert aged(report) == {
        theirs: ("0.00", "25.00", "400.00", "0.00", "500.00", "925.00"),
        mine: ("110.00", "150.00", "0.00", "300.00", "0.00", "560.00"),
    }
    assert [edge["node"]["code"] for edge in report["customers"]["edges"]] == [theirs, mine]
    assert amounts(report["total"]) == ("110.00", "182.00", "400.00", "300.00", "500.00", "1492.00")
    assert report["unassigned"] == {"total": "7.00"}
    assert report["customers"]["totalCount"] == 2
    receivable = await db.fetchval(
        "SELECT sum(debit - credit) FROM finance.journal_line l JOIN finance.account a "
        "ON a.id = l.account_id WHERE a.purpose = 'receivable' AND l.entry_date <= $1",
        AS_OF,
    )
    assert Decimal(report["total"]["total"]) == receivable

    first = (await execute(AGING, {"asOf": AS_OF.isoformat(), "first": 1}))["receivablesAging"]
    assert list(aged(first)) == [theirs] and first["customers"]["pageInfo"]["hasNextPage"]
    cursor = first["customers"]["pageInfo"]["endCursor"]
    second = (await execute(AGING, {"asOf": AS_OF.isoformat(), "first": 1, "after": cursor}))[
        "receivablesAging"
    ]
    assert list(aged(second)) == [mine] and not second["customers"]["pageInfo"]["hasNextPage"]
    assert second["total"] == report["total"]  # the totals cover every page


async def test_a_sales_rep_ages_only_the_customers_they_manage(
    execute: Execute, world: World, db: asyncpg.Connection, ask: Ask
) -> None:
    books = await receivables(execute, world, db)
    day = {"asOf": AS_OF.isoformat()}
    mine = (await execute(AGING, day, viewer=world.rep))["receivablesAging"]
    assert list(aged(mine)) == [books.mine["code"]]
    assert mine["total"]["total"] == "560.00" and mine["unassigned"] is None
    theirs = (await execute(AGING, day, viewer=world.other_rep))["receivablesAging"]
    assert list(aged(theirs)) == [books.theirs["code"]] and theirs["total"]["total"] == "925.00"
    data, codes = await ask(AGING, day, viewer=as_role(world, "warehouse"))
    assert data == {"receivablesAging": None} and codes == [("FORBIDDEN", None)]


async def test_a_statement_runs_from_the_opening_to_the_closing_balance(
    execute: Execute, world: World, db: asyncpg.Connection, ask: Ask
) -> None:
    books = await receivables(execute, world, db)
    june = {"from": "2026-06-01", "to": AS_OF.isoformat()}
    customer = (await execute(STATEMENT, {"id": books.mine["id"], **june}))["customer"]
    statement = customer["statement"]
    assert (statement["openingBalance"], statement["closingBalance"]) == ("500.00", "560.00")
    assert (statement["totalDebit"], statement["totalCredit"], statement["lineCount"]) == (
        "110.00",
        "50.00",
        3,
    )
    assert [
        (line["date"], line["document"], line["debit"], line["credit"], line["balance"])
        for line in statement["lines"]
    ] == [
        ("2026-06-01", "A-1", "100.00", "0.00", "600.00"),
        ("2026-06-10", "A-7", "10.00", "0.00", "610.00"),
        ("2026-06-20", "A-2", "0.00", "50.00", "560.00"),
    ]
    assert all(line["entryNumber"] and line["description"] for line in statement["lines"])
    # Booked by hand without an invoice or source: no document.
    theirs = (await execute(STATEMENT, {"id": books.theirs["id"], **june}))["customer"]
    assert ("2026-06-20", None, "25.00") in [
        (line["date"], line["document"], line["debit"]) for line in theirs["statement"]["lines"]
    ]

    as_rep = await execute(STATEMENT, {"id": books.mine["id"], **june}, viewer=world.rep)
    assert as_rep["customer"]["statement"] == statement
    listed = (await execute(STATEMENTS, june, viewer=world.other_rep))["customers"]["edges"]
    assert [(e["node"]["code"], e["node"]["statement"]) for e in listed] == [
        (books.theirs["code"], {"closingBalance": "925.00"})
    ]
    data, codes = await ask(
        STATEMENT, {"id": books.mine["id"], **june}, viewer=as_role(world, "warehouse")
    )
    assert data == {"customer": {"statement": None}} and codes == [("FORBIDDEN", None)]
    data, codes = await ask(
        STATEMENT,
        {"id": books.mine["id"], "from": "2026-07-01", "to": "2026-06-01"},
        viewer=world.admin,
    )
    assert data == {"customer": {"statement": None}} and codes == [("BAD_USER_INPUT", "to")]


async def test_payables_age_by_each_bills_due_date(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    supplier = world.supplier
    # number, billed, due, total — days past due at AS_OF in the comment
    settled = await supplier_bill(db, supplier, "B-1", date(2026, 3, 1), date(2026, 3, 31), "1000")
    part = await supplier_bill(
        db, supplier, "B-2", date(2026, 5, 1), date(2026, 5, 21), "500"
    )  # 40
    await supplier_bill(db, supplier, "B-3", date(2026, 6, 15), date(2026, 7, 15), "250")  # -15
    for bill, amount in ((settled, "1000"), (part, "200")):
        await book(
            db,
            date(2026, 6, 20),
            Line("2100", debit=amount, supplier=supplier, bill=bill),
            Line("1100", credit=amount),
        )
    # Booked by hand without a bill: due on their own dates.
    await book(
        db,
        date(2026, 4, 16),
        Line("6300", debit="70"),
        Line("2100", credit="70", supplier=supplier),
    )  # 75 days
    await book(db, date(2026, 6, 25), Line("6200", debit="80"), Line("2100", credit="80"))  # no one
    report = (await execute(PAYABLES, {"asOf": AS_OF.isoformat()}))["payablesAging"]
    assert [(row["supplier"], amounts(row)) for row in report["suppliers"]] == [
        ({"code": "S1"}, ("250.00", "0.00", "300.00", "70.00", "0.00", "620.00"))
    ]
    assert report["unassigned"] == {"total": "80.00"} and report["total"] == {"total": "700.00"}
    before_payment = (await execute(PAYABLES, {"asOf": "2026-06-19"}))["payablesAging"]
    # A day before the payments: B-1 is 80 days past due, B-2 29, the entry by hand 64.
    assert amounts(before_payment["suppliers"][0]) == (
        "250.00",
        "500.00",
        "0.00",
        "1070.00",
        "0.00",
        "1820.00",
    )


CLOSE = """mutation($month: Date!) { periodClose(input: {month: $month}) {
  accountingPeriod { month } errors { code message } } }"""


async def test_aging_reads_the_same_after_the_months_are_closed(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    """A close freezes what is open per invoice; aging then starts from it."""
    await receivables(execute, world, db)
    days = ("2026-02-15", "2026-04-30", "2026-05-31", AS_OF.isoformat())
    before = [(await execute(AGING, {"asOf": day}))["receivablesAging"] for day in days]
    closed = await execute(CLOSE, {"month": "2026-05-01"})
    assert closed["periodClose"]["errors"] == []
    frozen = await db.fetchval("SELECT count(*) FROM finance.open_receivable")
    assert frozen > 0
    after = [(await execute(AGING, {"asOf": day}))["receivablesAging"] for day in days]
    assert after == before
