"""RS256 tokens from an identity provider, verified against its JWKS served over real HTTP."""

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from api.app import create_app
from api.security.tokens import AuthError, TokenVerifier
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import Tokens

ISSUER = "https://login.example.com/realms/bizgraph"
AUDIENCE = "bizgraph"


@dataclass
class IdentityProvider:
    """Signs tokens with its RSA keys and publishes the public halves at `url`."""

    url: str = ""
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    requests: int = 0

    def add_key(self, kid: str) -> rsa.RSAPrivateKey:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**public, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def token(self, kid: str, key: rsa.RSAPrivateKey | None = None, **changes: Any) -> str:
        now = int(time.time())
        claims = {
            "sub": "7f7c1a3e-0000-4000-8000-000000000001",
            "email": "someone@bizgraph.example",
            "realm_access": {"roles": ["sales_manager", "offline_access"]},
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 300,
            **changes,
        }
        return jwt.encode(claims, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def provider() -> Iterator[IdentityProvider]:
    idp = IdentityProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            idp.requests += 1
            body = json.dumps(idp.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    idp.url = f"http://127.0.0.1:{server.server_address[1]}/protocol/openid-connect/certs"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _settings(url: str, tmp_path: Path, **more: Any) -> Settings:
    return Settings(
        BIZGRAPH_JWT_JWKS_URL=url,
        BIZGRAPH_JWT_ISSUER=ISSUER,
        BIZGRAPH_JWT_AUDIENCE=AUDIENCE,
        BIZGRAPH_JWT_EMAIL_CLAIM="email",
        BIZGRAPH_JWT_ROLES_CLAIM="realm_access.roles",
        BIZGRAPH_DATA_DIR=str(tmp_path),
        **more,
    )


async def test_provider_tokens_are_verified_with_the_published_key(
    provider: IdentityProvider, tmp_path: Path
) -> None:
    provider.add_key("2026-11")
    verifier = TokenVerifier(_settings(provider.url, tmp_path), secret=None)
    claims = await verifier.verify(provider.token("2026-11"))
    assert claims.email == "someone@bizgraph.example"
    assert claims.roles == {"sales_manager", "offline_access"}


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"exp": int(time.time()) - 3600}, "has expired"),
        ({"iss": "https://login.example.com/realms/other"}, "issuer this API does not trust"),
        ({"aud": "account"}, "another audience"),
    ],
    ids=["expired", "wrong-issuer", "wrong-audience"],
)
async def test_provider_tokens_with_bad_claims_are_refused(
    provider: IdentityProvider, tmp_path: Path, changes: dict, fragment: str
) -> None:
    provider.add_key("k1")
    verifier = TokenVerifier(_settings(provider.url, tmp_path), secret=None)
    with pytest.raises(AuthError, match=fragment):
        await verifier.verify(provider.token("k1", **changes))


async def test_a_token_signed_by_another_key_is_refused(
    provider: IdentityProvider, tmp_path: Path
) -> None:
    provider.add_key("k1")
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = TokenVerifier(_settings(provider.url, tmp_path), secret=None)
    with pytest.raises(AuthError, match="signature is invalid"):
        await verifier.verify(provider.token("k1", key=impostor))


async def test_unknown_key_ids_do_not_hammer_the_provider(
    provider: IdentityProvider, tmp_path: Path
) -> None:
    provider.add_key("k1")
    verifier = TokenVerifier(_settings(provider.url, tmp_path), secret=None)
    await verifier.verify(provider.token("k1"))
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for attempt in range(5):
        with pytest.raises(AuthError, match="unknown key"):
            await verifier.verify(provider.token(f"forged-{attempt}", key=impostor))
    assert provider.requests == 1


async def test_the_public_key_cannot_be_used_as_an_hmac_secret(
    provider: IdentityProvider, tmp_path: Path
) -> None:
    key = provider.add_key("k1")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {"email": "a@b.c", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 60}
    # PyJWT refuses to sign with a PEM as HMAC key, so forge the HS256 signature by hand.
    signing_input = ".".join(
        jwt.utils.base64url_encode(json.dumps(part).encode()).decode()
        for part in ({"alg": "HS256", "typ": "JWT", "kid": "k1"}, claims)
    )
    mac = hmac.digest(public_pem, signing_input.encode(), hashlib.sha256)
    forged = f"{signing_input}.{jwt.utils.base64url_encode(mac).decode()}"
    verifier = TokenVerifier(_settings(provider.url, tmp_path), secret=None)
    with pytest.raises(AuthError, match="'HS256' are not accepted"):
        await verifier.verify(forged)


async def test_an_unreachable_provider_is_a_temporary_failure(tmp_path: Path) -> None:
    unreachable = IdentityProvider(url="http://127.0.0.1:9/certs")
    unreachable.add_key("k1")
    verifier = TokenVerifier(_settings(unreachable.url, tmp_path), secret=None)
    with pytest.raises(AuthError) as refused:
        await verifier.verify(unreachable.token("k1"))
    assert (refused.value.status, refused.value.code) == (503, "SERVICE_UNAVAILABLE")


@pytest.fixture
async def employee(database_url: str) -> AsyncIterator[str]:
    """One employee of our own (this module does not seed the demo company)."""
    email = f"idp-{uuid.uuid4().hex[:8]}@bizgraph.example"
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await connection.execute(
        "INSERT INTO erp.employee (name, email, title, hire_date, salary) "
        "VALUES ('Ida Provider', $1, 'Analyst', '2024-01-01', 1)",
        email,
    )
    try:
        yield email
    finally:
        await connection.execute("DELETE FROM erp.employee WHERE email = $1", email)
        await connection.close()


async def test_the_api_accepts_provider_tokens_end_to_end(
    provider: IdentityProvider, tmp_path: Path, settings: Settings, tokens: Tokens, employee: str
) -> None:
    provider.add_key("k1")
    app = create_app(
        _settings(
            provider.url,
            tmp_path,
            DATABASE_URL=settings.database_url,
            BIZGRAPH_RATE_LIMIT_PER_MINUTE=0,
        )
    )
    transport = httpx.ASGITransport(app=app)
    query = {"query": "{ customers(first: 1) { totalCount } }"}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            accepted = await client.post(
                "/graphql",
                json=query,
                headers={"Authorization": f"Bearer {provider.token('k1', email=employee)}"},
            )
            hs256 = await client.post(
                "/graphql",
                json=query,
                headers={"Authorization": f"Bearer {tokens.mint(employee, 'admin')}"},
            )
    finally:
        await app.state.bizgraph.engine.dispose()
    assert accepted.status_code == 200, accepted.text
    assert "errors" not in accepted.json()
    # This app signs with its own generated dev secret: the test secret's tokens mean nothing.
    assert hs256.status_code == 401
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o777 == 0o600
