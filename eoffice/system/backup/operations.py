"""Making an archive of an instance and putting one back.

Why the archive is consistent while others write: the blob store only ever gains files, and a
blob's file is written and fsynced before its row commits. So the database snapshot is taken
first, and exactly the blobs its ``blobs`` table lists are copied: each was on disk before the
snapshot saw its row, and is never changed or removed afterwards. Files written later are simply
not in the archive, like the rows that reference them.

Why a failed restore changes nothing that matters: the whole archive is unpacked and verified
before the instance is touched; blob files are moved into the store next (a file without a row is
harmless by the store's design); then the database is replaced in one transaction; the trusted
roots are swapped in by a rename only after that commit.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from eoffice import __version__
from eoffice.migrate import head_revision, known_revisions
from eoffice.system.backup.archive import (
    BLOB_INDEX,
    DATABASE_MEMBERS,
    FORMAT_VERSION,
    MANIFEST,
    TRUST_NAME,
    ArchiveWriter,
    FileEntry,
    Manifest,
    Progress,
    Staged,
    blob_index_bytes,
    sha256_file,
    stage_archive,
)
from eoffice.system.backup.database import (
    Snapshot,
    check_postgres_dump,
    describe_sqlite_file,
    engine_name,
    has_tables,
    restore_database,
    take_snapshot,
)
from eoffice.system.backup.errors import (
    ArchiveDamaged,
    ArchiveMismatch,
    BackupError,
    TargetNotEmpty,
)


class BlobLayout(Protocol):
    """Where the content-addressed store keeps a blob (``documents.blobs.BlobStore`` is one)."""

    @property
    def root(self) -> Path: ...

    def path_for(self, sha256: str) -> Path: ...


@dataclass(frozen=True)
class Instance:
    """The parts of an eoffice instance a backup holds."""

    database_url: str
    blobs: BlobLayout
    trust_dir: Path


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    previous_trust_dir: Path | None
    needs_upgrade: bool


def create_backup(instance: Instance, out: Path, progress: Progress, now: datetime) -> Manifest:
    """Write a consistent archive of ``instance`` to ``out`` (atomically: all of it or nothing).

    :raises BackupError: when the database cannot be read, a tool is missing, or a blob the
        database references is missing or altered in the store (the archive is not written).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".eoffice-backup-", dir=out.parent))
    try:
        progress.phase("Chụp ảnh cơ sở dữ liệu", 0)
        dump = work / "database"
        snap = take_snapshot(
            instance.database_url, dump, lambda: progress.phase("Sao chép cơ sở dữ liệu", 0)
        )
        trust = _trust_files(instance.trust_dir)
        manifest = _manifest(snap, dump, trust, now)
        writer = ArchiveWriter(out, now.timestamp())
        try:
            writer.add_bytes(MANIFEST, manifest.to_json())
            writer.add_bytes(BLOB_INDEX, blob_index_bytes(snap.blobs))
            total = manifest.database.size + manifest.blob_bytes + sum(e.size for e in trust)
            progress.phase("Ghi tệp sao lưu", total)
            writer.add_file(manifest.database.member, dump, manifest.database.size, progress)
            for entry in trust:
                path = instance.trust_dir / entry.member.removeprefix("trust/")
                writer.add_file(entry.member, path, entry.size, progress)
            for sha, size in snap.blobs:
                _add_blob(writer, instance.blobs, sha, size, progress)
            writer.commit()
        except BaseException:
            writer.abort()
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _manifest(snap: Snapshot, dump: Path, trust: list[FileEntry], now: datetime) -> Manifest:
    db = sha256_file(dump)
    index = blob_index_bytes(snap.blobs)
    return Manifest(
        created_at=now.isoformat(),
        eoffice_version=__version__,
        engine=snap.engine,
        server_version=snap.server_version,
        schema_revision=snap.schema_revision,
        database=FileEntry(DATABASE_MEMBERS[snap.engine], db.sha256, db.size),
        blob_index=FileEntry(BLOB_INDEX, hashlib.sha256(index).hexdigest(), len(index)),
        blob_count=len(snap.blobs),
        blob_bytes=sum(size for _, size in snap.blobs),
        tables=snap.tables,
        trust_files=trust,
    )


def _trust_files(trust_dir: Path) -> list[FileEntry]:
    """The trusted roots (PEM files) validation needs; other names in the directory are skipped."""
    if not trust_dir.is_dir():
        return []
    entries = []
    for path in sorted(trust_dir.iterdir()):
        if path.is_file() and not path.is_symlink() and TRUST_NAME.match(path.name):
            digest = sha256_file(path)
            entries.append(FileEntry(f"trust/{path.name}", digest.sha256, digest.size))
    return entries


def _add_blob(
    writer: ArchiveWriter, blobs: BlobLayout, sha: str, size: int, progress: Progress
) -> None:
    path = blobs.path_for(sha)
    try:
        actual = path.stat().st_size
    except FileNotFoundError:
        raise BackupError(
            "Tệp {sha} có trong cơ sở dữ liệu nhưng mất khỏi kho lưu trữ {root}",
            params={"sha": sha, "root": str(blobs.root)},
        ) from None
    if actual != size or writer.add_file(f"blobs/{sha}", path, size, progress) != sha:
        raise BackupError(
            "Tệp {sha} trong kho lưu trữ đã bị thay đổi, không khớp mã băm", params={"sha": sha}
        )


