"""`eoffice backup` and `eoffice restore` (the work is in eoffice.system.backup)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from eoffice import clock
from eoffice.cli import AppContext, fail, pass_app
from eoffice.db import transaction
from eoffice.org.actor import Actor
from eoffice.system.backup import BackupError, Instance, Manifest, create_backup, restore_backup
from eoffice.wiring import file_policy


class BarProgress:
    """One click progress bar per phase, on standard error (standard output stays for results)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None

    def phase(self, label: str, total: int) -> None:
        self.close()
        if self.quiet:
            return
        if total <= 0:
            click.echo(f"{label}…", err=True)
            return
        self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
        self.bar.__enter__()

    def advance(self, amount: int) -> None:
        if self.bar is not None:
            self.bar.update(amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@contextmanager
def _reported(progress: BarProgress, unreachable: str) -> Iterator[None]:
    """Close the bar, and turn a refusal or an unreachable database into one line and exit 1."""
    try:
        yield
    except BackupError as e:
        progress.close()
        fail(e.render())
    except SQLAlchemyError as e:
        progress.close()
        fail(f"{unreachable}: {getattr(e, 'orig', e)}")
    progress.close()


def _instance(app: AppContext) -> Instance:
    settings = app.settings
    return Instance(
        database_url=settings.effective_database_url,
        blobs=file_policy(settings).store,
        trust_dir=settings.effective_trust_dir,
    )


def _audit(app: AppContext, action: str, details: dict[str, object]) -> None:
    """Record who backed up or restored the whole register (after the fact, in its own commit)."""
    from eoffice.audit.services import record_event

    with transaction(app.factory) as session:
        record_event(session, Actor.system(), action, "instance", "database", details=details)


def _summary(manifest: Manifest) -> str:
    documents = manifest.tables.get("documents", 0)
    size_mb = (manifest.database.size + manifest.blob_bytes) / 1024 / 1024
    return (
        f"{documents} văn bản, {manifest.blob_count} tệp, {size_mb:.1f} MB, "
        f"lược đồ {manifest.schema_revision}, tạo lúc {manifest.created_at}"
    )


@click.command("backup")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Archive to write (default: eoffice-backup-YYYYMMDD-HHMMSS.tar here).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@pass_app
def backup_command(app: AppContext, output: Path | None, quiet: bool) -> None:
    """Write a consistent archive of the database, the stored files and the trusted roots.

    Safe while the web and worker processes run: what they write after the snapshot is simply
    not in the archive. PostgreSQL needs pg_dump of the server's version on the PATH.
    """
    started = clock.now()
    out = output or Path(f"eoffice-backup-{started.strftime('%Y%m%d-%H%M%S')}.tar")
    if out.exists():
        fail(f"tệp {out} đã tồn tại; chọn tên khác")
    progress = BarProgress(quiet)
    with _reported(progress, "không đọc được cơ sở dữ liệu"):
        manifest = create_backup(_instance(app), out, progress, started)
    _audit(app, "instance.backup", {"file": out.name, "revision": manifest.schema_revision})
    click.echo(f"Đã sao lưu vào {out}: {_summary(manifest)}.")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the data this instance already has (stop the web and worker processes first).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@pass_app
def restore_command(app: AppContext, archive: Path, replace: bool, quiet: bool) -> None:
    """Restore an archive written by `eoffice backup`, all or nothing.

    The whole archive is verified first; a damaged or mismatched archive changes nothing.
    """
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    progress = BarProgress(quiet)
    with _reported(progress, "không kết nối được cơ sở dữ liệu đích"):
        result = restore_backup(_instance(app), archive, progress, replace=replace, stamp=stamp)
    click.echo(f"Đã khôi phục từ {archive}: {_summary(result.manifest)}.")
    if result.previous_trust_dir:
        click.echo(f"Thư mục chứng thư tin cậy cũ được giữ ở {result.previous_trust_dir}.")
    if result.needs_upgrade:
        click.echo("Lược đồ của bản sao lưu cũ hơn phiên bản này: chạy `eoffice init-db`.")
        return
    _audit(
        app, "instance.restore", {"file": archive.name, "created_at": result.manifest.created_at}
    )
