"""Import every slice's models so the one metadata is complete (Alembic, tests)."""

from eoffice.audit import models as audit_models
from eoffice.db import Base
from eoffice.documents import models as documents_models
from eoffice.exchange import models as exchange_models
from eoffice.org import models as org_models
from eoffice.system import models as system_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "documents_models",
    "exchange_models",
    "metadata",
    "org_models",
    "system_models",
]
