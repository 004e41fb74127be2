"""The key that seals page cursors (`schema.core.cursors`), from the settings.

Every API process must open every other's cursors, so the key comes from a shared secret:
`BIZGRAPH_CURSOR_SECRET`, or else the HS256 token secret (configured, or in `dev` the one
generated into the data dir). The schema derives its own key from it, so the token secret
itself never seals anything. `prod` with neither (tokens from a JWKS only) refuses to start:
a random key per process would make page two fail behind a load balancer.
"""

from api.security.settings import MIN_SECRET_BYTES, SecuritySettings
from schema.core import cursors


def cursor_secret_problem(settings: SecuritySettings) -> str | None:
    """Why no cursor key can be had from these settings, or None when one can."""
    secret = settings.cursor_secret
    if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
        return f"BIZGRAPH_CURSOR_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
    if settings.env == "prod" and secret is None and settings.jwt_secret is None:
        return (
            "BIZGRAPH_ENV=prod without BIZGRAPH_JWT_SECRET needs BIZGRAPH_CURSOR_SECRET "
            "(the key page cursors are sealed with, shared by all API processes)"
        )
    return None


def configure_cursors(settings: SecuritySettings, hs256_secret: str | None) -> None:
    """Seal cursors with the key of the configured secret (a random one if there is none)."""
    secret = settings.cursor_secret or hs256_secret
    if secret is not None:
        cursors.configure(secret.encode())
