"""What a webhook request carries: its JSON body, built from an outbox event, and the
signature that proves it came from us, unchanged.

The signature follows Stripe's scheme: `Bizgraph-Signature: t=<unix seconds>,v1=<hex>`,
where the hex is HMAC-SHA256 of `<t>.<body>` under the endpoint's secret. While a rotated
secret is still valid, a second `v1=` is made with it, so a receiver holding either secret
accepts the request. The timestamp lets a receiver refuse replays of old requests.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from domain.core.permissions import RESTRICTED_FIELDS
from domain.integrations.events import public_type, shown_changes

SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "Bizgraph-Signature"
TOLERANCE_S = 300
# Fields never shown to a receiving system even though no role rule closes them: an
# endpoint's URL may hold a token of its receiver, which other endpoints must not learn.
_WEBHOOK_CLOSED = frozenset({("WebhookEndpoint", "url")})


def new_secret() -> str:
    """A fresh signing secret (shown once, to the admin who made or rotated it)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def global_id(type_name: str, key: int) -> str:
    """The Relay global ID of a record, as the API shows it (base64 of `Type:id`)."""
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def _may_read(type_name: str, field: str) -> bool:
    # A receiving system holds no roles: every restricted field is shown as changed.
    key = (type_name, field)
    return key not in RESTRICTED_FIELDS and key not in _WEBHOOK_CLOSED


def body(
    *,
    event_id: int,
    topic: str,
    created_at: datetime,
    aggregate_type: str,
    aggregate_id: int,
    customer_id: int | None,
    changes: Mapping[str, Any],
) -> bytes:
    """The JSON body of the event's request, exactly the bytes that are signed and sent."""
    type_name = public_type(aggregate_type)
    document = {
        "id": str(event_id),
        "type": topic,
        "createdAt": created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": {
            "type": type_name,
            "id": global_id(type_name, aggregate_id),
            "customerId": None if customer_id is None else global_id("Customer", customer_id),
            "changes": shown_changes(aggregate_type, changes, _may_read),
        },
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(secret: str, timestamp: int, payload: bytes) -> str:
    message = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secrets_in_use: Iterable[str], payload: bytes, timestamp: int | None = None) -> str:
    """The signature header's value: one `v1=` per secret (current first)."""
    t = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={t}", *(f"v1={_digest(s, t, payload)}" for s in secrets_in_use)])


def verify(
    secret: str,
    header: str,
    payload: bytes,
    tolerance: int = TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """Whether `header` signs `payload` with `secret`, made at most `tolerance` seconds ago."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, payload)
    return any(hmac.compare_digest(expected, given) for given in signatures)
