"""Reading an import file one record at a time: CSV with a header line, or JSON Lines.

Files come from other systems as they are: a byte order mark and Windows line ends are
read as if absent; empty CSV cells and JSON nulls are missing values. What cannot be read is
a problem of its line — bytes that are not UTF-8 (a Latin-1 export, say: convert it, or name
its encoding), a CSV line with more or fewer cells than the header names (a truncated last
line), a JSON line that is not an object — and reading goes on, so one run reports them all.
Nothing is held but the current record: a file of any size reads in flat memory.
"""

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class Problem:
    """Why a value (or a whole line, `column` None) cannot be imported."""

    line: int
    column: str | None
    value: str | None
    message: str


@dataclass(frozen=True)
class Record:
    line: int
    values: dict[str, Any]


def format_of(path: Path, given: str | None = None) -> str:
    """The format a file is in: as given, else by its extension (.csv, .jsonl/.ndjson)."""
    if given is not None:
        return given
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise ValueError(f"cannot tell the format of {path.name}: name it (csv or jsonl)")


def records(path: Path, file_format: str, encoding: str = "utf-8") -> Iterator[Record | Problem]:
    """The file's records, and a problem for each line that cannot be read."""
    if file_format == "csv":
        yield from _csv_records(path, encoding)
    else:
        yield from _json_records(path, encoding)


def _csv_records(path: Path, encoding: str) -> Iterator[Record | Problem]:
    # utf-8-sig drops a byte order mark; newline="" lets csv read \r\n inside and between rows;
    # surrogateescape keeps undecodable bytes, so their line is reported instead of the file.
    with path.open(encoding=_sig(encoding), errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = [name.strip().lower() for name in next(reader)]
        except StopIteration:
            return
        except csv.Error as error:
            yield Problem(1, None, None, f"the header cannot be read: {error}")
            return
        line = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield Problem(reader.line_num, None, None, f"not a CSV line: {error}")
                continue
            line, start = reader.line_num, line + 1
            if not any(cell.strip() for cell in row):
                continue  # blank lines between records
            if len(row) != len(header):
                yield Problem(
                    start,
                    None,
                    None,
                    f"{len(row)} values where the header names {len(header)} "
                    "(a cut-off or merged line?)",
                )
                continue
            if not all(map(str.isascii, row)):  # most lines are ASCII: one C pass each
                bad = next((cell for cell in row if _undecoded(cell)), None)
                if bad is not None:
                    yield _not_text(start, bad, encoding)
                    continue
            yield Record(
                start, {name: cell or None for name, cell in zip(header, row, strict=True)}
            )


def _json_records(path: Path, encoding: str) -> Iterator[Record | Problem]:
    with path.open(encoding=_sig(encoding), errors="surrogateescape", newline=None) as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            if _undecoded(text):
                yield _not_text(number, text.strip(), encoding)
                continue
            try:
                value = json.loads(text, parse_float=Decimal)
            except json.JSONDecodeError as error:
                yield Problem(number, None, None, f"not a JSON line ({error.msg}; cut off?)")
                continue
            if not isinstance(value, dict):
                yield Problem(number, None, None, "not a JSON object")
                continue
            yield Record(number, {str(key).lower(): item for key, item in value.items()})


def _sig(encoding: str) -> str:
    return "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding


# Bytes the encoding could not decode, kept by `surrogateescape` as lone surrogates.
_UNDECODED = re.compile("[\udc80-\udcff]")


def _undecoded(text: str) -> bool:
    # Most cells are ASCII: that answer costs one C call, not a look at every character.
    return not text.isascii() and _UNDECODED.search(text) is not None


def _not_text(line: int, text: str, encoding: str) -> Problem:
    shown = text.encode("utf-8", errors="surrogateescape").decode("latin-1")[:80]
    return Problem(
        line,
        None,
        shown,
        f"not {encoding} text (a Latin-1 or Windows export? convert it, or pass --encoding)",
    )