def restore_backup(
    instance: Instance, archive: Path, progress: Progress, *, replace: bool, stamp: str
) -> RestoreResult:
    """Replace ``instance``'s data with the archive's, all or nothing.

    :raises TargetNotEmpty: the instance has data and ``replace`` is false.
    :raises ArchiveDamaged: the archive is incomplete or altered (nothing was changed).
    :raises ArchiveMismatch: another engine, an unknown schema revision or format.
    :raises BackupError: the database restore failed (it was rolled back; nothing changed).
    """
    engine = engine_name(instance.database_url)
    if not replace and has_tables(instance.database_url):
        raise TargetNotEmpty(
            "Cơ sở dữ liệu đích đã có dữ liệu; dùng --replace để thay toàn bộ bằng bản sao lưu"
        )
    instance.blobs.root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=instance.blobs.root))
    try:
        staged = stage_archive(archive, staging, progress, lambda m: _accept(m, engine))
        expected = _expected(staged.manifest, staged.blobs)
        _check_dump(staged, expected)
        progress.phase("Chép tệp vào kho lưu trữ", staged.manifest.blob_bytes)
        _publish_blobs(staged, instance.blobs, progress)
        new_trust = _stage_trust(staged, instance.trust_dir, stamp)
        progress.phase("Khôi phục cơ sở dữ liệu", 0)
        try:
            restore_database(instance.database_url, staged.database, expected)
        except BaseException:
            shutil.rmtree(new_trust, ignore_errors=True)
            raise
        previous = _swap_trust(new_trust, instance.trust_dir, stamp)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    manifest = staged.manifest
    return RestoreResult(manifest, previous, needs_upgrade=not _is_head(manifest))


def _accept(manifest: Manifest, engine: str) -> None:
    if manifest.format_version != FORMAT_VERSION:
        raise ArchiveMismatch(
            "Bản sao lưu định dạng {got}; phiên bản eoffice này đọc định dạng {want}",
            params={"got": manifest.format_version, "want": FORMAT_VERSION},
        )
    if manifest.engine != engine:
        raise ArchiveMismatch(
            "Bản sao lưu của {got}, còn cơ sở dữ liệu đích là {want}: không khôi phục chéo",
            params={"got": manifest.engine, "want": engine},
        )
    if manifest.database.member != DATABASE_MEMBERS.get(manifest.engine):
        raise ArchiveDamaged("Tệp kê khai (manifest.json) của bản sao lưu bị hỏng")
    if manifest.schema_revision not in known_revisions():
        raise ArchiveMismatch(
            "Bản sao lưu có lược đồ {got} mà phiên bản eoffice này ({version}) không biết; "
            "hãy khôi phục bằng phiên bản eoffice {made_by}",
            params={
                "got": manifest.schema_revision,
                "version": __version__,
                "made_by": manifest.eoffice_version,
            },
        )


def _is_head(manifest: Manifest) -> bool:
    return manifest.schema_revision == head_revision()


def _expected(manifest: Manifest, blobs: dict[str, int]) -> Snapshot:
    return Snapshot(
        manifest.engine,
        manifest.server_version,
        manifest.schema_revision,
        dict(manifest.tables),
        sorted(blobs.items()),
    )


def _check_dump(staged: Staged, expected: Snapshot) -> None:
    """The dump itself must say what the manifest says (PostgreSQL's is checked in the restoring
    transaction, after loading)."""
    if expected.engine == "postgresql":
        check_postgres_dump(staged.database)
        return
    found = describe_sqlite_file(staged.database)
    if (found.schema_revision, found.tables, found.blobs) != (
        expected.schema_revision,
        expected.tables,
        expected.blobs,
    ):
        raise ArchiveDamaged("Bản sao cơ sở dữ liệu không khớp tệp kê khai của bản sao lưu")


def _publish_blobs(staged: Staged, blobs: BlobLayout, progress: Progress) -> None:
    for sha, size in staged.blobs.items():
        target = blobs.path_for(sha)
        if not (target.exists() and target.stat().st_size == size):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.blob(sha), target)
        progress.advance(size)


def _stage_trust(staged: Staged, trust_dir: Path, stamp: str) -> Path:
    trust_dir.parent.mkdir(parents=True, exist_ok=True)
    new = trust_dir.with_name(f".{trust_dir.name}.restore-{stamp}")
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir()
    for entry in staged.manifest.trust_files:
        name = entry.member.removeprefix("trust/")
        shutil.copyfile(staged.trust(name), new / name)
    return new


def _swap_trust(new: Path, trust_dir: Path, stamp: str) -> Path | None:
    previous = None
    if trust_dir.exists():
        previous = trust_dir.with_name(f"{trust_dir.name}.before-restore-{stamp}")
        os.replace(trust_dir, previous)
    os.replace(new, trust_dir)
    return previous
