"""Logging: one JSON object per line in prod, one readable line in dev.

Every record carries the id of the request it was logged in (a filter reads it from the
request's context), so the request line, a masked error's stack trace and anything else
logged while serving it can be joined on `request_id`. uvicorn applies the same
configuration in each of its worker processes (`log_config`), and the worker command
applies it too.
"""

import logging
import re
from datetime import UTC, datetime
from typing import Any

import orjson

from api.settings import Settings
from domain.core.telemetry import current_request

# Attributes every LogRecord has; anything else on a record was passed as `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured duplicate of the message
    "request_id",
}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD and not key.startswith("_") and value is not None
    }


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request's id (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            stats = current_request.get()
            record.request_id = stats.request_id if stats is not None else None
        return True


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "request_id", ...extras, "exception"}` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """`12:00:01.234 INFO  bizgraph.request [id] message key=value …` for people."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        request_id = getattr(record, "request_id", None)
        tag = f" [{request_id}]" if request_id else ""
        fields = "".join(f" {key}={value}" for key, value in _extras(record).items())
        line = f"{moment} {record.levelname:<5} {record.name}{tag} {record.getMessage()}{fields}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


# The worker's housekeeping runs every second or so: arq's lines for each run would bury
# everything else. Their failures still show (arq logs those at WARNING and above).
# arq's lines for a job starting (→) and ending (←).
HOUSEKEEPING = re.compile(r"[→←] cron:(relay_outbox|deliver_webhooks)\b")


class QuietHousekeeping(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO or not HOUSEKEEPING.search(record.getMessage())


def logging_config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary for the API and the worker."""
    formatter = JsonFormatter if settings.is_prod else TextFormatter
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "housekeeping": {"()": QuietHousekeeping},
        },
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # Errors are logged once, by api.errors, with the request id and masked status.
            "strawberry.execution": {"level": "CRITICAL"},
            "uvicorn": {"level": level},
            "uvicorn.access": {"level": "WARNING"},
            "alembic": {"level": "WARNING"},  # reading the migrations' heads is not news
            "arq.worker": {"filters": ["housekeeping"]},
        },
    }


def configure_logging(settings: Settings) -> None:
    import logging.config

    logging.config.dictConfig(logging_config(settings))
