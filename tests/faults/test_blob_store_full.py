"""The blob store's disk fills up, then turns read-only: each upload fails with a clear 503 and
nothing is recorded; no database row ever points at a missing file; once there is room again the
same running app stores files as before.

The tests run as root, for whom file modes stop nothing, so the disk is real: `eoffice run`
starts in a private mount namespace (unshare -m) where a small tmpfs is mounted on the blob
directory. Writes beyond its size fail with ENOSPC; remounting it read-only (nsenter) makes them
fail with EROFS. Nothing of this is visible outside that process; the test reads the store
through /proc/<pid>/root.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.documents.blobs import BlobStore
from eoffice.documents.models import Blob, DocumentFile
from tests.faults.site import Site, check_registrations, prepare_site

pytestmark = pytest.mark.xdist_group("faults-blobs")

FULL_VI = "Kho lưu trữ tệp đã đầy"
UNWRITABLE_VI = "Kho lưu trữ tệp không ghi được"


def _private_tmpfs_works(tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.mkdir()
    done = subprocess.run(
        ["unshare", "-m", "--", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
        capture_output=True,
        timeout=30,
    )
    return done.returncode == 0


@pytest.fixture
def site(tmp_path):
    if os.geteuid() != 0 or not _private_tmpfs_works(tmp_path):
        pytest.skip("needs root and a private mount namespace (unshare -m) to mount a tmpfs")
    blobs = tmp_path / "site" / "blobs"
    blobs.mkdir(parents=True)
    site = prepare_site(tmp_path / "site", f"sqlite:///{tmp_path / 'site' / 'eoffice.sqlite3'}",
                        EOFFICE_BLOB_DIR=str(blobs))  # fmt: skip
    # 96 KiB: a few of the ~16 KiB PDFs below fit, then the disk is full.
    mount = f'mount -t tmpfs -o size=96k,mode=0755 tmpfs "{blobs}" && exec "$@"'
    site.start(wrapper=["unshare", "-m", "--", "sh", "-c", mount, "sh"])
    yield site
    site.stop()


def _remount(site: Site, options: str) -> None:
    assert site.process is not None
    blobs = site.env["EOFFICE_BLOB_DIR"]
    subprocess.run(
        ["nsenter", "-t", str(site.process.pid), "-m", "--", "mount", "-o", f"remount,{options}",
         blobs],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


def _store_seen_by(site: Site) -> BlobStore:
    """The blob directory as the app sees it (inside its mount namespace)."""
    assert site.process is not None
    return BlobStore(Path(f"/proc/{site.process.pid}/root{site.env['EOFFICE_BLOB_DIR']}"))


def _register(site: Site, n: int) -> requests.Response:
    # Each file a little larger than the one before: once one does not fit, none after it does.
    return site.register(f"Công văn khi đĩa đầy số {n}", pages=40 + n)


def test_a_full_then_read_only_blob_store_fails_cleanly_and_leaves_no_dangling_row(site):
    answers = [_register(site, n) for n in range(12)]
    statuses = [a.status_code for a in answers]
    assert statuses[0] == 201 and 503 in statuses, statuses
    assert statuses == sorted(statuses)  # once full, every further upload fails
    full = answers[statuses.index(503)].json()["error"]
    assert full["code"] == "storage_full" and FULL_VI in full["message"], full
    _check_no_dangling_rows(site, created=statuses.count(201))

    _remount(site, "ro")
    answer = _register(site, 100)
    error = answer.json()["error"]
    assert answer.status_code == 503 and error["code"] == "storage_unwritable", error
    assert UNWRITABLE_VI in error["message"]
    english = site.register("Công văn tiếng Anh", pages=40, lang="en")
    assert "The file store cannot be written to" in english.json()["error"]["message"]
    _check_no_dangling_rows(site, created=statuses.count(201))

    _remount(site, "rw,size=4m")  # room again: the same process stores files as before
    assert _register(site, 200).status_code == 201
    _check_no_dangling_rows(site, created=statuses.count(201) + 1)


def _check_no_dangling_rows(site: Site, created: int) -> None:
    """Every file row and blob row has its file, intact; nothing beyond the 201 answers."""
    store = _store_seen_by(site)
    url = site.env["EOFFICE_DATABASE_URL"]
    engine = make_engine(url)
    try:
        with transaction(make_session_factory(engine)) as session:
            for blob in session.scalars(select(Blob)):
                store.get(blob.sha256)  # raises BlobCorrupted when missing or changed
            for row in session.scalars(select(DocumentFile)):
                store.get(row.sha256)
    finally:
        engine.dispose()
    assert len(check_registrations(url, store.root)) == created
    leftovers = [p.name for p in store.root.rglob(".upload-*")]
    assert leftovers == [], leftovers  # no half-written temporary file stays behind
