"""Sealed cursors: opaque, tamper-proof, shared by every process that has the same secret."""

import base64

import pytest

from api.security.cursor_key import cursor_secret_problem
from api.settings import Settings
from schema.core.cursors import CursorSeal, InvalidCursor, derive_key

PAYLOAD = ["customers", "lifetime_revenue:desc", ["48213.57", 912]]


def test_a_cursor_opens_with_the_key_of_the_same_secret_only() -> None:
    sealed = CursorSeal(derive_key(b"one secret of at least 32 bytes..")).seal(PAYLOAD)
    # Another process configured with the same secret opens it.
    assert CursorSeal(derive_key(b"one secret of at least 32 bytes..")).open(sealed) == PAYLOAD
    with pytest.raises(InvalidCursor):
        CursorSeal(derive_key(b"another secret of at least 32 b..")).open(sealed)


def test_nothing_of_the_payload_is_readable() -> None:
    sealed = CursorSeal(derive_key(b"s" * 32)).seal(PAYLOAD)
    assert "48213" not in sealed and "customers" not in sealed
    raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    assert b"48213" not in raw and b"customers" not in raw


@pytest.mark.parametrize("cursor", ["", "garbage", "A" * 40, "é", "x" * 2000])
def test_anything_else_does_not_open(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        CursorSeal(derive_key(b"s" * 32)).open(cursor)


def test_every_bit_is_authenticated() -> None:
    seal = CursorSeal(derive_key(b"s" * 32))
    sealed = seal.seal(PAYLOAD)
    for index in range(len(sealed)):
        changed = "A" if sealed[index] != "A" else "B"
        altered = sealed[:index] + changed + sealed[index + 1 :]
        with pytest.raises(InvalidCursor):
            seal.open(altered)


def test_prod_needs_a_cursor_secret_when_tokens_come_from_a_jwks_only() -> None:
    jwks_only = Settings(BIZGRAPH_ENV="prod", BIZGRAPH_JWT_JWKS_URL="https://idp.example/certs")
    assert "BIZGRAPH_CURSOR_SECRET" in (cursor_secret_problem(jwks_only) or "")
    configured = jwks_only.model_copy(update={"cursor_secret": "c" * 32})
    assert cursor_secret_problem(configured) is None
    short = jwks_only.model_copy(update={"cursor_secret": "short"})
    assert "at least 32 bytes" in (cursor_secret_problem(short) or "")
    # With an HS256 secret the cursor key is derived from it; dev generates one.
    assert cursor_secret_problem(Settings(BIZGRAPH_ENV="dev")) is None
