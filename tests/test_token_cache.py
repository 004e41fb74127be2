"""A verified token is remembered briefly: still refused once it expires, and no longer than a
minute, so a withdrawn key stops being honoured."""

import time

import pytest

from api.security.settings import SecuritySettings
from api.security.tokens import VERIFIED_KEPT_S, AuthError, TokenVerifier, mint

SECRET = "a-test-only-secret-of-at-least-32-bytes"
LEEWAY_S = 30


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _verifier(clock: Clock) -> TokenVerifier:
    settings = SecuritySettings(BIZGRAPH_JWT_SECRET=SECRET, BIZGRAPH_JWT_LEEWAY_S=LEEWAY_S)
    return TokenVerifier(settings, secret=SECRET, clock=clock)


def _token(ttl: int) -> str:
    return mint(
        SECRET,
        email="ada@example.com",
        roles=["admin"],
        ttl_seconds=ttl,
        issuer="bizgraph",
        audience="bizgraph-api",
    )


async def test_a_remembered_token_is_refused_once_it_expires() -> None:
    clock = Clock()
    verifier = _verifier(clock)
    token = _token(ttl=20)
    claims = await verifier.verify(token)
    assert claims.email == "ada@example.com"
    clock.now += 20 + LEEWAY_S - 1
    assert await verifier.verify(token) == claims  # within the leeway, as PyJWT allows
    clock.now += 2
    with pytest.raises(AuthError, match="expired"):
        await verifier.verify(token)


async def test_a_verified_token_is_checked_anew_after_a_minute() -> None:
    clock = Clock()
    verifier = _verifier(clock)
    token = _token(ttl=3600)
    await verifier.verify(token)
    verifier.secret = "another-secret-of-at-least-thirty-two-bytes"  # the key was withdrawn
    await verifier.verify(token)  # remembered
    clock.now += VERIFIED_KEPT_S
    with pytest.raises(AuthError, match="signature"):
        await verifier.verify(token)
