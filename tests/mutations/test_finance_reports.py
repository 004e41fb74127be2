"""The financial statements agree with the ledger they are read from, as of any past day.

Business events go through the mutations (their entries are dated today); past months are
booked by hand through `journalEntryPost`, or written straight into the tables where a
scenario needs what the API cannot write (closing entries, closed months and their totals).
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from tests.mutations.conftest import Execute, World
from tests.mutations.ledger_builders import (
    Ask,
    Line,
    as_role,
    book,
    by_code,
    close_months,
    line_sums,
    sell,
)
from tests.mutations.ledger_builders import ask as ask  # a fixture
from tests.mutations.operations import ERRORS

TRIAL_BALANCE = """query($asOf: Date!) { trialBalance(asOf: $asOf) {
  asOf totalDebit totalCredit balanced
  rows { code name type debit credit balance account { purpose } } } }"""
PROFIT_AND_LOSS = """query($from: Date!, $to: Date!, $cf: Date, $ct: Date) {
  profitAndLoss(from: $from, to: $to, compareFrom: $cf, compareTo: $ct) {
    from to compareFrom compareTo netResult compareNetResult
    income { type total compareTotal rows { code amount compareAmount } }
    expenses { type total compareTotal rows { code amount compareAmount } } } }"""
BALANCE_SHEET = """query($asOf: Date!) { balanceSheet(asOf: $asOf) {
  currentResult totalAssets totalLiabilitiesAndEquity balanced
  assets { total rows { code balance } } liabilities { total rows { code balance } }
  equity { total rows { code balance } } } }"""
GENERAL_LEDGER = """query($account: ID!, $from: Date!, $to: Date!, $first: Int, $after: String) {
  generalLedger(account: $account, from: $from, to: $to, first: $first, after: $after) {
    account { code } openingBalance totalDebit totalCredit closingBalance
    lines { totalCount pageInfo { hasNextPage endCursor }
      edges { node { date entryNumber entryKind debit credit balance
        line { lineNo } entry { number } } } } } }"""
POST_ENTRY = f"""mutation($input: JournalEntryPostInput!) {{ journalEntryPost(input: $input) {{
  journalEntry {{ number }} {ERRORS} }} }}"""

TODAY = date.today()
# A year wholly in the past (its successor is past too) and its first months.
YEAR = TODAY.year - 2
JAN, FEB, MAR = (date(YEAR, month, 1) for month in (1, 2, 3))


async def account_id(db: asyncpg.Connection, code: str) -> str:
    return World.gid(
        "Account", await db.fetchval("SELECT id FROM finance.account WHERE code = $1", code)
    )


async def post_by_hand(
    execute: Execute, db: asyncpg.Connection, day: date, debit: str, credit: str, amount: str
) -> None:
    """An entry written by finance through the API: `amount` from account `credit` to `debit`."""
    lines = [
        {"account": await account_id(db, debit), "debit": amount},
        {"account": await account_id(db, credit), "credit": amount},
    ]
    result = await execute(
        POST_ENTRY, {"input": {"date": day.isoformat(), "description": "By hand", "lines": lines}}
    )
    assert result["journalEntryPost"]["errors"] == [], result


def trial_rows(report: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    return {row["code"]: (Decimal(row["debit"]), Decimal(row["credit"])) for row in report["rows"]}


async def test_reports_of_order_to_cash_agree_with_the_ledger(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    capital_day, rent_day = TODAY - timedelta(days=70), TODAY - timedelta(days=40)
    await post_by_hand(execute, db, capital_day, "1100", "3100", "5000.00")
    await post_by_hand(execute, db, rent_day, "6200", "1100", "1200.00")
    await sell(execute, world)

    trial = (await execute(TRIAL_BALANCE, {"asOf": TODAY.isoformat()}))["trialBalance"]
    assert trial["balanced"] and trial["totalDebit"] == trial["totalCredit"]
    assert trial_rows(trial) == await line_sums(db, TODAY)
    assert [row["code"] for row in trial["rows"]] == sorted(row["code"] for row in trial["rows"])
    bank = next(row for row in trial["rows"] if row["code"] == "1100")
    assert bank["account"] == {"purpose": "bank"} and bank["type"] == "ASSET"
    assert Decimal(bank["balance"]) == Decimal("3900.00")  # 5000 − 1200 + 100
    # Accounts that had not moved yet are left out.
    earlier = await execute(TRIAL_BALANCE, {"asOf": (rent_day - timedelta(days=1)).isoformat()})
    assert trial_rows(earlier["trialBalance"]) == {
        "1100": (Decimal("5000.00"), Decimal("0.00")),
        "3100": (Decimal("0.00"), Decimal("5000.00")),
    }

    result = (
        await execute(PROFIT_AND_LOSS, {"from": capital_day.isoformat(), "to": TODAY.isoformat()})
    )["profitAndLoss"]
    income, expenses = (
        by_code(result["income"]["rows"], "amount"),
        by_code(result["expenses"]["rows"], "amount"),
    )
    assert income == {"4100": Decimal("360.00"), "4300": Decimal("1000.00")}
    assert expenses == {"5100": Decimal("200.00"), "6200": Decimal("1200.00")}
    assert Decimal(result["income"]["total"]) == Decimal("1360.00")
    assert Decimal(result["netResult"]) == Decimal("-40.00")
    assert result["compareNetResult"] is None and result["income"]["compareTotal"] is None

    sheet = (await execute(BALANCE_SHEET, {"asOf": TODAY.isoformat()}))["balanceSheet"]
    assert sheet["balanced"]
    assert Decimal(sheet["currentResult"]) == Decimal(result["netResult"])
    assert Decimal(sheet["totalAssets"]) == Decimal(sheet["totalLiabilitiesAndEquity"])
    assert Decimal(sheet["totalAssets"]) == sum(
        debit - credit
        for code, (debit, credit) in (await line_sums(db, TODAY)).items()
        if code.startswith("1")
    )
    assert by_code(sheet["equity"]["rows"], "balance") == {"3100": Decimal("5000.00")}


async def test_profit_and_loss_leaves_closing_entries_out(
    execute: Execute, db: asyncpg.Connection
) -> None:
    await book(db, date(YEAR, 3, 10), Line("1100", debit="5000"), Line("4100", credit="5000"))
    await book(db, date(YEAR, 6, 1), Line("6200", debit="1000"), Line("1100", credit="1000"))
    await book(db, date(YEAR + 1, 2, 1), Line("6200", debit="500"), Line("1100", credit="500"))
    year_end = date(YEAR, 12, 31)
    closing = await book(
        db,
        year_end,
        Line("4100", debit="5000"),
        Line("6200", credit="1000"),
        Line("3200", credit="4000"),
        kind="closing",
    )
    year = {"from": JAN.isoformat(), "to": year_end.isoformat()}
    compared = {
        **year,
        "cf": date(YEAR + 1, 1, 1).isoformat(),
        "ct": date(YEAR + 1, 12, 31).isoformat(),
    }
    result = (await execute(PROFIT_AND_LOSS, compared))["profitAndLoss"]
    assert (result["netResult"], result["compareNetResult"]) == ("4000.00", "-500.00")
    assert result["expenses"]["rows"] == [
        {"code": "6200", "amount": "1000.00", "compareAmount": "500.00"}
    ]
    assert result["income"]["rows"] == [
        {"code": "4100", "amount": "5000.00", "compareAmount": "0.00"}
    ]
    sheet = (await execute(BALANCE_SHEET, {"asOf": year_end.isoformat()}))["balanceSheet"]
    assert sheet["balanced"] and sheet["currentResult"] == "0.00"
    assert by_code(sheet["equity"]["rows"], "balance") == {"3200": Decimal("4000.00")}

    # Reopening the year reverses its closing on the same day: still not part of the result.
    await book(
        db,
        year_end,
        Line("4100", credit="5000"),
        Line("6200", debit="1000"),
        Line("3200", debit="4000"),
        kind="reversal",
        reverses=closing,
    )
    result = (await execute(PROFIT_AND_LOSS, year))["profitAndLoss"]
    assert result["netResult"] == "4000.00"
    sheet = (await execute(BALANCE_SHEET, {"asOf": year_end.isoformat()}))["balanceSheet"]
    assert sheet["balanced"] and sheet["currentResult"] == "4000.00"
    assert sheet["equity"]["rows"] == []


async def test_closed_months_are_read_from_their_frozen_totals(
    execute: Execute, db: asyncpg.Connection
) -> None:
    for day, debit, credit, amount in (
        (date(YEAR, 1, 5), "1100", "3100", "10000"),
        (date(YEAR, 1, 25), "6200", "1100", "800"),
        (date(YEAR, 2, 10), "1100", "4100", "2500"),
        (date(YEAR, 2, 28), "6100", "1100", "1500"),
        (date(YEAR, 3, 15), "1100", "4100", "3000"),
        (date(YEAR, 4, 2), "6300", "1100", "250"),
    ):
        await book(db, day, Line(debit, debit=amount), Line(credit, credit=amount))
    days = [date(YEAR, 1, 20), date(YEAR, 2, 15), date(YEAR, 3, 31), date(YEAR, 4, 10), TODAY]

    async def trial(day: date) -> dict[str, Any]:
        return (await execute(TRIAL_BALANCE, {"asOf": day.isoformat()}))["trialBalance"]

    before = [trial_rows(await trial(day)) for day in days]
    assert before == [await line_sums(db, day) for day in days]
    await close_months(db, JAN, FEB, MAR)
    assert [trial_rows(await trial(day)) for day in days] == before
    quarter = {"from": JAN.isoformat(), "to": date(YEAR, 3, 31).isoformat()}
    result = (await execute(PROFIT_AND_LOSS, quarter))["profitAndLoss"]
    assert result["netResult"] == "3200.00"  # 2500 + 3000 − 800 − 1500

    # January's frozen totals count from its last day on; before that, its lines do.
    bank = await db.fetchval("SELECT id FROM finance.account WHERE code = '1100'")
    await db.execute(
        "UPDATE finance.account_month_total SET debit = debit + 100, credit = credit + 100 "
        "WHERE account_id = $1 AND month = $2",
        bank,
        JAN,
    )
    assert trial_rows(await trial(days[0])) == before[0]
    for day in (date(YEAR, 1, 31), days[1]):
        debit, credit = (await line_sums(db, day))["1100"]
        assert trial_rows(await trial(day))["1100"] == (debit + 100, credit + 100)


async def test_general_ledger_pages_carry_the_running_balance(
    execute: Execute, db: asyncpg.Connection
) -> None:
    await book(db, date(YEAR, 12, 20), Line("1100", debit="1000"), Line("3100", credit="1000"))
    await book(db, date(YEAR + 1, 1, 5), Line("1100", debit="200"), Line("4100", credit="200"))
    await book(db, date(YEAR + 1, 1, 5), Line("6400", debit="50"), Line("1100", credit="50"))
    await book(db, date(YEAR + 1, 1, 10), Line("6200", debit="30"), Line("1100", credit="30"))
    await book(
        db,
        date(YEAR + 1, 1, 20),
        Line("1100", debit="5"),
        Line("1100", credit="2"),
        Line("4100", credit="3"),
    )
    await book(db, date(YEAR + 1, 2, 1), Line("1100", debit="99"), Line("4100", credit="99"))
    await close_months(db, date(YEAR, 12, 1))
    variables = {
        "account": await account_id(db, "1100"),
        "from": date(YEAR + 1, 1, 1).isoformat(),
        "to": date(YEAR + 1, 1, 31).isoformat(),
        "first": 2,
    }
    pages, after = [], None
    while True:
        ledger = (await execute(GENERAL_LEDGER, {**variables, "after": after}))["generalLedger"]
        pages.append(
            [
                (e["node"]["debit"], e["node"]["credit"], e["node"]["balance"])
                for e in ledger["lines"]["edges"]
            ]
        )
        assert ledger["lines"]["totalCount"] == 5
        if not ledger["lines"]["pageInfo"]["hasNextPage"]:
            break
        after = ledger["lines"]["pageInfo"]["endCursor"]
    assert pages == [
        [("200.00", "0.00", "1200.00"), ("0.00", "50.00", "1150.00")],
        [("0.00", "30.00", "1120.00"), ("5.00", "0.00", "1125.00")],
        [("0.00", "2.00", "1123.00")],
    ]
    assert (ledger["account"], ledger["openingBalance"], ledger["closingBalance"]) == (
        {"code": "1100"},
        "1000.00",
        "1123.00",
    )
    assert (ledger["totalDebit"], ledger["totalCredit"]) == ("205.00", "82.00")
    last = ledger["lines"]["edges"][0]["node"]
    assert last["line"] == {"lineNo": 2} and last["entry"]["number"] == last["entryNumber"]
    assert last["entryKind"] == "MANUAL"


async def test_ledger_reports_are_finance_only(ask: Ask, world: World) -> None:
    day = {"asOf": TODAY.isoformat()}
    for role in ("warehouse", "sales_rep", "sales_manager", "marketing"):
        viewer = as_role(world, role)
        for query, field in (
            (TRIAL_BALANCE, "trialBalance"),
            (BALANCE_SHEET, "balanceSheet"),
            (
                "query($asOf: Date!) { payablesAging(asOf: $asOf) { total { total } } }",
                "payablesAging",
            ),
        ):
            data, codes = await ask(query, day, viewer=viewer)
            assert data == {field: None} and codes == [("FORBIDDEN", None)], (role, field)
    data, codes = await ask(TRIAL_BALANCE, day, viewer=as_role(world, "finance"))
    assert codes == [] and data is not None and data["trialBalance"]["balanced"]


async def test_report_arguments_are_checked(ask: Ask, world: World, db: asyncpg.Connection) -> None:
    finance = as_role(world, "finance")
    bank = await account_id(db, "1100")
    refused: list[tuple[str, dict[str, Any], tuple[str, str | None]]] = [
        (PROFIT_AND_LOSS, {"from": "2025-02-01", "to": "2025-01-31"}, ("BAD_USER_INPUT", "to")),
        (PROFIT_AND_LOSS, {"from": "2019-01-01", "to": "2025-01-31"}, ("BAD_USER_INPUT", "to")),
        (
            PROFIT_AND_LOSS,
            {"from": "2025-01-01", "to": "2025-01-31", "cf": "2024-01-01"},
            ("BAD_USER_INPUT", "compareTo"),
        ),
        (TRIAL_BALANCE, {"asOf": "1850-01-01"}, ("BAD_USER_INPUT", "asOf")),
        (
            GENERAL_LEDGER,
            {"account": bank, "from": "2025-01-01", "to": "2025-01-31", "first": 101},
            ("BAD_USER_INPUT", None),
        ),
        (
            GENERAL_LEDGER,
            {"account": bank, "from": "2025-01-01", "to": "2025-01-31", "after": "nonsense"},
            ("BAD_USER_INPUT", "after"),
        ),
        (
            GENERAL_LEDGER,
            {"account": World.gid("Customer", 1), "from": "2025-01-01", "to": "2025-01-31"},
            ("BAD_USER_INPUT", "account"),
        ),
        (
            GENERAL_LEDGER,
            {"account": World.gid("Account", 999999), "from": "2025-01-01", "to": "2025-01-31"},
            ("NOT_FOUND", None),
        ),
    ]
    for query, variables, expected in refused:
        data, codes = await ask(query, variables, viewer=finance)
        assert codes == [expected], (variables, codes)
        assert data is not None and all(value is None for value in data.values())
