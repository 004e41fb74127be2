"""`where` on root lists: relations nested and quantified, derived values, record rules in
every subquery, read permissions on every operand, and limits — against SQL written by hand
over the seeded demo company, and against the same predicate evaluated in Python."""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.relay import from_base64, to_base64

from domain.core.sessions import asyncpg_dsn
from domain.crm.vocabulary import CUSTOMER_STATUSES, CUSTOMER_TIERS
from domain.erp.invoice_states import INVOICE_STATUSES as INVOICE_STATES
from tests.api.conftest import GraphQL, StatementCounter, Tokens

pytestmark = pytest.mark.usefixtures("demo")

CUSTOMERS = """query($where: CustomerWhere, $after: String) {
  customers(first: 100, after: $after, where: $where) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
ORDERS = """query($where: SalesOrderWhere, $after: String) {
  salesOrders(first: 100, after: $after, where: $where) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }"""

# The example: an invoice more than 30 days overdue and a deal still open.
OVERDUE_AND_OPEN_DEAL = {
    "invoices": {"some": {"daysOverdue": {"gt": 30}}},
    "opportunities": {"some": {"stage": {"in": ["QUALIFICATION", "PROPOSAL", "NEGOTIATION"]}}},
}
# The same by hand: what is due is the total less payments and credit notes.
OVERDUE_AND_OPEN_DEAL_SQL = """
SELECT c.id FROM crm.customer c
WHERE c.archived_at IS NULL
  AND EXISTS (
    SELECT 1 FROM erp.invoice i WHERE i.customer_id = c.id AND i.status <> 'void'
      AND i.due_on < current_date - 30
      AND i.total - coalesce((SELECT sum(amount) FROM erp.payment p WHERE p.invoice_id = i.id), 0)
          - coalesce((SELECT sum(total) FROM erp.credit_note n WHERE n.invoice_id = i.id), 0) > 0)
  AND EXISTS (
    SELECT 1 FROM crm.opportunity o WHERE o.customer_id = c.id
      AND o.stage IN ('qualification', 'proposal', 'negotiation'))"""


@pytest.fixture(scope="module")
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def ids(graphql: GraphQL, document: str, where: Any, **options: Any) -> set[int]:
    """Every id a root list answers for `where`, page after page."""
    found: set[int] = set()
    after = None
    while True:
        answer = await graphql(document, {"where": where, "after": after}, **options)
        assert "errors" not in answer, answer["errors"]
        [connection] = answer["data"].values()
        found |= {int(from_base64(edge["node"]["id"])[1]) for edge in connection["edges"]}
        if not connection["pageInfo"]["hasNextPage"]:
            assert connection["totalCount"] == len(found)
            return found
        after = connection["pageInfo"]["endCursor"]


async def rows(db: asyncpg.Connection, sql: str, *args: Any) -> set[int]:
    return {row[0] for row in await db.fetch(sql, *args)}


async def test_customers_with_an_overdue_invoice_and_an_open_deal(
    graphql: GraphQL, db: asyncpg.Connection
) -> None:
    expected = await rows(db, OVERDUE_AND_OPEN_DEAL_SQL)
    assert expected, "the demo should hold such customers"
    assert await ids(graphql, CUSTOMERS, OVERDUE_AND_OPEN_DEAL) == expected
    everyone = await rows(db, "SELECT id FROM crm.customer WHERE archived_at IS NULL")
    assert await ids(graphql, CUSTOMERS, {"_not": OVERDUE_AND_OPEN_DEAL}) == everyone - expected


async def test_orders_of_gold_customers_through_the_to_one_relation(
    graphql: GraphQL, db: asyncpg.Connection
) -> None:
    expected = await rows(
        db,
        "SELECT o.id FROM erp.sales_order o JOIN crm.customer c ON c.id = o.customer_id "
        "WHERE c.tier = 'gold'",
    )
    assert expected
    assert await ids(graphql, ORDERS, {"customer": {"tier": {"in": ["GOLD"]}}}) == expected


async def test_every_and_none_quantify_over_the_rows_a_customer_has(
    graphql: GraphQL, db: asyncpg.Connection
) -> None:
    # Every invoice paid in full (customers without invoices too), and no invoice at all.
    all_paid = await rows(
        db,
        "SELECT c.id FROM crm.customer c WHERE c.archived_at IS NULL AND NOT EXISTS ("
        "SELECT 1 FROM erp.invoice i WHERE i.customer_id = c.id AND i.status <> 'paid')",
    )
    assert await ids(graphql, CUSTOMERS, {"invoices": {"every": {"status": {"eq": "PAID"}}}}) == (
        all_paid
    )
    none_at_all = await rows(
        db,
        "SELECT c.id FROM crm.customer c WHERE c.archived_at IS NULL AND NOT EXISTS ("
        "SELECT 1 FROM erp.invoice i WHERE i.customer_id = c.id)",
    )
    assert await ids(graphql, CUSTOMERS, {"invoices": {"none": {}}}) == none_at_all
    assert none_at_all < all_paid


async def test_derived_amounts_compare_as_the_api_shows_them(
    graphql: GraphQL, db: asyncpg.Connection
) -> None:
    answer = await graphql(
        """{ customers(first: 100, where: {openBalance: {gt: "1000"}}) {
          edges { node { openBalance } } } }"""
    )
    balances = [Decimal(e["node"]["openBalance"]) for e in answer["data"]["customers"]["edges"]]
    assert balances and all(balance > 1000 for balance in balances)
    owing = await graphql(
        """{ invoices(first: 100, where: {amountDue: {gte: "0.01"}, isOverdue: {eq: true}}) {
          edges { node { amountDue isOverdue daysOverdue } } } }"""
    )
    edges = owing["data"]["invoices"]["edges"]
    assert edges and all(
        Decimal(e["node"]["amountDue"]) > 0 and e["node"]["isOverdue"] and e["node"]["daysOverdue"]
        for e in edges
    )


async def rep_token(
    db: asyncpg.Connection, tokens: Tokens, role: str = "sales_rep"
) -> tuple[str, int]:
    """A token for the employee managing the most customers, with `role`."""
    rep = await db.fetchrow(
        "SELECT e.id, e.email FROM erp.employee e JOIN crm.customer c "
        "ON c.account_manager_id = e.id WHERE e.email ~ '^[a-z0-9._@-]+$' "
        "GROUP BY e.id ORDER BY count(*) DESC LIMIT 1"
    )
    return tokens.mint(rep["email"], role), rep["id"]


async def test_a_sales_rep_filters_only_over_their_own_customers_rows(
    graphql: GraphQL, db: asyncpg.Connection, tokens: Tokens
) -> None:
    token, rep = await rep_token(db, tokens)
    expected = await rows(
        db,
        f"SELECT id FROM ({OVERDUE_AND_OPEN_DEAL_SQL}) mine "
        "WHERE id IN (SELECT id FROM crm.customer WHERE account_manager_id = $1)",
        rep,
    )
    assert await ids(graphql, CUSTOMERS, OVERDUE_AND_OPEN_DEAL, token=token) == expected
    # An order's customer is checked inside the subquery too: orders of customers the rep
    # does not manage never match, whatever the order's own rows say.
    theirs = await rows(
        db,
        "SELECT o.id FROM erp.sales_order o JOIN crm.customer c ON c.id = o.customer_id "
        "WHERE c.account_manager_id = $1 AND c.tier = 'gold'",
        rep,
    )
    assert await ids(graphql, ORDERS, {"customer": {"tier": {"eq": "GOLD"}}}, token=token) == theirs


@pytest.mark.parametrize(
    ("role", "where", "closed"),
    [
        ("support", {"invoices": {"some": {"total": {"gt": "0"}}}}, "Invoice"),
        ("marketing", {"openBalance": {"gt": "0"}}, "receivables"),
        ("support", {"lifetimeRevenue": {"gt": "0"}}, "customer revenue"),
        ("warehouse", {"creditLimit": {"gt": "0"}}, "credit limits"),
    ],
)
async def test_filtering_by_what_one_may_not_read_is_refused(
    graphql: GraphQL,
    db: asyncpg.Connection,
    tokens: Tokens,
    role: str,
    where: dict[str, Any],
    closed: str,
) -> None:
    token, _ = await rep_token(db, tokens, role)
    answer = await graphql(CUSTOMERS, {"where": where}, token=token)
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["argument"] == "where"
    assert closed in error["message"]
    assert answer["data"]["customers"] is None


async def test_hostile_conditions_are_refused_by_the_limits(graphql: GraphQL) -> None:
    deep: dict[str, Any] = {"code": {"eq": "C"}}
    for _ in range(10):
        deep = {"_not": deep}
    nested = await graphql(CUSTOMERS, {"where": deep})
    assert nested["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    wide = {"_or": [{"code": {"eq": f"C{i}"}} for i in range(101)]}
    many = await graphql(CUSTOMERS, {"where": wide})
    assert many["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    huge = {"code": {"in": [f"C{i}" for i in range(5000)]}}
    listed = await graphql(CUSTOMERS, {"where": huge})
    assert listed["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


# Random predicates, evaluated by the API and in Python over the same rows --------------------

TIERS = [tier.upper() for tier in CUSTOMER_TIERS]
STATUSES = [status.upper() for status in CUSTOMER_STATUSES]
INVOICE_STATUSES = [status.upper() for status in INVOICE_STATES]

leaf = st.one_of(
    st.builds(lambda v: {"tier": {"in": v}}, st.lists(st.sampled_from(TIERS), max_size=3)),
    st.builds(lambda v: {"status": {"neq": v}}, st.sampled_from(STATUSES)),
    st.builds(lambda v: {"country": {"eq": v}}, st.sampled_from(["DE", "FR", "NL", "GB", "US"])),
    st.builds(lambda v: {"country": {"isNull": v}}, st.booleans()),
    st.builds(lambda v: {"creditLimit": {"gte": str(v)}}, st.integers(0, 60_000)),
    st.builds(lambda v: {"name": {"contains": v}}, st.sampled_from(["a", "Gmb", "son", "x"])),
    st.builds(
        lambda s, v: {"invoices": {"some": {"status": {"eq": s}, "total": {"gt": str(v)}}}},
        st.sampled_from(INVOICE_STATUSES),
        st.integers(0, 3000),
    ),
    st.builds(
        lambda s: {"invoices": {"every": {"status": {"in": s}}}},
        st.lists(st.sampled_from(INVOICE_STATUSES), max_size=3),
    ),
    # A derived value, compared through the index form (`gt`/`gte` a whole n >= 0) and not.
    st.builds(
        lambda q, op, n: {"invoices": {q: {"daysOverdue": {op: n}}}},
        st.sampled_from(["some", "every"]),
        st.sampled_from(["gt", "gte", "lt", "eq"]),
        st.integers(-2, 90),
    ),
    st.builds(lambda v: {"accountManager": {"id": {"eq": v}}}, st.integers(1, 40)),
)
predicates = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda items: {"_and": items}, st.lists(inner, max_size=3)),
        st.builds(lambda items: {"_or": items}, st.lists(inner, max_size=3)),
        st.builds(lambda item: {"_not": item}, inner),
    ),
    max_leaves=6,
)


def holds(where: dict[str, Any], customer: dict[str, Any]) -> bool:
    """The predicate's meaning, in Python: a missing value fails every comparison but `neq`
    and `isNull`."""
    for key, value in where.items():
        if key == "_and" and not all(holds(item, customer) for item in value):
            return False
        if key == "_or" and not any(holds(item, customer) for item in value):
            return False
        if key == "_not" and holds(value, customer):
            return False
        if key == "invoices":
            [(quantifier, condition)] = value.items()
            matches = [holds_invoice(condition, i) for i in customer["invoices"]]
            if not (any(matches) if quantifier == "some" else all(matches)):
                return False
        if key == "accountManager" and customer["account_manager_id"] != value["id"]["eq"]:
            return False
        if key in ("tier", "status", "country", "creditLimit", "name") and not compare(
            customer[key], value, enum=key in ENUMS
        ):
            return False
    return True


ENUMS = ("tier", "status")


def holds_invoice(where: dict[str, Any], invoice: dict[str, Any]) -> bool:
    return all(compare(invoice[key], value, enum=key in ENUMS) for key, value in where.items())


def compare(actual: Any, comparison: dict[str, Any], *, enum: bool) -> bool:
    """One comparison; enum operands are names (GOLD), stored as values (gold)."""
    [(operator, operand)] = comparison.items()
    if enum:
        operand = [o.lower() for o in operand] if isinstance(operand, list) else operand.lower()
    if operator == "isNull":
        return (actual is None) == operand
    if operator == "neq":
        return actual != operand
    if actual is None:
        return False
    if operator == "in":
        return actual in operand
    if operator == "eq":
        return bool(actual == operand)
    if operator == "contains":
        return operand.lower() in actual.lower()
    if operator == "gt":
        return actual > Decimal(operand)
    if operator == "lt":
        return actual < Decimal(operand)
    assert operator == "gte"
    return actual >= Decimal(operand)


class Company(list[dict[str, Any]]):
    """The seeded customers with their invoices (short to print: Hypothesis shows its
    arguments)."""

    def __repr__(self) -> str:
        return f"<{len(self)} customers>"


@pytest.fixture(scope="module")
async def company(db: asyncpg.Connection) -> Company:
    customers = {
        row["id"]: {**dict(row), "invoices": []}
        for row in await db.fetch(
            'SELECT id, tier, status, country, credit_limit AS "creditLimit", name, '
            "account_manager_id FROM crm.customer WHERE archived_at IS NULL"
        )
    }
    # Days overdue as docs/ANALYTICS.md defines it, from the payments and credit notes.
    for row in await db.fetch(
        "SELECT i.customer_id, i.status, i.total, i.due_on, current_date AS today, "
        "i.total - coalesce((SELECT sum(amount) FROM erp.payment p WHERE p.invoice_id = i.id), 0)"
        " - coalesce((SELECT sum(total) FROM erp.credit_note n WHERE n.invoice_id = i.id), 0) "
        "AS unpaid FROM erp.invoice i"
    ):
        if row["customer_id"] in customers:
            owes = row["status"] != "void" and row["unpaid"] > 0 and row["due_on"] < row["today"]
            days = (row["today"] - row["due_on"]).days if owes else 0
            customers[row["customer_id"]]["invoices"].append({**dict(row), "daysOverdue": days})
    return Company(customers.values())


def employee_ids(where: Any) -> Any:
    """The predicate as the API takes it: employee keys as global IDs."""
    if isinstance(where, list):
        return [employee_ids(item) for item in where]
    if not isinstance(where, dict):
        return where
    if "accountManager" in where:
        key = where["accountManager"]["id"]["eq"]
        return {**where, "accountManager": {"id": {"eq": to_base64("Employee", key)}}}
    return {key: employee_ids(value) for key, value in where.items()}


@pytest.fixture(scope="module")
async def rep(db: asyncpg.Connection, tokens: Tokens) -> tuple[str, int]:
    return await rep_token(db, tokens)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(where=predicates)
async def test_random_predicates_agree_with_python(
    graphql: GraphQL, company: Company, rep: tuple[str, int], where: dict[str, Any]
) -> None:
    expected = {customer["id"] for customer in company if holds(where, customer)}
    assert await ids(graphql, CUSTOMERS, employee_ids(where)) == expected, where
    # A sales rep gets the same predicate over their own customers only.
    token, employee = rep
    theirs = {c["id"] for c in company if c["account_manager_id"] == employee}
    assert await ids(graphql, CUSTOMERS, employee_ids(where), token=token) == expected & theirs


@pytest.mark.parametrize(
    ("operator", "days"), [("gt", 30), ("gte", 31), ("gte", 0), ("gt", -1), ("gte", 1), ("lt", 5)]
)
async def test_days_overdue_means_the_same_in_the_indexed_form(
    graphql: GraphQL, company: Company, operator: str, days: int
) -> None:
    """`gt n` / `gte n + 1` for a whole n >= 0 run as "open and due before today - n" on the
    index of open invoices; every other comparison on the derived value itself."""
    for quantifier in ("some", "none"):
        where = {"invoices": {quantifier: {"daysOverdue": {operator: days}}}}
        matching = {
            c["id"]
            for c in company
            if any(compare(i["daysOverdue"], {operator: days}, enum=False) for i in c["invoices"])
        }
        expected = matching if quantifier == "some" else {c["id"] for c in company} - matching
        assert expected, where
        assert await ids(graphql, CUSTOMERS, where) == expected, where


def test_the_python_meaning_is_not_trivial() -> None:
    customer = {
        "tier": "gold",
        "status": "active",
        "country": None,
        "creditLimit": Decimal("100"),
        "name": "Acme GmbH",
        "account_manager_id": 3,
        "invoices": [{"status": "paid", "total": Decimal("10")}],
    }
    assert holds({"tier": {"in": ["GOLD"]}}, customer)
    assert not holds({"country": {"eq": "DE"}}, customer)
    assert holds({"country": {"neq": "DE"}}, customer)
    assert holds({"_not": {"country": {"eq": "DE"}}}, customer)
    assert holds({"invoices": {"every": {"status": {"in": ["PAID"]}}}}, customer)
    assert not holds({"invoices": {"some": {"total": {"gt": "10"}}}}, customer)


NESTED = """{ customers(first: 100, where: {orders: {some: {}}}) { edges { node { id
  fulfilled: orders(first: 3, where: {status: {eq: FULFILLED}}) { totalCount
    edges { node { status } } }
  big: orders(first: 3, where: {total: {gte: "1000"}}) { totalCount edges { node { total } } }
  all: orders(first: 3) { totalCount } } } } }"""


async def test_nested_lists_take_where_too(graphql: GraphQL, db: asyncpg.Connection) -> None:
    answer = await graphql(NESTED)
    assert "errors" not in answer, answer["errors"]
    counts = {
        row["customer_id"]: row
        for row in await db.fetch(
            "SELECT customer_id, count(*) AS all, count(*) FILTER (WHERE status = 'fulfilled') "
            "AS fulfilled, count(*) FILTER (WHERE total >= 1000) AS big "
            "FROM erp.sales_order GROUP BY 1"
        )
    }
    edges = answer["data"]["customers"]["edges"]
    assert edges
    for edge in edges:
        node = edge["node"]
        row = counts[int(from_base64(node["id"])[1])]
        assert node["all"]["totalCount"] == row["all"]
        assert node["fulfilled"]["totalCount"] == row["fulfilled"]
        assert node["big"]["totalCount"] == row["big"]
        assert {e["node"]["status"] for e in node["fulfilled"]["edges"]} <= {"FULFILLED"}
        assert all(Decimal(e["node"]["total"]) >= 1000 for e in node["big"]["edges"])
    assert any(
        edge["node"]["fulfilled"]["totalCount"] < edge["node"]["all"]["totalCount"]
        for edge in edges
    )


async def test_a_nested_where_on_what_one_may_not_read_nulls_that_list_only(
    graphql: GraphQL, db: asyncpg.Connection, tokens: Tokens
) -> None:
    token, _ = await rep_token(db, tokens, "support")
    answer = await graphql(
        """{ customers(first: 2) { edges { node { code
          tickets(first: 2, where: {salesOrder: {invoices: {some: {}}}}) { totalCount } } } } }""",
        token=token,
    )
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    nodes = [edge["node"] for edge in answer["data"]["customers"]["edges"]]
    assert nodes and all(node["code"] and node["tickets"] is None for node in nodes)


async def test_statements_do_not_grow_with_the_page(
    graphql: GraphQL, statements: StatementCounter
) -> None:
    # Every customer on the page has an order and an invoice the nested lists show, so
    # every level runs (the amount due is read for the invoices shown).
    document = """query($first: Int) { customers(first: $first,
          where: {orders: {some: {status: {in: [FULFILLED, CONFIRMED]}}},
                  invoices: {some: {amountDue: {gt: "0"}}}}) {
      totalCount edges { node { code
        orders(first: 5, where: {status: {in: [FULFILLED, CONFIRMED]}}) {
          totalCount edges { node { number customer { tier } } } }
        invoices(first: 5, where: {amountDue: {gt: "0"}}) { edges { node { amountDue } } }
      } } } }"""
    counts = []
    for first in (2, 20):
        statements.reset()
        answer = await graphql(document, {"first": first})
        assert "errors" not in answer, answer["errors"]
        assert len(answer["data"]["customers"]["edges"]) == first
        counts.append(statements.count)
    # One statement per list and level (the compiled path: one in all), whatever the page size.
    assert counts[0] == counts[1] <= 6, counts
