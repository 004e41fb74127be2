"""Per-request context: the viewer, fresh DataLoaders, and how to open short read sessions."""

from dataclasses import dataclass
from typing import Any

from domain.core.access import Viewer
from domain.core.reads import ReadPool
from domain.core.sessions import Engine, SessionFactory


@dataclass
class AppState:
    """Process-wide objects the schema needs, built once by the composition root (`api.app`)."""

    engine: Engine
    sessions: SessionFactory
    reads: ReadPool
    settings: Any
    # Committed events for subscriptions (`domain.integrations.live.EventHub`).
    events: Any = None


@dataclass
class Context:
    """What every resolver sees as `info.context`. Created per request, never shared."""

    state: AppState
    viewer: Viewer
    request_id: str
    request: Any = None
    response: Any = None
    loaders: Any = None
    # Rows a response may hold (list items as often as they appear); None: no limit.
    max_rows: int | None = None
    # Set by the executor when compiled reads answered every root field
    # (schema.core.compiled.runner.CompiledOperation): the API answers it directly next time.
    compiled_operation: Any = None
    # A WebSocket connection's `connection_init` payload (where its token comes).
    connection_params: Any = None

    @property
    def sessions(self) -> SessionFactory:
        return self.state.sessions
