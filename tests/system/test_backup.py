"""`eoffice backup` / `eoffice restore` on both engines: round trip, concurrent writes, refusals."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.models import AuditEvent
from eoffice.audit.services import verify_chain
from eoffice.documents.models import Document, NumberSeries
from eoffice.system.backup import (
    ArchiveDamaged,
    ArchiveMismatch,
    BackupError,
    TargetNotEmpty,
    create_backup,
    restore_backup,
)
from tests.system.backup_support import (
    assert_every_blob_is_stored,
    assert_issued_signatures_validate,
    registers,
    rewrite,
    table_rows,
    tree,
)
from tests.system.conftest import Recorder, invoke


def test_round_trip_gives_identical_registers_and_valid_signatures(source, new_site, tmp_path):
    rows = table_rows(source.engine)
    before_registers = registers(source.engine)
    archive = tmp_path / "sao-luu.tar"
    progress = Recorder()
    manifest = create_backup(source.instance, archive, progress, clock.now())
    assert ("Ghi tệp sao lưu", progress.advanced) in progress.phases  # the bar reached its end
    assert manifest.tables["documents"] == len(rows["documents"]) >= 5
    assert manifest.blob_count == len(rows["blobs"]) and manifest.trust_files

    target = new_site()
    result = restore_backup(target.instance, archive, Recorder(), replace=False, stamp="1")
    assert result.previous_trust_dir is None and not result.needs_upgrade
    assert table_rows(target.engine) == rows  # every table, row for row
    assert registers(target.engine) == before_registers
    assert assert_every_blob_is_stored(target) == manifest.blob_count
    assert assert_issued_signatures_validate(target) >= 1
    with Session(target.engine) as session:
        assert verify_chain(session).ok
    # The restored instance goes on numbering where the original stood.
    new_id = target.register_document("sau khôi phục")
    with Session(target.engine) as session:
        doc = session.get(Document, new_id)
        top = session.scalar(
            select(func.max(Document.number)).where(
                Document.series_id == doc.series_id, Document.id != new_id
            )
        )
        assert doc.number == top + 1


class WritingProgress(Recorder):
    """Commits a registration at every phase of the backup and during the copy."""

    def __init__(self, site) -> None:
        super().__init__()
        self.site = site
        self.by_phase: dict[str, int] = {}
        self.during_copy: list[int] = []

    def phase(self, label: str, total: int) -> None:
        super().phase(label, total)
        self.by_phase.setdefault(label, self.site.register_document(label))

    def advance(self, amount: int) -> None:
        super().advance(amount)
        if len(self.during_copy) < 3:
            self.during_copy.append(self.site.register_document("chép"))


def test_writes_during_backup_do_not_make_it_inconsistent(source, new_site, tmp_path):
    stop = threading.Event()
    hammered: list[int] = []

    def hammer() -> None:
        while not stop.is_set():
            hammered.append(source.register_document("song song"))

    writer = threading.Thread(target=hammer)
    writer.start()
    progress = WritingProgress(source)
    try:
        manifest = create_backup(source.instance, tmp_path / "b.tar", progress, clock.now())
    finally:
        stop.set()
        writer.join()
    target = new_site()
    restore_backup(target.instance, tmp_path / "b.tar", Recorder(), replace=False, stamp="1")

    restored = table_rows(target.engine)
    assert len(restored["documents"]) == manifest.tables["documents"]
    ids = {row[0] for row in restored["documents"]}
    assert progress.by_phase["Chụp ảnh cơ sở dữ liệu"] in ids  # committed before the snapshot
    after = [progress.by_phase["Sao chép cơ sở dữ liệu"], *progress.during_copy]
    assert not ids & set(after)  # committed after it
    assert hammered and len(table_rows(source.engine)["documents"]) > len(ids)
    # What was restored is exactly the source's rows of that moment, and all of it holds together.
    source_rows = {row[0]: row for row in table_rows(source.engine)["documents"]}
    assert all(source_rows[row[0]] == row for row in restored["documents"])
    assert assert_every_blob_is_stored(target) == manifest.blob_count
    with Session(target.engine) as session:
        assert verify_chain(session).ok
        for series in session.scalars(select(NumberSeries)):
            top = session.scalar(
                select(func.max(Document.number)).where(Document.series_id == series.id)
            )
            assert series.next_number == (top or 0) + 1, series.code


def test_cli_backup_and_restore_with_refusals(source, new_site, tmp_path, monkeypatch):
    for key, value in source.env.items():
        monkeypatch.setenv(key, value)
    archive = tmp_path / "cli.tar"
    made = invoke("backup", "--output", str(archive))
    assert made.exit_code == 0, made.output
    assert "Đã sao lưu vào" in made.output and "Ghi tệp sao lưu" in made.output
    assert invoke("backup", "--output", str(archive)).exit_code == 1  # never overwrites

    target = new_site()
    monkeypatch.setenv("EOFFICE_DATABASE_URL", target.settings.database_url)
    monkeypatch.setenv("EOFFICE_INSTANCE_DIR", str(target.settings.instance_dir))
    restored = invoke("restore", str(archive))
    assert restored.exit_code == 0 and "Đã khôi phục" in restored.output, restored.output
    again = invoke("restore", "--quiet", str(archive))
    assert again.exit_code == 1 and "--replace" in again.output
    assert invoke("audit", "verify").exit_code == 0
    assert _actions(target, "instance.restore") == 1  # who restored the register is on record
    assert _actions(source, "instance.backup") >= 1
    assert invoke("backup", "--help").exit_code == 0 and invoke("restore", "--help").exit_code == 0
    assert tree(target.settings.instance_dir / "blobs")  # blobs were put in place


def _actions(site, action: str) -> int:
    with Session(site.engine) as session:
        stmt = select(func.count()).where(AuditEvent.action == action)
        return session.scalar(stmt)


@pytest.fixture(scope="module")
def archive(source, tmp_path_factory):
    path = tmp_path_factory.mktemp("archive") / "good.tar"
    create_backup(source.instance, path, Recorder(), clock.now())
    return path


def _flip(data: bytes) -> bytes:
    return data[:100] + bytes([data[100] ^ 0x01]) + data[101:]


def _truncated(archive, out):
    out.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    return out


def _with_manifest(**changes):
    def change(name, data):
        if name == "manifest.json":
            data.update(changes)
        return data

    return change


def _other_engine(archive, out):
    def change(name, data):
        if name == "manifest.json":
            data["engine"] = "postgresql" if data["engine"] == "sqlite" else "sqlite"
        return data

    return rewrite(archive, out, change)


def _lying_counts(archive, out):
    def change(name, data):
        if name == "manifest.json":
            data["tables"]["documents"] += 1
        return data

    return rewrite(archive, out, change)


DAMAGE = {
    "not a tar": (lambda a, o: o.write_bytes(b"hello " * 1000) and o, ArchiveDamaged),
    "truncated": (_truncated, ArchiveDamaged),
    "blob altered": (
        lambda a, o: rewrite(a, o, lambda n, d: _flip(d) if n.startswith("blobs/") else d),
        ArchiveDamaged,
    ),
    "database altered": (
        lambda a, o: rewrite(a, o, lambda n, d: _flip(d) if n.startswith("database/") else d),
        ArchiveDamaged,
    ),
    "blob missing": (
        lambda a, o: rewrite(a, o, lambda n, d: None if n.startswith("blobs/") else d),
        ArchiveDamaged,
    ),
    "path traversal": (
        lambda a, o: rewrite(a, o, lambda n, d: d, extra=[("../../escaped", b"x")]),
        ArchiveDamaged,
    ),
    "trust root swapped": (
        lambda a, o: rewrite(a, o, lambda n, d: b"other root" if n.startswith("trust/") else d),
        ArchiveDamaged,
    ),
    "other engine": (_other_engine, ArchiveMismatch),
    "unknown schema": (
        lambda a, o: rewrite(a, o, _with_manifest(schema_revision="9999")),
        ArchiveMismatch,
    ),
    "newer format": (lambda a, o: rewrite(a, o, _with_manifest(format_version=2)), ArchiveMismatch),
    # Sound checksums, but the dump does not hold what the manifest says: SQLite's copy is
    # checked before anything is touched, PostgreSQL's inside the restoring transaction.
    "counts lie": (_lying_counts, (ArchiveDamaged, BackupError)),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_or_mismatched_archives_change_nothing(archive, populated, tmp_path, damage):
    make, error = DAMAGE[damage]
    bad = make(archive, tmp_path / "bad.tar")
    site = populated
    before = _state(site)
    with pytest.raises(error) as info:
        restore_backup(site.instance, bad, Recorder(), replace=True, stamp="x")
    assert info.value.render()  # a message for the operator
    assert _state(site) == before  # no row, file, trusted root or staging directory changed


def _state(site):
    instance = site.settings.instance_dir
    return (
        table_rows(site.engine),
        tree(instance / "blobs"),
        tree(instance / "trust"),
        sorted(p.name for p in instance.iterdir()),
        sorted(p.name for p in (instance / "blobs").iterdir()),
    )


@pytest.fixture(scope="module")
def populated(source, archive, tmp_path_factory, worker_name):
    """An instance restored from the archive that then went on working (one more document)."""
    from tests.conftest import drop_postgres_database, fresh_database_url
    from tests.system.backup_support import Site

    tmp = tmp_path_factory.mktemp("populated")
    url = fresh_database_url(source.engine.dialect.name, tmp, worker_name, "bkpop")
    site = Site.at(url, tmp / "instance")
    restore_backup(site.instance, archive, Recorder(), replace=False, stamp="0")
    site.register_document("đích")
    yield site
    site.engine.dispose()
    if source.engine.dialect.name == "postgresql":
        drop_postgres_database(url)


def test_restore_needs_replace_over_data_and_then_rolls_back(archive, populated):
    with pytest.raises(TargetNotEmpty):
        restore_backup(populated.instance, archive, Recorder(), replace=False, stamp="y")
    grown = len(table_rows(populated.engine)["documents"])
    result = restore_backup(populated.instance, archive, Recorder(), replace=True, stamp="z")
    assert len(table_rows(populated.engine)["documents"]) == grown - 1
    assert result.manifest.tables["documents"] == grown - 1
    assert result.previous_trust_dir and result.previous_trust_dir.name.endswith("-z")
    assert assert_issued_signatures_validate(populated) >= 1
    populated.register_document("sau khi quay lui")  # and it keeps working
