"""Settings, read from environment variables (and a `.env` file when present).

Every setting is documented in README's configuration table; keep the two in step.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from api.security.settings import SecuritySettings


class Settings(SecuritySettings):
    """Process settings; authentication, limits and CORS come from `SecuritySettings`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    data_dir: Path = Field(default=Path("./.bizgraph"), alias="BIZGRAPH_DATA_DIR")

    host: str = Field(default="127.0.0.1", alias="BIZGRAPH_HOST")
    port: int = Field(default=8000, alias="BIZGRAPH_PORT", ge=1, le=65535)
    db_pool_size: int = Field(default=10, alias="BIZGRAPH_DB_POOL_SIZE", ge=1)
    db_max_overflow: int = Field(default=10, alias="BIZGRAPH_DB_MAX_OVERFLOW", ge=0)
    statement_timeout_ms: int = Field(default=5000, alias="BIZGRAPH_STATEMENT_TIMEOUT_MS", ge=1)
    queue_name: str = Field(default="bizgraph:queue", alias="BIZGRAPH_QUEUE_NAME")
    log_level: str = Field(default="INFO", alias="BIZGRAPH_LOG_LEVEL")

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
