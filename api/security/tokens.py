"""Bearer tokens: verify HS256 (a shared secret) and RS256 (an identity provider's JWKS).

The algorithm in a token's header only picks which of the configured keys to try, and each
key is tried with its own algorithm alone, so a token can never make us verify an HS256
signature with a public RSA key (algorithm confusion).
"""

import asyncio
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from api.security.settings import MIN_SECRET_BYTES, SecuritySettings

DEV_SECRET_FILE = "jwt-secret"


@dataclass(frozen=True)
class AuthError(Exception):
    """A request the API refuses before running anything: a GraphQL error with a code."""

    message: str
    code: str = "UNAUTHENTICATED"
    status: int = 401

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Claims:
    """What a verified token says: who the employee is and which roles it grants."""

    email: str
    roles: frozenset[str]
    # When the token stops being valid (seconds since the epoch); None: it does not say.
    expires_at: float | None = None


def configuration_problem(settings: SecuritySettings) -> str | None:
    """Why these settings cannot authenticate anyone safely, or None when they can."""
    if settings.jwt_secret is not None and len(settings.jwt_secret.encode()) < MIN_SECRET_BYTES:
        return f"BIZGRAPH_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
    if settings.env != "prod":
        return None
    if settings.jwt_secret is None and settings.jwt_jwks_url is None:
        return (
            "BIZGRAPH_ENV=prod needs BIZGRAPH_JWT_JWKS_URL (your identity provider's keys) "
            "or BIZGRAPH_JWT_SECRET"
        )
    if settings.jwt_jwks_url is not None and not settings.jwt_jwks_url.startswith("https://"):
        return "BIZGRAPH_JWT_JWKS_URL must be an https:// URL in prod"
    return None


def hs256_secret(settings: SecuritySettings, data_dir: Path) -> str | None:
    """The HS256 secret: the configured one, or in `dev` one generated once under `data_dir`."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret
    if settings.env == "prod":
        return None
    path = data_dir / DEV_SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several API processes start at once, exactly one writes the secret.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def mint(
    secret: str,
    *,
    email: str,
    roles: Sequence[str],
    ttl_seconds: int,
    issuer: str,
    audience: str,
    now: float | None = None,
) -> str:
    """An HS256 token for `email` with `roles`, valid for `ttl_seconds`."""
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": email,
        "roles": list(roles),
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


# A verified token is remembered this long (and no longer than it is valid): a client sends
# the same token with every request, and checking its signature and claims each time cost
# more than the rest of a compiled read's Python path. Bounded, so a key the identity provider
# withdraws stops being honoured within this time.
VERIFIED_KEPT_S = 60.0
VERIFIED_TOKENS = 4096


@dataclass(frozen=True)
class _Verified:
    claims: "Claims"
    expires: float
    at: float


class TokenVerifier:
    """Checks signature, issuer, audience and expiry (with bounded leeway) of bearer tokens."""

    def __init__(
        self,
        settings: SecuritySettings,
        *,
        secret: str | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.secret = secret
        self.clock = clock
        self._verified: OrderedDict[str, _Verified] = OrderedDict()
        self.jwks = (
            # The key set is cached for 5 minutes; an unknown key id refetches it at most
            # every 30 s, so forged key ids cannot make us hammer the identity provider.
            jwt.PyJWKClient(settings.jwt_jwks_url, lifespan=300, timeout=5, cooldown_duration=30)
            if settings.jwt_jwks_url
            else None
        )

    async def verify(self, token: str) -> Claims:
        now = self.clock()
        known = self._verified.get(token)
        if known is not None and now - known.at < VERIFIED_KEPT_S:
            if now > known.expires + self.settings.jwt_leeway_s:
                raise AuthError("the token has expired")
            return known.claims
        claims = await self._verify(token)
        self._verified[token] = _Verified(claims[0], claims[1], now)
        self._verified.move_to_end(token)
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)
        return claims[0]

    async def _verify(self, token: str) -> tuple["Claims", float]:
        """The token's claims and expiry, checked in full."""
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError as error:
            raise AuthError("the bearer token is not a well-formed JWT") from error
        key = await self._key_for(algorithm, token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[str(algorithm)],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_s,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise AuthError("the token has expired") from error
        except jwt.InvalidIssuerError as error:
            raise AuthError("the token was issued by an issuer this API does not trust") from error
        except jwt.InvalidAudienceError as error:
            raise AuthError("the token is meant for another audience") from error
        except jwt.ImmatureSignatureError as error:
            raise AuthError("the token is not valid yet") from error
        except jwt.MissingRequiredClaimError as error:
            raise AuthError(f"the token lacks the `{error.claim}` claim") from error
        except jwt.InvalidSignatureError as error:
            raise AuthError("the token's signature is invalid") from error
        except jwt.PyJWTError as error:
            raise AuthError("the token is invalid") from error
        return self._claims(claims), float(claims["exp"])

    async def _key_for(self, algorithm: object, token: str) -> Any:
        if algorithm == "HS256" and self.secret is not None:
            return self.secret
        if algorithm == "RS256" and self.jwks is not None:
            try:
                # PyJWKClient fetches with blocking urllib; keep it off the event loop.
                found = await asyncio.to_thread(self.jwks.get_signing_key_from_jwt, token)
            except jwt.PyJWKClientConnectionError as error:
                raise AuthError(
                    "the identity provider's signing keys are unavailable; try again",
                    code="SERVICE_UNAVAILABLE",
                    status=503,
                ) from error
            except jwt.PyJWTError as error:
                raise AuthError("the token was signed with an unknown key") from error
            return found.key
        raise AuthError(f"tokens signed with {algorithm!r} are not accepted")

    def _claims(self, claims: dict[str, Any]) -> Claims:
        name = self.settings.jwt_email_claim
        email = _claim(claims, name)
        if not isinstance(email, str) or not email.strip():
            raise AuthError(f"the token lacks the `{name}` claim")
        email = email.strip()
        if not is_ascii_address(email):
            raise AuthError(f"the token's `{name}` claim is not an email address in plain ASCII")
        raw = _claim(claims, self.settings.jwt_roles_claim)
        roles = raw.split() if isinstance(raw, str) else raw if isinstance(raw, list) else []
        return Claims(
            # ASCII only, so this folds A-Z and nothing else (no Kelvin sign becoming a "k").
            email=email.lower(),
            roles=frozenset(role for role in roles if isinstance(role, str)),
            expires_at=float(claims["exp"]) if isinstance(claims.get("exp"), int | float) else None,
        )


def is_ascii_address(email: str) -> bool:
    """Printable ASCII without spaces, one `@`, at most 254 characters (RFC 5321's limit).

    An email is matched to an employee case-insensitively. Unicode case folding differs
    between Python (`str.lower`, `casefold`, NFKC), PostgreSQL collations and identity
    providers: `"\u212aate@…"` (Kelvin sign) folds to `kate@…` in some and not in others,
    so one provider account could pass for another employee. ASCII letters fold the same
    everywhere; addresses outside ASCII are refused (docs/SECURITY.md).
    """
    return (
        len(email) <= 254
        and email.isascii()
        and email.isprintable()
        and " " not in email
        and email.count("@") == 1
    )


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by name, or by dotted path (`realm_access.roles`) when no claim has that name."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
