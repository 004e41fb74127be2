"""Security settings: authentication, query limits, CORS and what `prod` switches off.

A mixin of `api.settings.Settings`, so every value still comes from the environment and is
documented in README's configuration table.
"""

import re
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

# Browser apps served by local dev servers (Vite, Next.js, …) on any port.
DEV_ORIGINS_PATTERN = r"http://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key has at least 256 bits


class SecuritySettings(BaseSettings):
    env: Literal["dev", "prod"] = Field(default="dev", alias="BIZGRAPH_ENV")

    jwt_secret: str | None = Field(default=None, alias="BIZGRAPH_JWT_SECRET")
    jwt_jwks_url: str | None = Field(default=None, alias="BIZGRAPH_JWT_JWKS_URL")
    jwt_issuer: str = Field(default="bizgraph", alias="BIZGRAPH_JWT_ISSUER")
    jwt_audience: str = Field(default="bizgraph-api", alias="BIZGRAPH_JWT_AUDIENCE")
    jwt_leeway_s: int = Field(default=30, alias="BIZGRAPH_JWT_LEEWAY_S", ge=0, le=300)
    jwt_email_claim: str = Field(default="sub", alias="BIZGRAPH_JWT_EMAIL_CLAIM")
    jwt_roles_claim: str = Field(default="roles", alias="BIZGRAPH_JWT_ROLES_CLAIM")
    cursor_secret: str | None = Field(default=None, alias="BIZGRAPH_CURSOR_SECRET")

    max_depth: int = Field(default=12, alias="BIZGRAPH_MAX_DEPTH", ge=1)
    max_aliases: int = Field(default=30, alias="BIZGRAPH_MAX_ALIASES", ge=0)
    max_fields: int = Field(default=1000, alias="BIZGRAPH_MAX_FIELDS", ge=1)
    max_tokens: int = Field(default=2000, alias="BIZGRAPH_MAX_TOKENS", ge=1)
    max_document_chars: int = Field(default=32_768, alias="BIZGRAPH_MAX_DOCUMENT_CHARS", ge=1024)
    max_page_size: int = Field(default=100, alias="BIZGRAPH_MAX_PAGE_SIZE", ge=1, le=100)
    max_nodes: int = Field(default=25_000, alias="BIZGRAPH_MAX_NODES", ge=1)
    max_batch_operations: int = Field(default=0, alias="BIZGRAPH_MAX_BATCH_OPERATIONS", ge=0)
    max_response_bytes: int = Field(default=8_388_608, alias="BIZGRAPH_MAX_RESPONSE_BYTES", ge=1024)
    max_body_bytes: int = Field(default=1_048_576, alias="BIZGRAPH_MAX_BODY_BYTES", ge=1024)
    # A file uploaded for import (`importUpload`); its multipart request may be this much
    # larger than BIZGRAPH_MAX_BODY_BYTES. GraphQL's Int (the job's byteCount) stops at 2^31.
    import_max_bytes: int = Field(
        default=50 * 1024 * 1024, alias="BIZGRAPH_IMPORT_MAX_BYTES", ge=1024, le=1024**3
    )
    # Every String/ID input; fields holding prose declare more (schema.core.text.LONG_TEXT).
    max_string_chars: int = Field(default=4000, alias="BIZGRAPH_MAX_STRING_CHARS", ge=100)
    max_list_items: int = Field(default=1000, alias="BIZGRAPH_MAX_LIST_ITEMS", ge=100)
    rate_limit_per_minute: int = Field(default=600, alias="BIZGRAPH_RATE_LIMIT_PER_MINUTE", ge=0)

    cors_origins: str | None = Field(default=None, alias="BIZGRAPH_CORS_ORIGINS")
    graphiql: bool | None = Field(default=None, alias="BIZGRAPH_GRAPHIQL")
    introspection: bool | None = Field(default=None, alias="BIZGRAPH_INTROSPECTION")

    @field_validator(
        "jwt_secret",
        "jwt_jwks_url",
        "cursor_secret",
        "cors_origins",
        "graphiql",
        "introspection",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # Compose files pass `${VAR:-}`: an empty variable means "not configured".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, value: str | None) -> str | None:
        for origin in _split(value):
            if not re.fullmatch(r"https?://[^/\s*]+", origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
        return value

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.env == "dev"

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else self.env == "dev"

    @property
    def cors_allow_list(self) -> list[str]:
        return _split(self.cors_origins)

    @property
    def cors_origin_pattern(self) -> str | None:
        """Local dev servers, allowed in `dev` unless an explicit list is configured."""
        return DEV_ORIGINS_PATTERN if self.cors_origins is None and self.env == "dev" else None


def _split(origins: str | None) -> list[str]:
    return [origin.strip().rstrip("/") for origin in (origins or "").split(",") if origin.strip()]
