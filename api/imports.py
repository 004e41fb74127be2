"""`bizgraph import` and `bizgraph export` (`domain.exchange`): the import with a progress bar,
a report file and a summary a person can read; the export to a file or standard output."""

import argparse
import asyncio
import csv
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from api.cli_errors import CliError
from domain.core.errors import Problems
from domain.exchange import exporting
from domain.exchange.importing import Summary, checked_source, run, steps_fed
from domain.exchange.kinds import KINDS
from domain.exchange.reading import Problem, format_of

REPORT_HEADER = ("line", "column", "value", "message")


def run_import(database_url: str, args: argparse.Namespace) -> None:
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    problems = Problems()
    checked_source(problems, args.source)
    if problems.errors:
        raise CliError(f"--source {problems.errors[0].message}")
    try:
        file_format = format_of(path, args.format)
    except ValueError as error:
        raise CliError(str(error)) from error
    with ExitStack() as stack:
        writer: Any = None
        if args.report:
            report = stack.enter_context(Path(args.report).open("w", encoding="utf-8", newline=""))
            writer = csv.writer(report)
            writer.writerow(REPORT_HEADER)
        bar = stack.enter_context(_bar(path))
        try:
            summary = asyncio.run(
                run(
                    database_url,
                    KINDS[args.kind],
                    path,
                    file_format=file_format,
                    source=args.source,
                    encoding=args.encoding,
                    dry_run=args.dry_run,
                    skip_invalid=args.skip_invalid,
                    bulk=args.bulk,
                    write_problem=(lambda p: writer.writerow(_row(p))) if writer else None,
                    on_progress=lambda read: bar.update(read - bar.n),
                )
            )
        except LookupError as error:  # an encoding Python does not know
            raise CliError(str(error)) from error
    print(describe(summary, args.report))
    if summary.problems and not summary.written and not args.dry_run:
        raise CliError("nothing was imported: fix the file, or pass --skip-invalid")
    if summary.problems and args.dry_run:
        sys.exit(1)


def _bar(path: Path) -> Any:
    from tqdm import tqdm

    return tqdm(desc=f"{path.name:<30}", unit=" records", disable=not sys.stderr.isatty())


def _row(problem: Problem) -> tuple[Any, ...]:
    return (problem.line, problem.column or "", problem.value or "", problem.message)


def describe(summary: Summary, report: str | None) -> str:
    """What happened, in a few lines."""
    lines = [f"{summary.kind} from {summary.source}: {summary.read:,} records read"]
    if summary.written:
        lines.append(
            f"  {summary.inserted:,} new, {summary.updated:,} changed, "
            f"{summary.unchanged:,} unchanged"
            + (f", {summary.invalid_lines:,} lines left out" if summary.invalid_lines else "")
        )
    elif summary.dry_run:
        lines.append("  dry run: nothing was written")
    if summary.problems:
        lines.append(f"  {summary.problems:,} problems on {summary.invalid_lines:,} lines:")
        for problem in summary.first_problems:
            where = f"line {problem.line}" + (f", {problem.column}" if problem.column else "")
            value = f" ({problem.value!r})" if problem.value is not None else ""
            lines.append(f"    {where}{value}: {problem.message}")
        if summary.problems > len(summary.first_problems):
            more = summary.problems - len(summary.first_problems)
            lines.append(f"    … {more:,} more" + (f" in {report}" if report else " (--report)"))
    steps = steps_fed(
        summary.kind, written=summary.written, changed=summary.inserted + summary.updated
    )
    if steps:
        # An import sends no events: the figures these records feed wait for a recompute.
        what = " ".join(f"--what {step}" for step in steps)
        lines.append(f"  to bring figures up to date: bizgraph recompute {what}")
    return "\n".join(lines)


def run_export(database_url: str, args: argparse.Namespace) -> None:
    kind = KINDS[args.kind]
    with ExitStack() as stack:
        out = (
            stack.enter_context(Path(args.output).open("w", encoding="utf-8", newline=""))
            if args.output
            else sys.stdout
        )
        count = asyncio.run(
            exporting.export(database_url, kind, out, file_format=args.format, source=args.source)
        )
    if args.output:
        print(f"{count:,} {kind.name} written to {args.output}")
