"""`eoffice backup` and `eoffice restore`: one archive holding a consistent snapshot of the
database and of the blob store it references, plus the trusted roots (see docs/deployment.md)."""

from eoffice.system.backup.archive import Manifest, Progress
from eoffice.system.backup.errors import (
    ArchiveDamaged,
    ArchiveMismatch,
    BackupError,
    TargetNotEmpty,
    ToolMissing,
)
from eoffice.system.backup.operations import Instance, create_backup, restore_backup

__all__ = [
    "ArchiveDamaged",
    "ArchiveMismatch",
    "BackupError",
    "Instance",
    "Manifest",
    "Progress",
    "TargetNotEmpty",
    "ToolMissing",
    "create_backup",
    "restore_backup",
]
