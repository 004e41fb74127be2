"""Opaque cursors: the position of a row in a keyset page, encrypted and authenticated.

A cursor holds its connection, its ordering and the row's sort key — which may be a value
the client may page by but not read (a customer's revenue, an item's days of cover). In
base64 JSON anyone could read that key, and forge one to binary-search a value through
`after`. Here the payload is sealed with AES-SIV (RFC 5297): nothing of it is readable, and
a cursor altered by one bit, made by hand or made with another key does not open.

AES-SIV rather than AES-GCM: it is deterministic, so there is no nonce to draw per cursor,
none that could repeat across processes or over billions of cursors (a repeated GCM nonce
gives away the authentication key). Being deterministic only shows that two cursors are the
same position of the same list, which the client knows anyway.

The key is derived from a secret the composition root hands over at start-up (`configure`),
so every API process opens every other's cursors. Until then (scripts, tests building the
schema themselves) a random key of this process is used.
"""

import base64
import binascii
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_KEY_BYTES = 64  # AES-SIV with AES-256: two 256-bit keys
_PURPOSE = b"bizgraph cursors v1"  # domain separation from other uses of the same secret
_MAX_CURSOR = 1024  # a real cursor is about a hundred characters


class InvalidCursor(ValueError):
    """A cursor that does not open: made by hand, altered, or sealed with another key."""


def derive_key(secret: bytes) -> bytes:
    """The cursor key of a secret (HKDF-SHA256, its own purpose: never the secret itself)."""
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=_PURPOSE).derive(
        secret
    )


class CursorSeal:
    """Seals and opens cursor payloads with one key."""

    def __init__(self, key: bytes) -> None:
        self._cipher = AESSIV(key)

    def seal(self, payload: list[Any]) -> str:
        plain = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(self._cipher.encrypt(plain, None)).rstrip(b"=").decode()

    def open(self, cursor: str) -> list[Any]:
        if len(cursor) > _MAX_CURSOR:
            raise InvalidCursor("too long")
        try:
            sealed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = json.loads(self._cipher.decrypt(sealed, None))
        except (InvalidTag, binascii.Error, ValueError, UnicodeError) as error:
            raise InvalidCursor(str(error) or "does not open") from error
        if not isinstance(payload, list):
            raise InvalidCursor("not a cursor payload")
        return payload


_seal: CursorSeal | None = None


def configure(secret: bytes) -> None:
    """Use the key derived from `secret` from now on (called once by the API at start-up)."""
    global _seal
    _seal = CursorSeal(derive_key(secret))


def current() -> CursorSeal:
    """The configured seal, or a random key of this process when none was configured."""
    global _seal
    if _seal is None:
        _seal = CursorSeal(derive_key(secrets.token_bytes(32)))
    return _seal
