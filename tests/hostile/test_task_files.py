"""Files attached to task reports: all checked before any is stored, names kept safe."""

from __future__ import annotations

from datetime import date

import pytest

from eoffice import clock
from eoffice.documents.blobs import BlobStore, FilePolicy, Upload
from eoffice.errors import InvalidInput
from eoffice.org.actor import Actor
from eoffice.tasks.calendar import WorkingCalendar
from eoffice.tasks.inputs import TargetRef
from eoffice.tasks.services_work import report_progress
from tests.hostile.conftest import MB, stored_files
from tests.tasks.conftest import MONDAY, give


@pytest.fixture
def task(factory, db_session):
    org = factory.org()
    with clock.frozen(MONDAY):
        created = give(
            db_session,
            org.leader,
            WorkingCalendar(),
            lead=TargetRef(user=org.specialist.username),
            due=date(2026, 12, 31),
        )
    return created, org.specialist


def test_one_file_too_large_stores_none_of_them(task, tmp_path):
    created, lead = task
    policy = FilePolicy(BlobStore(tmp_path / "blobs"), 2 * MB, MB)
    uploads = [Upload("bao-cao.docx", "", b"PK ok"), Upload("lon.zip", "", bytes(MB + 1))]
    with clock.frozen(MONDAY), pytest.raises(InvalidInput) as refused:
        report_progress(
            _session(created),
            Actor(user=lead),
            created,
            40,
            "Một nửa",
            uploads=uploads,
            files=policy,
        )
    assert refused.value.code == "file_too_large"
    assert stored_files(tmp_path / "blobs") == set()


def test_hostile_names_are_kept_safe(task, tmp_path):
    created, lead = task
    policy = FilePolicy(BlobStore(tmp_path / "blobs"), 2 * MB, MB)
    names = ["../../../etc/cron.d/x.docx", "a\x00b\x1b[2J.docx", "<img src=x>.pdf", ".."]
    uploads = [Upload(name, "text/html", f"tep {i}".encode()) for i, name in enumerate(names)]
    with clock.frozen(MONDAY):
        report_progress(
            _session(created),
            Actor(user=lead),
            created,
            40,
            "Đã làm",
            uploads=uploads,
            files=policy,
        )
    stored = [a.filename for a in created.attachments]
    assert stored == ["x.docx", "ab[2J.docx", "img src=x.pdf", "tep-dinh-kem"]
    assert len(stored_files(tmp_path / "blobs")) == 4


def _session(task):
    from sqlalchemy.orm import object_session

    return object_session(task)
