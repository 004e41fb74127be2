"""Record rules: a sales rep's rows are those of the customers they manage, and a row reached
from a visible parent along its ownership needs no second check."""

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql

from domain.core.access import Viewer, record_rule, record_rule_below
from domain.models import metadata

REP = Viewer(employee_id=7, email="rep@example.com", roles=frozenset({"sales_rep"}))
MANAGER = Viewer(
    employee_id=8, email="boss@example.com", roles=frozenset({"sales_rep", "sales_manager"})
)


def table(name: str) -> Table:
    return metadata.tables[name]


def sql(condition: object) -> str:
    return str(condition.compile(dialect=postgresql.dialect()))  # type: ignore[attr-defined]


def test_a_rep_sees_only_rows_of_their_customers() -> None:
    assert sql(record_rule(REP, table("crm.customer"))) == (
        "crm.customer.account_manager_id = %(viewer_employee_id)s::BIGINT"
    )
    lines = sql(record_rule(REP, table("erp.sales_order_line")))
    assert "erp.sales_order_line.sales_order_id IN (SELECT erp.sales_order.id" in lines
    assert "crm.customer.account_manager_id = " in lines
    assert sql(record_rule(REP, table("erp.stock_item"))) == "true"  # company data


def test_a_broader_role_lifts_the_rule() -> None:
    assert sql(record_rule(MANAGER, table("erp.sales_order"))) == "true"
    assert (
        sql(
            record_rule_below(
                MANAGER, table("crm.customer"), "account_manager_id", table("erp.employee")
            )
        )
        == "true"
    )


def test_rows_owned_through_a_visible_parent_need_no_second_check() -> None:
    below = [
        ("erp.sales_order", "customer_id", "crm.customer"),
        ("crm.ticket", "customer_id", "crm.customer"),
        ("erp.sales_order_line", "sales_order_id", "erp.sales_order"),
        ("erp.delivery_line", "delivery_id", "erp.delivery"),
    ]
    for child, column, parent in below:
        assert sql(record_rule_below(REP, table(child), column, table(parent))) == "true", child


def test_rows_reached_another_way_keep_the_whole_rule() -> None:
    other_ways = [
        # lines of a stock item: company data above, the rep's orders only below
        ("erp.sales_order_line", "stock_item_id", "erp.stock_item"),
        # a campaign's members: any customer's
        ("crm.campaign_member", "campaign_id", "crm.campaign"),
        # an employee's customers: only the rep's own
        ("crm.customer", "account_manager_id", "erp.employee"),
        # an order's invoices go by customer, not by order
        ("erp.invoice", "sales_order_id", "erp.sales_order"),
    ]
    for child, column, parent in other_ways:
        condition = record_rule_below(REP, table(child), column, table(parent))
        assert sql(condition) == sql(record_rule(REP, table(child))) != "true", child
