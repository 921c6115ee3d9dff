"""Import every slice's models so the one metadata is complete (Alembic, tests)."""

from eoffice.audit import models as audit_models
from eoffice.db import Base
from eoffice.documents import models as documents_models
from eoffice.exchange import models as exchange_models
from eoffice.notifications import models as notifications_models
from eoffice.org import models as org_models
from eoffice.system import models as system_models
from eoffice.tasks import models as tasks_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "documents_models",
    "exchange_models",
    "metadata",
    "notifications_models",
    "org_models",
    "system_models",
    "tasks_models",
]
