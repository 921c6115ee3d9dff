"""Content-addressed file store on disk (SHA-256), with integrity checked when a file is read.

Bytes are written to a temporary file, fsynced and renamed into place before the database row is
added, so a row never points at a missing file; a file without a row (a rolled-back upload) is
harmless and is the same file the next upload of those bytes would write.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from eoffice.clock import now
from eoffice.db import insert_or_ignore
from eoffice.documents import pdfsafety
from eoffice.documents.models import Blob
from eoffice.errors import EofficeError, InvalidInput, ServiceUnavailable

PDF_MAGIC = b"%PDF-"
log = logging.getLogger(__name__)


class BlobCorrupted(EofficeError):
    """A stored file no longer matches its hash."""

    code = "blob_corrupted"
    http_status = 500


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def _storage_error(e: OSError) -> ServiceUnavailable:
    """The answer to a failed write: which of full / not writable / other, for people and code."""
    if e.errno in _FULL:
        return ServiceUnavailable(
            "Kho lưu trữ tệp đã đầy: tệp không được lưu và chưa có gì được ghi. "
            "Vui lòng báo quản trị hệ thống.",
            code="storage_full",
        )
    if e.errno in _READ_ONLY:
        return ServiceUnavailable(
            "Kho lưu trữ tệp không ghi được: tệp không được lưu và chưa có gì được ghi. "
            "Vui lòng báo quản trị hệ thống.",
            code="storage_unwritable",
        )
    return ServiceUnavailable(
        "Không lưu được tệp vào kho lưu trữ ({reason}); chưa có gì được ghi. Vui lòng thử lại sau.",
        code="storage_error",
        params={"reason": e.strerror or type(e).__name__},
    )


@dataclass(frozen=True)
class BlobStore:
    root: Path

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise InvalidInput("Mã băm tệp không hợp lệ")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent); return its SHA-256.

        :raises ServiceUnavailable: storage_full, storage_unwritable or storage_error (nothing is
            recorded: the caller's transaction is rolled back by its boundary).
        """
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return digest
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:
            log.error("blob store %s: cannot write %s: %s", self.root, digest, e)
            raise _storage_error(e) from e
        return digest

    def get(self, sha256: str) -> bytes:
        """Return the bytes of ``sha256`` after checking them against the hash.

        :raises BlobCorrupted: when the file is missing or its content changed.
        """
        try:
            data = self.path_for(sha256).read_bytes()
        except FileNotFoundError as e:
            raise BlobCorrupted("Tệp lưu trữ bị mất") from e
        if hashlib.sha256(data).hexdigest() != sha256:
            raise BlobCorrupted("Tệp lưu trữ đã bị thay đổi, không khớp mã băm")
        return data


def store_blob(session: Session, store: BlobStore, data: bytes, content_type: str) -> Blob:
    """Write ``data`` to the store and make sure its row exists."""
    digest = store.put(data)
    blob = session.get(Blob, digest)
    if blob is None:
        # Two uploads of the same bytes may race: let one insert win, then read the row.
        insert_or_ignore(
            session,
            Blob,
            sha256=digest,
            size=len(data),
            content_type=content_type[:100],
            created_at=now(),
        )
        blob = session.get(Blob, digest)
        assert blob is not None
    return blob


def is_pdf(data: bytes) -> bool:
    """Recognise a PDF by its content: the header within the first 1 KiB, as readers accept."""
    return PDF_MAGIC in data[:1024]


def extract_pdf_text(data: bytes, max_pages: int = 50, max_chars: int = 200_000) -> str:
    """Return the text of the first pages of a PDF, or "" when it has none or cannot be read
    (within a budget: see :mod:`eoffice.documents.pdfsafety`)."""
    return pdfsafety.extract_text(data, max_pages, max_chars)


def check_pdf(data: bytes) -> int:
    """Check that ``data`` is a readable, unencrypted PDF without active content; return its
    page count.

    :raises InvalidInput: with a Vietnamese message otherwise (not_pdf, pdf_encrypted,
        pdf_malformed, pdf_active_content).
    """
    return pdfsafety.check_pdf(data)


@dataclass(frozen=True)
class Upload:
    """A file as received: the name is metadata only, never a path."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class FilePolicy:
    """Where files go and how large they may be (from settings)."""

    store: BlobStore
    max_main_bytes: int
    max_attachment_bytes: int


def safe_filename(name: str) -> str:
    """Return a display name with path parts and control characters removed."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned.strip(" .")[:255] or "tep-dinh-kem"
