"""The default chart of accounts and the journals every company starts with.

Automatic postings find their accounts by purpose (`receivable`, `revenue`, …), never by
code, so finance may renumber and rename the chart freely; every purpose below must stay
with exactly one active account. Accounts that group others take no postings.
"""

JOURNALS = (
    ("SAL", "Sales"),
    ("PUR", "Purchases"),
    ("BNK", "Bank"),
    ("STK", "Stock"),
    ("GEN", "General"),
)

# (code, name, type, parent code, purpose)
CHART = (
    ("1000", "Assets", "asset", None, None),
    ("1100", "Bank", "asset", "1000", "bank"),
    ("1200", "Accounts receivable", "asset", "1000", "receivable"),
    ("1300", "Inventory", "asset", "1000", "inventory"),
    ("1350", "Work in progress", "asset", "1000", "work_in_progress"),
    ("1400", "Input VAT", "asset", "1000", "input_vat"),
    ("2000", "Liabilities", "liability", None, None),
    ("2100", "Accounts payable", "liability", "2000", "payable"),
    ("2200", "Goods received not invoiced", "liability", "2000", "goods_received"),
    ("2300", "Output VAT", "liability", "2000", "output_vat"),
    ("2400", "Refunds due to customers", "liability", "2000", "refunds_due"),
    ("3000", "Equity", "equity", None, None),
    ("3100", "Share capital", "equity", "3000", None),
    ("3200", "Retained earnings", "equity", "3000", "retained_earnings"),
    ("3300", "Opening balances", "equity", "3000", "opening_balances"),
    ("4000", "Income", "income", None, None),
    ("4100", "Sales revenue", "income", "4000", "revenue"),
    ("4200", "Sales returns and credits", "income", "4000", "sales_returns"),
    ("4300", "Stock gains", "income", "4000", "stock_gain"),
    ("4400", "Exchange differences", "income", "4000", "exchange_differences"),
    ("5000", "Cost of sales", "expense", None, None),
    ("5100", "Cost of goods sold", "expense", "5000", "cost_of_goods_sold"),
    ("5200", "Stock shrinkage", "expense", "5000", "shrinkage"),
    ("5300", "Purchase price differences", "expense", "5000", "price_differences"),
    ("5400", "Production variances", "expense", "5000", "production_variance"),
    # Credited with the labour and overhead work orders absorb at standard, against the
    # expenses the work really cost.
    ("5500", "Labour and overhead absorbed", "expense", "5000", "conversion_absorbed"),
    ("6000", "Operating expenses", "expense", None, None),
    ("6100", "Salaries", "expense", "6000", None),
    ("6200", "Rent", "expense", "6000", None),
    ("6300", "Marketing", "expense", "6000", None),
    ("6400", "Bank charges", "expense", "6000", None),
)

PURPOSES = frozenset(purpose for *_, purpose in CHART if purpose is not None)


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


# Plain SQL (for migrations, a reset demo and emptied test databases alike) that installs
# the journals and the chart into empty tables.
DEFAULT_CHART = (
    "INSERT INTO finance.journal (code, name) VALUES "
    + ", ".join(f"({_literal(code)}, {_literal(name)})" for code, name in JOURNALS),
    "INSERT INTO finance.account (code, name, type, purpose) VALUES "
    + ", ".join(
        f"({_literal(code)}, {_literal(name)}, {_literal(kind)}, {_literal(purpose)})"
        for code, name, kind, _, purpose in CHART
    ),
    "UPDATE finance.account AS a SET parent_id = p.id FROM (VALUES "
    + ", ".join(
        f"({_literal(code)}, {_literal(parent)})" for code, _, _, parent, _ in CHART if parent
    )
    + ") AS tree (code, parent) JOIN finance.account AS p ON p.code = tree.parent "
    "WHERE a.code = tree.code",
)
