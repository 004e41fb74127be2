"""The `bizgraph` command line: run, migrate, seed, serve, work, recompute, mint tokens,
load exchange rates."""

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from api.cli_errors import CliError
from api.settings import Settings, get_settings
from domain.core.access import ROLES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage dump: scripts and people both read the last line.
        self.exit(2, f"bizgraph: error: {message} (see bizgraph --help)\n")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from error
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be greater than zero")
    return number


def _non_negative(value: str) -> int:
    return 0 if value.strip() == "0" else _positive(value)


def _email(value: str) -> str:
    if "@" not in value or value != value.strip():
        raise argparse.ArgumentTypeError(f"{value!r} is not an email address")
    return value.lower()


def _role_name(value: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a plain role name (lower-case letters, digits, underscores)"
        )
    return value


# What `bizgraph import` and `export` handle (domain.exchange.kinds.KINDS, in its order).
KIND_NAMES = (
    "employees",
    "customers",
    "contacts",
    "suppliers",
    "stock_items",
    "price_lists",
    "price_rules",
    "opening_stock",
    "sales_orders",
    "sales_order_lines",
    "deliveries",
    "invoices",
    "payments",
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bizgraph",
        description="One GraphQL API over your CRM and ERP data.",
        epilog="Configuration comes from environment variables; see README.md.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    dev = commands.add_parser(
        "dev",
        help="run everything locally: servers, migrations, demo data, API, worker",
        description="Start embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL are set, "
        "migrate, seed demo data into an empty database, then serve the API with GraphiQL "
        "and run the worker. Ctrl-C stops everything.",
    )
    dev.add_argument("--host", default=None, help="interface to listen on (default 127.0.0.1)")
    dev.add_argument("--port", type=_positive, default=None, help="port (default 8000)")
    dev.add_argument(
        "--customers", type=_positive, default=2000, help="demo size if seeding (default 2000)"
    )
    dev.add_argument("--no-worker", action="store_true", help="do not run the worker")
    dev.add_argument("--no-browser", action="store_true", help="do not open GraphiQL")

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--revision", default="head", help="target revision (default head)")

    seed = commands.add_parser(
        "seed",
        help="load deterministic demo data",
        description="Load demo data (COPY, fast) into the database. The history ends at "
        "midnight UTC starting today; the same --seed on the same day gives the same data. "
        "Refuses to seed a database that already holds customers unless --reset.",
    )
    seed.add_argument("--customers", type=_positive, default=2000, help="customers (default 2000)")
    seed.add_argument("--seed", type=_non_negative, default=42, help="random seed (default 42)")
    seed.add_argument("--years", type=_positive, default=2, help="years of history (default 2)")
    seed.add_argument("--reset", action="store_true", help="empty the database first")

    serve = commands.add_parser("serve", help="serve the GraphQL API")
    serve.add_argument("--host", default=None, help="interface (default BIZGRAPH_HOST)")
    serve.add_argument("--port", type=_positive, default=None, help="port (default BIZGRAPH_PORT)")
    serve.add_argument("--workers", type=_positive, default=1, help="processes (default 1)")

    worker = commands.add_parser("worker", help="run the background worker")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.add_argument(
        "--check", action="store_true", help="health check: exit 0 if a worker is alive"
    )

    recompute = commands.add_parser(
        "recompute",
        help="recompute analytics and forecasts now",
        description="Run analytics steps now in this process, each recorded as a run: "
        "metrics (customer metrics, RFM), customers (BG/NBD + Gamma-Gamma forecasts), "
        "campaigns (campaign results), revenue (revenue forecasts chosen by backtest), "
        "demand (demand forecasts and reorder suggestions).",
    )
    recompute.add_argument(
        "--what",
        action="append",
        choices=["metrics", "customers", "campaigns", "revenue", "demand", "all"],
        help="what to recompute (repeatable; default all)",
    )
    recompute.add_argument(
        "--as-of",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="compute as of the start of this day (UTC): every step uses the history "
        "before it only (default: today)",
    )

    token = commands.add_parser(
        "token",
        help="mint a development access token",
        description="Print an HS256 token signed with BIZGRAPH_JWT_SECRET (in dev, the secret "
        "generated under BIZGRAPH_DATA_DIR). Send it as `Authorization: Bearer <token>`.",
    )
    token.add_argument("--employee", required=True, type=_email, help="the employee's email")
    token.add_argument(
        "--role", action="append", required=True, choices=ROLES, help="a role (repeatable)"
    )
    token.add_argument("--ttl", type=_positive, default=3600 * 8, help="seconds (default 8h)")

    imports = commands.add_parser(
        "import",
        help="import records from another system (CSV or JSON Lines)",
        description="Check every record of FILE, report every problem (line, column, value, "
        "message), then upsert all records by their external_id in one transaction: a file "
        "with problems writes nothing unless --skip-invalid. Importing the same file again "
        "changes nothing. See docs/IMPORT.md.",
    )
    imports.add_argument("kind", choices=KIND_NAMES, help="what FILE holds")
    imports.add_argument("file", help="the file (.csv with a header line, or .jsonl)")
    imports.add_argument(
        "--source",
        default="import",
        help="the system the records come from; external ids are unique within it "
        "(default: import)",
    )
    imports.add_argument(
        "--format", choices=["csv", "jsonl"], default=None, help="default: by extension"
    )
    imports.add_argument(
        "--encoding", default="utf-8", help="the file's text encoding (default utf-8)"
    )
    imports.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    imports.add_argument(
        "--bulk",
        action="store_true",
        help="rebuild the tables' indexes after writing instead of row by row: for a large "
        "first load while nobody else uses the tables (it holds them until it is done)",
    )
    imports.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the sound records and leave out the lines with problems (see --report)",
    )
    imports.add_argument(
        "--report",
        default=None,
        help="write every problem to this CSV file (line, column, value, message)",
    )

    export = commands.add_parser(
        "export",
        help="export records in the form `bizgraph import` reads",
        description="Write every record of KIND (archived ones left out) with the import's "
        "columns, by external id: a record imported from --source keeps its id there, one "
        "made in bizgraph shows its own key. See docs/IMPORT.md.",
    )
    export.add_argument("kind", choices=KIND_NAMES, help="what to export")
    export.add_argument("--source", default=None, help="only the records imported from this system")
    export.add_argument("--format", choices=["csv", "jsonl"], default="csv", help="default csv")
    export.add_argument("--output", default=None, help="file to write (default: standard output)")

    rates = commands.add_parser(
        "rates",
        help="exchange rates (EUR per unit of a foreign currency)",
        description="Record exchange rates from a file, e.g. a central bank's daily rates.",
    )
    rate_commands = rates.add_subparsers(dest="rates_command", required=True, parser_class=_Parser)
    rates_load = rate_commands.add_parser(
        "load",
        help="record the rates of a CSV file",
        description="Record every rate of FILE (a header line naming currency,date,rate; "
        "dates as YYYY-MM-DD; rates in EUR per unit, at most 8 decimals). A rate replaces "
        "the one of the same currency and day. Every line is checked first: a file with any "
        "problem writes nothing.",
    )
    rates_load.add_argument("file", help="the CSV file")

    books = commands.add_parser(
        "books",
        help="the general ledger",
        description="Checks on the books kept in the database (docs/FINANCE.md).",
    )
    book_commands = books.add_subparsers(dest="books_command", required=True, parser_class=_Parser)
    book_commands.add_parser(
        "check",
        help="do the books agree with the operations?",
        description="Run the reconciliation checks (every entry balances; inventory, "
        "receivables, refunds due and payables agree with stock, invoices, credit notes and "
        "bills; the trial balance sums to zero) and print how many records disagree with "
        "each. Exits 1 when any does.",
    )

    operations = commands.add_parser(
        "operations",
        help="register a client's GraphQL operations (persisted queries, safelist)",
    )
    operation_commands = operations.add_subparsers(
        dest="operations_command", required=True, parser_class=_Parser
    )
    register = operation_commands.add_parser(
        "register",
        help="register every operation in a directory's .graphql files",
        description="Read every .graphql file under DIR (a client build's documents), check "
        "each operation against the schema, and register it with the fragments it uses. "
        "Registered operations run in safelist mode (BIZGRAPH_SAFELIST=on) and may be sent "
        "by hash alone. Writes a manifest (Apollo's persisted query manifest format) with "
        "each operation's id (its SHA-256) and exact text, for the client to ship.",
    )
    register.add_argument("directory", type=Path, metavar="DIR", help="where the documents are")
    register.add_argument(
        "--client", default=None, help="the client build, as recorded (default: DIR's name)"
    )
    register.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="where to write the manifest (default DIR/persisted-query-manifest.json)",
    )

    bi_role = commands.add_parser(
        "bi-role",
        help="create/update the read-only BI login role",
        description="Create or update a login role that may read the `bi` views and nothing "
        "else. Rerun it after upgrading: it re-grants every view.",
    )
    bi_role.add_argument(
        "--password", required=True, help="the role's password, or - to read it from stdin"
    )
    bi_role.add_argument(
        "--name",
        default=None,
        type=_role_name,
        help="role name (default bizgraph_bi_<database>: roles are shared by the whole server)",
    )
    bi_role.add_argument(
        "--connection-limit",
        type=_positive,
        default=5,
        help="sessions the role may hold at once (default 5)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `bizgraph` console script."""
    args = build_parser().parse_args(argv)
    handler = _handler(args.command)
    try:
        settings = get_settings()
        handler(args, settings)
    except KeyboardInterrupt:
        sys.exit(130)
    except CliError as error:
        sys.exit(f"bizgraph: error: {error}")
    except Exception as error:
        if os.environ.get("BIZGRAPH_DEBUG"):
            raise
        sys.exit(f"bizgraph: error: {_describe(error)}")


def _describe(error: BaseException) -> str:
    # The commands import what they run (migrations, the app): loaded only when needed, so
    # `bizgraph --help` answers at once.
    from api.commands import describe_error

    return describe_error(error)


def _handler(command: str) -> Callable[[argparse.Namespace, Settings], None]:
    from api import commands

    # `import` is a Python keyword: its handler is `import_records`.
    name = "import_records" if command == "import" else command.replace("-", "_")
    return getattr(commands, name)


if __name__ == "__main__":
    main()
