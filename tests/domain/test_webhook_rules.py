"""Webhook rules in plain Python: the retry schedule, signatures as a receiver checks them,
event type filters and the catalogue they are checked against."""

import ast
import base64
import hashlib
import hmac
import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.core.errors import Problems
from domain.integrations import schedule, signing
from domain.integrations.endpoints import checked_url
from domain.integrations.webhooks import EVENT_TYPES, checked_filters, matches

ROOT = Path(__file__).resolve().parents[2]
TOPIC = re.compile(r"[a-z_]+\.[a-z_]+")


def test_retries_back_off_with_jitter_and_give_up_after_about_a_day() -> None:
    rng = random.Random(7)
    waits = [schedule.retry_delay(n, rng) for n in range(1, schedule.MAX_ATTEMPTS)]
    assert all(w is not None for w in waits)
    for n, wait in enumerate(waits, start=1):
        step = schedule.retry_step_s(n)
        assert wait is not None and step / 2 <= wait.total_seconds() <= step
    assert schedule.retry_step_s(1) == 30 and schedule.retry_step_s(2) == 60
    assert schedule.retry_step_s(20) == schedule.LONGEST_RETRY_S
    assert schedule.retry_delay(schedule.MAX_ATTEMPTS, rng) is None
    shortest, longest = schedule.schedule_span()
    assert timedelta(hours=16) <= shortest and longest <= timedelta(hours=33)
    # Two deliveries that failed together come back apart.
    assert len({schedule.retry_delay(3, rng) for _ in range(20)}) > 1


def _receiver_accepts(secret: str, header: str, body: bytes, now: float) -> bool:
    """A receiver's check, written from the documentation alone."""
    fields = [part.split("=", 1) for part in header.split(",")]
    timestamp = next(value for key, value in fields if key == "t")
    if abs(now - int(timestamp)) > 300:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return any(
        hmac.compare_digest(expected.hexdigest(), value) for key, value in fields if key == "v1"
    )


def test_a_signature_verifies_as_a_receiver_checks_it_and_fails_when_anything_changed() -> None:
    secret, body, now = signing.new_secret(), b'{"id":"1"}', 1_800_000_000
    header = signing.sign([secret], body, now)
    assert secret.startswith("whsec_") and len(secret) > 40
    assert _receiver_accepts(secret, header, body, now)
    assert signing.verify(secret, header, body, now=now)
    assert not signing.verify(secret, header, body + b" ", now=now)
    assert not signing.verify(signing.new_secret(), header, body, now=now)
    assert not signing.verify(secret, header, body, now=now + 301)  # too old: a replay
    assert not signing.verify(secret, "v1=abc", body, now=now)


def test_during_a_rotation_both_secrets_sign() -> None:
    new, old, body, now = signing.new_secret(), signing.new_secret(), b"{}", 1_800_000_000
    header = signing.sign([new, old], body, now)
    assert header.count("v1=") == 2
    assert _receiver_accepts(new, header, body, now) and _receiver_accepts(old, header, body, now)
    assert signing.verify(old, header, body, now=now)


def test_the_body_names_the_record_by_global_id_and_hides_closed_fields() -> None:
    body = signing.body(
        event_id=42,
        topic="customer.updated",
        created_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        aggregate_type="customer",
        aggregate_id=7,
        customer_id=7,
        changes={"credit_limit": {"from": "100", "to": "200"}, "name": {"from": "A", "to": "B"}},
    )
    document = json.loads(body)
    assert document["id"] == "42" and document["type"] == "customer.updated"
    assert document["createdAt"] == "2026-12-01T10:00:00Z"
    assert base64.b64decode(document["data"]["id"]) == b"Customer:7"
    assert document["data"]["customerId"] == document["data"]["id"]
    assert document["data"]["changes"] == {
        "creditLimit": "changed",
        "name": {"from": "A", "to": "B"},
    }


def test_filters_are_exact_types_or_wildcards_of_an_entity() -> None:
    assert matches([], "sales_order.placed")
    assert matches(["sales_order.placed"], "sales_order.placed")
    assert not matches(["sales_order.placed"], "sales_order.cancelled")
    assert matches(["sales_order.*"], "sales_order.cancelled")
    assert not matches(["sales_order.*"], "sales_return.received")


def test_filters_outside_the_catalogue_are_refused() -> None:
    problems = Problems()
    kept = checked_filters(
        problems, "eventTypes", [" invoice.issued", "invoice.*", "invoice.issued", "nope", "x.*"]
    )
    assert kept == ["invoice.issued", "invoice.*"]
    assert [e.field for e in problems.errors] == ["eventTypes.3", "eventTypes.4"]


@pytest.mark.parametrize(
    ("url", "https_only", "problem"),
    [
        ("https://hooks.example.com/in", True, None),
        ("http://127.0.0.1:8080/in", False, None),
        ("http://hooks.example.com/in", True, "must start with https://"),
        ("ftp://hooks.example.com/in", False, "must start with"),
        ("https://user:pass@hooks.example.com/", False, "credentials"),
        ("https:///path", False, "host"),
        ("https://host:port/", False, "valid URL"),
        ("", False, "empty"),
    ],
)
def test_urls_are_http_or_https_with_a_host_and_no_credentials(
    url: str, https_only: bool, problem: str | None
) -> None:
    problems = Problems()
    checked_url(problems, url, https_only=https_only)
    messages = [e.message for e in problems.errors]
    assert (not messages) if problem is None else (problem in messages[0])


def _recorded_topics() -> set[str]:
    """Every topic the domain writes with a fixed name (built ones are enumerated by hand)."""
    found = set()
    for path in (ROOT / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                if name in ("record", "moved", "_touch"):
                    found |= {
                        a.value
                        for a in node.args
                        if isinstance(a, ast.Constant)
                        and isinstance(a.value, str)
                        and TOPIC.fullmatch(a.value)
                    }
    return found


def test_the_catalogue_holds_every_topic_the_domain_records() -> None:
    recorded = _recorded_topics()
    assert len(recorded) > 50
    assert recorded <= set(EVENT_TYPES), sorted(recorded - set(EVENT_TYPES))


def test_the_documentation_lists_every_event_type() -> None:
    document = (ROOT / "docs" / "INTEGRATIONS.md").read_text()
    missing = [topic for topic in EVENT_TYPES if f"`{topic}`" not in document]
    assert not missing, missing


def test_the_documented_python_check_accepts_our_signatures_and_nothing_else() -> None:
    document = (ROOT / "docs" / "INTEGRATIONS.md").read_text()
    [snippet] = re.findall(r"```python\n(.*?)```", document, re.DOTALL)
    namespace: dict[str, object] = {}
    exec(snippet, namespace)  # the receiver's code, as a reader copies it
    verify = namespace["verify"]
    assert callable(verify)
    new, old, body = signing.new_secret(), signing.new_secret(), b'{"id":"7"}'
    header = signing.sign([new, old], body)
    assert verify(new, header, body) and verify(old, header, body)
    assert not verify(signing.new_secret(), header, body)
    assert not verify(new, header, body + b"\n")
    assert not verify(new, signing.sign([new], body, 1_000_000_000), body)
