"""Why a backup or a restore stopped. Each names what is wrong in Vietnamese, for the operator."""

from __future__ import annotations

from eoffice.errors import EofficeError


class BackupError(EofficeError):
    """Base of the backup and restore errors."""

    code = "backup_failed"
    http_status = 500


class ArchiveDamaged(BackupError):
    """The archive is truncated, altered, or not an eoffice backup at all."""

    code = "backup_archive_damaged"
    http_status = 422


class ArchiveMismatch(BackupError):
    """A sound archive that this instance cannot take (other engine, unknown schema, format)."""

    code = "backup_archive_mismatch"
    http_status = 409


class TargetNotEmpty(BackupError):
    """The instance already has data and the operator did not ask to replace it."""

    code = "restore_target_not_empty"
    http_status = 409


class ToolMissing(BackupError):
    """pg_dump, pg_restore or psql is not installed."""

    code = "backup_tool_missing"
    http_status = 500
