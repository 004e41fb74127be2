"""Who may read and change what: every role against every type, along every path of the graph.

Expectations come from the permission table (`domain/core/permissions.py`) and the schema
itself, never from the code under test, so a new type, relation or mutation is covered the
day it is added. Documents run through the real schema and executor with a viewer of one
role, as the HTTP endpoint does after authentication (tested on its own elsewhere).
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)
from starlette.applications import Starlette
from strawberry.relay import from_base64, to_base64
from strawberry.schema.schema_converter import GraphQLCoreConverter

import domain.core.operations
from domain.core.access import OWNERSHIP, ROLES, Viewer
from domain.core.permissions import PERMISSIONS, RESTRICTED_FIELDS, RESTRICTED_WRITES
from domain.core.sessions import asyncpg_dsn
from domain.demo.production import add_production
from schema.build import build_schema
from schema.core.context import Context
from schema.core.loaders import Loaders
from tests.api.conftest import execute_compared

Run = Callable[..., Awaitable[Any]]
GRAPH = build_schema()
CORE = GRAPH._schema
DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


def guarded(type_name: str) -> str | None:
    """The permission-table type behind a GraphQL type (`SalesOrderConnection`: SalesOrder)."""
    for suffix in ("", "Connection", "Edge"):
        base = type_name.removesuffix(suffix) if suffix else type_name
        if (not suffix or type_name.endswith(suffix)) and base in PERMISSIONS:
            return base
    return None


def may_read(role: str, type_name: str) -> bool:
    return role in PERMISSIONS[type_name].read


NODE_TYPES = sorted(
    name
    for name, graphql_type in CORE.type_map.items()
    if isinstance(graphql_type, GraphQLObjectType)
    and name in PERMISSIONS
    and any(interface.name == "Node" for interface in graphql_type.interfaces)
)
ROOT_CONNECTIONS = sorted(
    name
    for name, field in CORE.query_type.fields.items()  # type: ignore[union-attr]
    if get_named_type(field.type).name.endswith("Connection")
)
MUTATIONS = sorted(CORE.mutation_type.fields)  # type: ignore[union-attr]


def relation_fields(type_name: str) -> list[tuple[str, str]]:
    """(field, named type) of every field of a type that leads to another object type."""
    graphql_type = CORE.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    return [
        (name, get_named_type(field.type).name)
        for name, field in graphql_type.fields.items()
        if isinstance(get_named_type(field.type), GraphQLObjectType)
        and not any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values())
    ]


def forbidden(result: Any) -> list[tuple[Any, ...]]:
    return [
        tuple(error.path)
        for error in result.errors or []
        if (error.extensions or {}).get("code") == "FORBIDDEN"
    ]


def test_the_matrix_reaches_every_type_and_operation() -> None:
    issue_types = {"Customer", "Contact", "Interaction", "Campaign", "Opportunity", "Ticket"}
    issue_types |= {"Employee", "Department", "StockItem", "Warehouse", "SalesOrder", "Delivery"}
    issue_types |= {"Invoice", "Payment", "Supplier", "PurchaseOrder"}
    assert issue_types <= set(NODE_TYPES)
    assert {guarded(name) for name in NODE_TYPES} == set(NODE_TYPES)
    assert len(ROOT_CONNECTIONS) >= 11
    assert len(MUTATIONS) >= 29
    # Restricted fields of node types are checked by ID below; the others (metrics, the
    # reorder list) are reached along paths derived from the schema (test_fact_matrix.py).
    assert {type_name for type_name, _ in RESTRICTED_FIELDS} & set(NODE_TYPES)


def test_what_a_reader_of_the_parent_may_be_denied_is_nullable() -> None:
    """A denial nulls the denied field only: were it non-null, the null would spread to its
    parent (a marketing user would lose the whole customer for want of its orders)."""
    must_be_nullable = set()
    for parent_name, parent in CORE.type_map.items():
        if not isinstance(parent, GraphQLObjectType) or parent_name.startswith("__"):
            continue
        for name, field in parent.fields.items():
            target = guarded(get_named_type(field.type).name)
            for role in ROLES:
                if guarded(parent_name) is not None and not may_read(
                    role, guarded(parent_name) or ""
                ):
                    continue
                restricted = RESTRICTED_FIELDS.get((parent_name, name))
                if (restricted is not None and role not in restricted) or (
                    target is not None and not may_read(role, target)
                ):
                    must_be_nullable.add(
                        (parent_name, name, isinstance(field.type, GraphQLNonNull))
                    )
    assert ("Customer", "orders", False) in must_be_nullable
    assert ("Employee", "salary", False) in must_be_nullable
    assert {entry for entry in must_be_nullable if entry[2]} == set()


@pytest.fixture(scope="module")
async def cast(database_url: str, demo: None) -> dict[str, Any]:
    """A sales rep, one of their customers with a full history, and an id of every node type
    (rows of that customer where a type belongs to customers); production as on a demo's
    first day."""
    await add_production(database_url)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        customer, rep = await connection.fetchrow(
            "SELECT c.id, c.account_manager_id FROM crm.customer c "
            "WHERE EXISTS (SELECT 1 FROM erp.payment p WHERE p.customer_id = c.id) "
            "AND EXISTS (SELECT 1 FROM crm.ticket t WHERE t.customer_id = c.id) "
            "AND EXISTS (SELECT 1 FROM crm.opportunity o WHERE o.customer_id = c.id) "
            "AND EXISTS (SELECT 1 FROM crm.interaction i WHERE i.customer_id = c.id) "
            "AND EXISTS (SELECT 1 FROM crm.contact k WHERE k.customer_id = c.id) "
            "AND EXISTS (SELECT 1 FROM crm.campaign_member m WHERE m.customer_id = c.id) "
            "AND EXISTS (SELECT 1 FROM erp.delivery d JOIN erp.sales_order s "
            "            ON s.id = d.sales_order_id WHERE s.customer_id = c.id) "
            "ORDER BY c.id LIMIT 1"
        )
        # A deal of the customer says what it would sell.
        await connection.execute(
            "INSERT INTO crm.opportunity_line (opportunity_id, stock_item_id, quantity) "
            "SELECT min(o.id), (SELECT min(id) FROM erp.stock_item), 5 "
            "FROM crm.opportunity o WHERE o.customer_id = $1 ON CONFLICT DO NOTHING",
            customer,
        )
        # The demo company uploaded no file for import: one job stands for them.
        await connection.execute(
            "INSERT INTO ops.import_job (kind, source, file_name, format, encoding, byte_count) "
            "VALUES ('customers', 'matrix', 'customers.csv', 'csv', 'utf-8', 0)"
        )
        # Nor does it send webhooks: one endpoint, owed one event, tried once.
        await connection.execute(
            "WITH e AS (INSERT INTO ops.webhook_endpoint (url, secret) "
            "VALUES ('https://hooks.example.com/matrix', 'whsec_matrix') RETURNING id), "
            "o AS (INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id) "
            "VALUES ('segment.created', 'segment', 1) RETURNING id, topic), "
            "d AS (INSERT INTO ops.webhook_delivery (endpoint_id, event_id, event_type) "
            "SELECT e.id, o.id, o.topic FROM e, o RETURNING id) "
            "INSERT INTO ops.webhook_attempt (delivery_id, status_code, latency_ms) "
            "SELECT id, 200, 5 FROM d"
        )
        # Nor has it entered supplier bills yet: one, billing a unit received, and its payment.
        bill = await connection.fetchval(
            "WITH l AS (SELECT l.id, l.stock_item_id, l.unit_cost, o.id AS order_id, "
            "o.supplier_id, o.currency FROM erp.purchase_order_line l "
            "JOIN erp.purchase_order o ON o.id = l.purchase_order_id "
            "WHERE l.quantity_received > 0 ORDER BY l.id LIMIT 1), "
            "b AS (INSERT INTO finance.supplier_bill (number, supplier_id, purchase_order_id, "
            "currency, bill_date, due_on, tax_rate, net, tax, total, price_difference) "
            "SELECT 'MATRIX-1', supplier_id, order_id, currency, current_date, current_date, 0, "
            "unit_cost, 0, unit_cost, 0 FROM l RETURNING id, supplier_id, total, currency), "
            "bl AS (INSERT INTO finance.supplier_bill_line (supplier_bill_id, "
            "purchase_order_line_id, stock_item_id, quantity, unit_price, unit_cost, net, "
            "price_difference) SELECT b.id, l.id, l.stock_item_id, 1, l.unit_cost, l.unit_cost, "
            "l.unit_cost, 0 FROM b, l) "
            "SELECT id FROM b"
        )
        await connection.execute(
            "INSERT INTO finance.supplier_payment (number, supplier_bill_id, supplier_id, amount, "
            "currency, paid_at) SELECT 'SP-MATRIX', id, supplier_id, 0.01, currency, now() "
            "FROM finance.supplier_bill WHERE id = $1",
            bill,
        )
        # Nor has it corrected a sale or quoted: goods of one of the customer's invoiced
        # lines came back, credited with a line, refunded; and a quote.
        await connection.execute(
            "WITH i AS (SELECT il.id AS line_id, il.invoice_id, il.sales_order_line_id, "
            "v.currency, v.sales_order_id FROM erp.invoice_line il "
            "JOIN erp.invoice v ON v.id = il.invoice_id WHERE v.customer_id = $1 "
            "AND v.status <> 'void' AND il.sales_order_line_id IS NOT NULL ORDER BY il.id LIMIT 1), "
            "r AS (INSERT INTO erp.sales_return (number, sales_order_id, customer_id, warehouse_id, "
            "reason, received_at) SELECT 'RT-MATRIX', i.sales_order_id, $1, o.warehouse_id, "
            "'Matrix', now() FROM i JOIN erp.sales_order o ON o.id = i.sales_order_id RETURNING id), "
            "rl AS (INSERT INTO erp.sales_return_line (sales_return_id, sales_order_line_id, "
            "quantity, credited_quantity) SELECT r.id, i.sales_order_line_id, 1, 1 FROM r, i), "
            "n AS (INSERT INTO erp.credit_note (number, invoice_id, customer_id, sales_return_id, "
            "currency, issued_on, reason, subtotal, tax_total, total, refund_amount) "
            "SELECT 'CN-MATRIX', i.invoice_id, $1, r.id, i.currency, current_date, 'Matrix', 1, 0, "
            "1, 1 FROM i, r RETURNING id, currency), "
            "nl AS (INSERT INTO erp.credit_note_line (credit_note_id, invoice_line_id, description, "
            "quantity, unit_price, line_total, tax_amount) SELECT n.id, i.line_id, 'Matrix', 1, 1, "
            "1, 0 FROM n, i) "
            "INSERT INTO erp.refund (number, credit_note_id, customer_id, amount, currency, paid_at) "
            "SELECT 'RF-MATRIX', n.id, $1, 1, n.currency, now() FROM n",
            customer,
        )
        await connection.execute(
            "WITH q AS (INSERT INTO erp.quote (number, customer_id, currency, tax_rate, subtotal, "
            "discount_total, tax_total, total, valid_until) SELECT 'QT-MATRIX', id, currency, 0, 1, "
            "0, 0, 1, current_date FROM crm.customer WHERE id = $1 RETURNING id) "
            "INSERT INTO erp.quote_line (quote_id, line_no, stock_item_id, quantity, list_price, "
            "discount_percent, unit_price, line_total, tax_amount) "
            "SELECT q.id, 1, (SELECT min(id) FROM erp.stock_item), 1, 1, 0, 1, 1, 0 FROM q",
            customer,
        )
        # A key of the rep's, which the rep and admins may see.
        await connection.execute(
            "INSERT INTO ops.api_key (owner_id, name, prefix, secret_hash, roles) "
            "VALUES ($1, 'Matrix', 'bzk_matrix', repeat('0', 64), '{sales_rep}')",
            rep,
        )
        # The rep's own change, on the audit trail (whose rule shows it to the rep).
        await connection.execute(
            "INSERT INTO ops.audit_log (actor_employee_id, actor, action, entity_type, "
            "entity_id, changes) VALUES ($1, 'matrix@example.com', 'customer.updated', "
            """'customer', $2, '{"credit_limit": {"from": "1.00", "to": "2.00"}}')""",
            rep,
            customer,
        )
        await connection.execute(
            "INSERT INTO crm.segment (name, definition) "
            """VALUES ('Matrix', '{"tier": {"in": ["GOLD", "SILVER"]}}')"""
        )
        ids: dict[str, str] = {}
        for name in NODE_TYPES:
            table = CORE.type_map[name].extensions[DEFINITION].origin.MODEL.__table__
            columns = {column.name for column in table.columns}
            where = ""
            if "customer_id" in columns:
                where = f"WHERE customer_id = {customer}"
            elif name == "Customer":
                where = f"WHERE id = {customer}"
            elif name == "DeliveryLine":
                where = (
                    "WHERE delivery_id IN (SELECT d.id FROM erp.delivery d JOIN erp.sales_order s "
                    f"ON s.id = d.sales_order_id WHERE s.customer_id = {customer})"
                )
            elif OWNERSHIP.get(table.fullname, ("", None))[1] is not None:
                # A part of a customer's record (an order's line): the rep's customer's.
                column, parent = OWNERSHIP[table.fullname]
                where = (
                    f"WHERE {column} IN (SELECT id FROM {parent} WHERE customer_id = {customer})"
                )
            elif name == "Campaign":
                where = f"WHERE id IN (SELECT campaign_id FROM crm.campaign_member WHERE customer_id = {customer})"
            elif name == "Employee":
                where = f"WHERE id = {rep}"
            elif name == "Segment":
                where = "WHERE name = 'Matrix'"  # conditions every reader may use
            elif name == "AuditEntry":
                where = "WHERE actor = 'matrix@example.com'"  # the rep's own change
            key = await connection.fetchval(
                f"SELECT min(id) FROM {table.schema}.{table.name} {where}"
            )
            assert key is not None, name
            ids[name] = to_base64(name, key)
    finally:
        await connection.close()
    return {"rep": rep, "customer": customer, "ids": ids}


@pytest.fixture(scope="module")
def run_as(app: Starlette, cast: dict[str, Any]) -> Callable[[str], Run]:
    """Run documents as a role, the way the app executes (compiled reads compared with the
    general path for every role)."""
    state = app.state.bizgraph
    settings = state.settings
    graph = build_schema(
        shortcuts=settings.execution_shortcuts, compiled_reads=settings.compiled_reads
    )
    reference = GRAPH if settings.compiled_reads else graph

    def for_role(role: str) -> Run:
        viewer = Viewer(
            employee_id=cast["rep"], email="matrix@example.com", roles=frozenset({role})
        )

        def context() -> Context:
            return Context(
                state=state,
                viewer=viewer,
                request_id="matrix",
                loaders=Loaders(state.reads, viewer),
            )

        async def run(document: str, **variables: Any) -> Any:
            return await execute_compared(graph, reference, document, variables, context)

        return run

    return for_role


@pytest.mark.parametrize("role", ROLES)
async def test_nodes_by_id_alias_and_fragment(
    role: str, run_as: Callable[[str], Run], cast: dict[str, Any]
) -> None:
    run = run_as(role)
    for name in NODE_TYPES:
        node_id = cast["ids"][name]
        allowed = may_read(role, name)
        direct = await run("query($id: ID!) { node(id: $id) { id } }", id=node_id)
        aliased = await run(
            f"query($id: ID!) {{ x: node(id: $id) {{ ...f }} }} fragment f on {name} {{ id }}",
            id=node_id,
        )
        listed = await run(
            f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on {name} {{ id }} }} }}",
            ids=[node_id],
        )
        if allowed:
            assert direct.errors is None, (role, name, direct.errors)
            assert direct.data == {"node": {"id": node_id}}
            assert aliased.data == {"x": {"id": node_id}}
            assert listed.data == {"nodes": [{"id": node_id}]}
        else:
            assert (direct.data, forbidden(direct)) == ({"node": None}, [("node",)]), (role, name)
            assert (aliased.data, forbidden(aliased)) == ({"x": None}, [("x",)]), (role, name)
            assert forbidden(listed) == [("nodes", 0)], (role, name)
            assert listed.data in ({"nodes": [None]}, None)


@pytest.mark.parametrize("role", ROLES)
async def test_root_connections(role: str, run_as: Callable[[str], Run]) -> None:
    run = run_as(role)
    for field in ROOT_CONNECTIONS:
        node_type = guarded(get_named_type(CORE.query_type.fields[field].type).name)  # type: ignore[union-attr]
        assert node_type is not None, field
        result = await run(f"{{ {field}(first: 1) {{ totalCount edges {{ node {{ id }} }} }} }}")
        # A root list can be a restricted fact itself (which items to reorder).
        fact_readers = RESTRICTED_FIELDS.get(("Query", field), frozenset(ROLES))
        if may_read(role, node_type) and role in fact_readers:
            assert result.errors is None, (role, field, result.errors)
            assert result.data[field]["totalCount"] >= 0
        else:
            # Not even the count: nothing of a type the role may not read.
            assert (result.data, forbidden(result)) == ({field: None}, [(field,)]), (role, field)


@pytest.mark.parametrize("role", ROLES)
async def test_every_relation_of_every_node(
    role: str, run_as: Callable[[str], Run], cast: dict[str, Any]
) -> None:
    """Each relation one level down from a node, and from there one more (order → lines →
    stock item): a relation to a type the role may not read is null and FORBIDDEN there."""
    run = run_as(role)
    checked = 0
    for parent in NODE_TYPES:
        if not may_read(role, parent):
            continue
        for field, target in relation_fields(parent):
            inner = "__typename"
            deeper = (
                [] if guarded(target) or target.endswith("Connection") else relation_fields(target)
            )
            if deeper:
                inner += " " + " ".join(f"{name} {{ __typename }}" for name, _ in deeper)
            result = await run(
                f"query($id: ID!) {{ node(id: $id) {{ ... on {parent} {{ {field} {{ {inner} }} }} }} }}",
                id=cast["ids"][parent],
            )
            denied = guarded(target) is not None and not may_read(role, guarded(target) or "")
            paths = forbidden(result)
            if denied:
                assert result.data == {"node": {field: None}}, (role, parent, field)
                assert paths == [("node", field)], (role, parent, field)
                continue
            assert result.errors is None or not paths or deeper, (role, parent, field, paths)
            for name, deeper_target in deeper:
                blocked = guarded(deeper_target) is not None and not may_read(
                    role, guarded(deeper_target) or ""
                )
                hits = [path for path in paths if path[-1] == name]
                values = result.data["node"][field]
                items = values if isinstance(values, list) else [values] if values else []
                if blocked:
                    assert len(hits) == len(items), (role, parent, field, name)
                    assert all(item[name] is None for item in items)
                else:
                    assert not hits, (role, parent, field, name, hits)
            checked += 1
    assert checked > 0 or role == "hr"


@pytest.mark.parametrize("role", ROLES)
async def test_restricted_fields_directly_aliased_and_nested(
    role: str, run_as: Callable[[str], Run], cast: dict[str, Any]
) -> None:
    run = run_as(role)
    for (type_name, field), readers in RESTRICTED_FIELDS.items():
        if type_name not in NODE_TYPES or not may_read(role, type_name):
            continue
        allowed = role in readers
        by_id = await run(
            f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ id secret: {field} }} }} }}",
            id=cast["ids"][type_name],
        )
        assert by_id.data["node"]["id"] == cast["ids"][type_name]  # the rest of the object stays
        if allowed:
            assert by_id.errors is None, (role, type_name, field)
        else:
            assert by_id.data["node"]["secret"] is None
            assert forbidden(by_id) == [("node", "secret")], (role, type_name, field)
        root = type_name[0].lower() + type_name[1:] + "s"  # customers, employees, stockItems
        assert root in ROOT_CONNECTIONS
        page = await run(f"{{ {root}(first: 3) {{ edges {{ node {{ {field} }} }} }} }}")
        edges = page.data[root]["edges"]
        assert edges
        if allowed:
            assert page.errors is None
        else:
            assert all(edge["node"][field] is None for edge in edges)
            assert len(forbidden(page)) == len(edges)


async def test_a_sales_rep_reaches_no_other_customer_through_any_path(
    run_as: Callable[[str], Run], cast: dict[str, Any], database_url: str
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        other_manager = await connection.fetchval(
            "SELECT account_manager_id FROM crm.customer WHERE account_manager_id <> $1 LIMIT 1",
            cast["rep"],
        )
    finally:
        await connection.close()
    run = run_as("sales_rep")
    colleague = await run(
        "query($id: ID!) { node(id: $id) { ... on Employee { managedCustomers { totalCount } } } }",
        id=to_base64("Employee", other_manager),
    )
    assert colleague.data == {"node": {"managedCustomers": {"totalCount": 0}}}
    own = await run(
        "query($id: ID!) { node(id: $id) { ... on Employee { managedCustomers { totalCount } } } }",
        id=to_base64("Employee", cast["rep"]),
    )
    assert own.data["node"]["managedCustomers"]["totalCount"] > 0
    # A relation from a shared type (a campaign) leads only to visible customers.
    members = await run(
        "query($id: ID!) { node(id: $id) { ... on Campaign { members(first: 100) { totalCount "
        "edges { node { customer { accountManager { id } } } } } } } }",
        id=cast["ids"]["Campaign"],
    )
    managers = {
        edge["node"]["customer"]["accountManager"]["id"]
        for edge in members.data["node"]["members"]["edges"]
        if edge["node"]["customer"] is not None
    }
    assert managers == {to_base64("Employee", cast["rep"])}


def _sample(input_type: GraphQLInputType) -> Any:
    """A value the schema accepts for a required input (the permission check comes first)."""
    if isinstance(input_type, GraphQLNonNull):
        return _sample(input_type.of_type)
    if isinstance(input_type, GraphQLList):
        return []
    if isinstance(input_type, GraphQLEnumType):
        return next(iter(input_type.values))
    if isinstance(input_type, GraphQLInputObjectType):
        return {
            name: _sample(field.type)
            for name, field in input_type.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        }
    assert isinstance(input_type, GraphQLScalarType)
    return {
        "ID": to_base64("Nothing", 1),
        "String": "matrix",
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "Decimal": "1",
        "Date": "2026-01-01",
        "DateTime": "2026-01-01T00:00:00Z",
        "Upload": "matrix",  # no file in a JSON request: refused after the permission check
    }[input_type.name]


async def _row_total(database_url: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        tables = await connection.fetch(
            "SELECT schemaname || '.' || relname AS name FROM pg_stat_user_tables "
            "WHERE schemaname IN ('crm', 'erp', 'ops', 'analytics')"
        )
        return sum([await connection.fetchval(f"SELECT count(*) FROM {t['name']}") for t in tables])
    finally:
        await connection.close()


@dataclass(frozen=True)
class Mutation:
    """A mutation's document (asking for its payload's `id` and errors), a sample input the
    schema accepts, and the type the permission table must let the viewer change."""

    document: str
    sample: dict[str, Any]
    writes: str


@pytest.fixture(scope="module")
async def mutations(run_as: Callable[[str], Run]) -> dict[str, Mutation]:
    asked: list[str] = []
    check = domain.core.operations.ensure_can_write

    def recording(viewer: Viewer, type_name: str, fields: Iterable[str] = ()) -> None:
        asked.append(type_name)
        check(viewer, type_name, fields)

    found: dict[str, Mutation] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(domain.core.operations, "ensure_can_write", recording)
        for name in MUTATIONS:
            field = CORE.mutation_type.fields[name]  # type: ignore[union-attr]
            argument = field.args["input"]
            input_name = get_named_type(argument.type).name
            payload = get_named_type(field.type)
            entity = next(f for f in payload.fields if f != "errors")  # type: ignore[attr-defined]
            document = (
                f"mutation($input: {input_name}!) {{ {name}(input: $input) "
                f"{{ {entity} {{ id }} errors {{ field code }} }} }}"
            )
            sample = _sample(argument.type)
            asked.clear()
            await run_as("admin")(document, input=sample)
            assert len(asked) == 1, (name, asked)
            found[name] = Mutation(document, sample, asked[0])
    return found


async def test_every_mutation_for_every_role(
    run_as: Callable[[str], Run], database_url: str, mutations: dict[str, Mutation]
) -> None:
    """A role the table does not let change a type gets a FORBIDDEN payload error and writes
    nothing; a role it does let is not refused (its sample input may fail validation)."""
    before = await _row_total(database_url)
    for role in ROLES:
        for name, mutation in mutations.items():
            if role in PERMISSIONS[mutation.writes].write:
                continue
            result = await run_as(role)(mutation.document, input=mutation.sample)
            entity = next(iter(result.data[name]))
            assert result.data[name]["errors"] == [{"field": None, "code": "FORBIDDEN"}], (
                role,
                name,
            )
            assert result.data[name][entity] is None
            # Where the role may not even read the payload's type, its null says so too.
            assert len(result.errors or []) == len(forbidden(result)), (role, name)
            assert set(forbidden(result)) <= {(name, entity)}, (role, name)
    assert await _row_total(database_url) == before

    for role in ROLES:
        for name, mutation in mutations.items():
            if role not in PERMISSIONS[mutation.writes].write:
                continue
            # The sample names only required fields: no restricted field is set by default.
            result = await run_as(role)(mutation.document, input=mutation.sample)
            codes = [error["code"] for error in (result.data or {}).get(name, {}).get("errors", [])]
            assert "FORBIDDEN" not in codes, (role, name)


async def test_over_http_a_denied_field_is_null_with_its_reason(
    graphql: Any, tokens: Any, cast: dict[str, Any]
) -> None:
    token = tokens.mint(await tokens.first_active_employee(), "marketing")
    result = await graphql(
        "query($id: ID!) { customer(id: $id) { id openBalance orders(first: 1) { totalCount } } }",
        {"id": cast["ids"]["Customer"]},
        token=token,
    )
    assert result["data"] == {
        "customer": {"id": cast["ids"]["Customer"], "openBalance": None, "orders": None}
    }
    assert sorted((e["path"], e["extensions"]["code"]) for e in result["errors"]) == [
        (["customer", "openBalance"], "FORBIDDEN"),
        (["customer", "orders"], "FORBIDDEN"),
    ]
    assert "your roles may not read SalesOrder" in [e["message"] for e in result["errors"]]


# The write half: every role against every field only some writers may set, on every
# mutation whose input sets it. It runs last: its allowed writes change the cast's customer.


def _input_fields(mutation: str) -> dict[str, GraphQLInputType]:
    argument = CORE.mutation_type.fields[mutation].args["input"]  # type: ignore[union-attr]
    input_type = get_named_type(argument.type)
    assert isinstance(input_type, GraphQLInputObjectType)
    return {name: field.type for name, field in input_type.fields.items()}


def _values_to_write(
    type_name: str, field: str, input_type: GraphQLInputType, employee: str
) -> list[Any]:
    """A value for the field, and null where it may be null (clearing a field writes it)."""
    named = get_named_type(input_type)
    if isinstance(named, GraphQLEnumType):
        value: Any = list(named.values)[-1]
    elif named.name == "Decimal":
        value = "1.00"
    else:
        # An ID names a node: the field's type on the object says which (an employee here).
        target = CORE.type_map[type_name].fields[field].type  # type: ignore[union-attr]
        assert (named.name, get_named_type(target).name) == ("ID", "Employee"), field
        value = employee
    return [value] if isinstance(input_type, GraphQLNonNull) else [value, None]


async def _row(database_url: str, table: Any, key: int) -> dict[str, Any]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        row = await connection.fetchrow(
            f"SELECT * FROM {table.schema}.{table.name} WHERE id = $1", key
        )
    finally:
        await connection.close()
    assert row is not None
    return dict(row)


async def _restore(database_url: str, table: Any, row: dict[str, Any]) -> None:
    columns = [name for name in row if name != "id"]
    assignments = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(columns))
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            f"UPDATE {table.schema}.{table.name} SET {assignments} WHERE id = $1",
            row["id"],
            *(row[name] for name in columns),
        )
    finally:
        await connection.close()


async def test_every_role_against_every_field_only_some_writers_may_set(
    run_as: Callable[[str], Run],
    cast: dict[str, Any],
    database_url: str,
    mutations: dict[str, Mutation],
) -> None:
    """Expectations from RESTRICTED_WRITES: a refused role gets FORBIDDEN on that input field
    (or on the type, if it may not change the type at all) and nothing is written; an allowed
    role's change is made, as an admin reading it back sees."""
    setters = [
        (name, field, input_type)
        for name, mutation in mutations.items()
        for field, input_type in _input_fields(name).items()
        if (mutation.writes, field) in RESTRICTED_WRITES
    ]
    assert {(mutations[name].writes, field) for name, field, _ in setters} == set(RESTRICTED_WRITES)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        colleague = await connection.fetchval(
            "SELECT e.id FROM erp.employee e JOIN erp.department d ON d.id = e.department_id "
            "WHERE d.code = 'SALES' AND e.status = 'active' AND e.id <> $1 ORDER BY e.id LIMIT 1",
            cast["rep"],
        )
    finally:
        await connection.close()
    employee = to_base64("Employee", colleague)

    cases = []
    for name, field, input_type in setters:
        type_name = mutations[name].writes
        table = CORE.type_map[type_name].extensions[DEFINITION].origin.MODEL.__table__
        node_id = cast["ids"][type_name]
        for value in _values_to_write(type_name, field, input_type, employee):
            for role in ROLES:
                allowed = role in PERMISSIONS[type_name].write
                allowed = allowed and role in RESTRICTED_WRITES[(type_name, field)]
                cases.append((name, type_name, table, node_id, field, value, role, allowed))

    async def attempt(
        name: str, table: Any, node_id: str, field: str, value: Any, role: str
    ) -> Any:
        sample = dict(mutations[name].sample)
        if "id" in sample:  # a change to an existing row: the cast's, at its current version
            sample["id"] = node_id
            key = int(from_base64(node_id)[1])
            if "version" in sample:
                sample["version"] = (await _row(database_url, table, key))["version"]
        result = await run_as(role)(mutations[name].document, input={**sample, field: value})
        return result.data[name]

    before = await _row_total(database_url)
    rows = {
        type_name: await _row(database_url, table, int(from_base64(node_id)[1]))
        for _, type_name, table, node_id, *_ in cases
    }
    for name, type_name, table, node_id, field, value, role, allowed in cases:
        if allowed:
            continue
        payload = await attempt(name, table, node_id, field, value, role)
        denied_field = field if role in PERMISSIONS[type_name].write else None
        assert payload["errors"] == [{"field": denied_field, "code": "FORBIDDEN"}], (
            name,
            field,
            value,
            role,
        )
    assert await _row_total(database_url) == before
    for type_name, row in rows.items():
        assert (
            await _row(
                database_url,
                CORE.type_map[type_name].extensions[DEFINITION].origin.MODEL.__table__,
                row["id"],
            )
            == row
        )

    try:
        for name, type_name, table, node_id, field, value, role, allowed in cases:
            if not allowed:
                continue
            payload = await attempt(name, table, node_id, field, value, role)
            assert payload["errors"] == [], (name, field, value, role)
            entity = next(key for key in payload if key != "errors")
            written_id = payload[entity]["id"]
            target = CORE.type_map[type_name].fields[field].type  # type: ignore[union-attr]
            is_object = isinstance(get_named_type(target), GraphQLObjectType)
            selection = f"{field} {{ id }}" if is_object else field
            read = await run_as("admin")(
                f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {selection} }} }} }}",
                id=written_id,
            )
            seen = read.data["node"][field]
            seen = seen["id"] if isinstance(seen, dict) else seen
            if value is None and isinstance(target, GraphQLNonNull):
                assert seen is not None, (name, field, role)  # null keeps what cannot be empty
            else:
                assert seen == value, (name, field, value, role)
    finally:
        for type_name, row in rows.items():
            await _restore(
                database_url,
                CORE.type_map[type_name].extensions[DEFINITION].origin.MODEL.__table__,
                row,
            )
