"""Every table of the data model, so Alembic and tests see one complete metadata."""

from domain.analytics import models as analytics_models
from domain.core import ops
from domain.core.model_base import Base
from domain.crm import models as crm_models
from domain.erp import models as erp_models
from domain.exchange import models as exchange_models
from domain.finance import models as finance_models
from domain.integrations import models as integrations_models
from domain.production import models as production_models

metadata = Base.metadata

__all__ = [
    "Base",
    "analytics_models",
    "crm_models",
    "erp_models",
    "exchange_models",
    "finance_models",
    "integrations_models",
    "metadata",
    "ops",
    "production_models",
]
