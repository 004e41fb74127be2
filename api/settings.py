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
    # Below the statement timeout: a change blocked by another's row lock gives up first and
    # says so (LOCK_TIMEOUT, safe to retry) rather than passing for a query asking too much.
    lock_timeout_ms: int = Field(default=2000, alias="BIZGRAPH_LOCK_TIMEOUT_MS", ge=1)
    request_statement_budget_ms: int = Field(
        default=10_000, alias="BIZGRAPH_REQUEST_STATEMENT_BUDGET_MS", ge=1
    )
    db_connections_per_client: int = Field(
        default=10, alias="BIZGRAPH_DB_CONNECTIONS_PER_CLIENT", ge=0
    )
    # A request's statement runs in its own backend: parallel workers speed one big scan on
    # an idle server, but on a busy API they take the cores other requests need, and
    # starting them costs (docs/PERFORMANCE.md, "Questions about many records").
    db_parallel_workers: int = Field(default=0, alias="BIZGRAPH_DB_PARALLEL_WORKERS", ge=0)
    queue_name: str = Field(default="bizgraph:queue", alias="BIZGRAPH_QUEUE_NAME")
    log_level: str = Field(default="INFO", alias="BIZGRAPH_LOG_LEVEL")
    # The executor's fast paths (schema.core.execution); off, every field takes graphql-core's.
    execution_shortcuts: bool = Field(default=True, alias="BIZGRAPH_EXECUTION_SHORTCUTS")
    # Root fields answered by one statement building their JSON (schema.core.compiled).
    compiled_reads: bool = Field(default=True, alias="BIZGRAPH_COMPILED_READS")
    # Subscriptions (docs/INTEGRATIONS.md): per WebSocket connection, and per employee in
    # one API process.
    max_subscriptions_per_connection: int = Field(
        default=20, alias="BIZGRAPH_MAX_SUBSCRIPTIONS_PER_CONNECTION", ge=1
    )
    max_subscriptions_per_employee: int = Field(
        default=100, alias="BIZGRAPH_MAX_SUBSCRIPTIONS_PER_EMPLOYEE", ge=1
    )
    # Only registered operations run (api.persisted_queries): for prod, with known clients.
    safelist: bool = Field(default=False, alias="BIZGRAPH_SAFELIST")

    # Operation: failure behaviour, shutdown, metrics (see docs/DEPLOYMENT.md).
    db_connect_timeout_s: float = Field(default=2.0, alias="BIZGRAPH_DB_CONNECT_TIMEOUT_S", gt=0)
    db_pool_timeout_s: float = Field(default=3.0, alias="BIZGRAPH_DB_POOL_TIMEOUT_S", gt=0)
    # Admission (api.admission): 0 derives the figure from the pool.
    admission_concurrency: int = Field(default=0, alias="BIZGRAPH_ADMISSION_CONCURRENCY", ge=0)
    admission_queue: int = Field(default=0, alias="BIZGRAPH_ADMISSION_QUEUE", ge=0)
    admission_wait_s: float = Field(default=20.0, alias="BIZGRAPH_ADMISSION_WAIT_S", gt=0)
    shutdown_grace_s: int = Field(default=20, alias="BIZGRAPH_SHUTDOWN_GRACE_S", ge=1)
    job_timeout_s: int = Field(default=600, alias="BIZGRAPH_JOB_TIMEOUT_S", ge=1)
    # A running job renews its claim this often; a killed worker's job runs again after
    # three missed beats (workers.liveness).
    job_heartbeat_s: float = Field(default=10.0, alias="BIZGRAPH_JOB_HEARTBEAT_S", gt=0, le=60)
    # Derived work not done this long after its event is queued again (workers.relay).
    effect_deadline_s: float = Field(default=30.0, alias="BIZGRAPH_EFFECT_DEADLINE_S", gt=0)
    metrics_dir: Path | None = Field(default=None, alias="BIZGRAPH_METRICS_DIR")
    worker_metrics_port: int = Field(
        default=0, alias="BIZGRAPH_WORKER_METRICS_PORT", ge=0, le=65535
    )
    forwarded_allow_ips: str = Field(default="127.0.0.1", alias="BIZGRAPH_FORWARDED_ALLOW_IPS")

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def admission_capacity(self) -> int:
        """GraphQL requests one process runs at once: by default its pool size, which leaves
        the overflow for requests whose statements run side by side."""
        return self.admission_concurrency or self.db_pool_size

    @property
    def admission_depth(self) -> int:
        """Requests that may wait for admission: by default 100 per place."""
        return self.admission_queue or 100 * self.admission_capacity


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
