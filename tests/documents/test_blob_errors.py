"""A blob that cannot be written is a 503 naming the cause (full, not writable, other), with
nothing left behind. A real full and a real read-only disk: tests/faults/test_blob_store_full.py.
"""

from __future__ import annotations

import errno

import pytest

from eoffice.documents.blobs import BlobStore, _storage_error
from eoffice.errors import ServiceUnavailable


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (errno.ENOSPC, "storage_full"),
        (errno.EDQUOT, "storage_full"),
        (errno.EFBIG, "storage_full"),
        (errno.EROFS, "storage_unwritable"),
        (errno.EACCES, "storage_unwritable"),
        (errno.EIO, "storage_error"),
    ],
)
def test_each_cause_has_its_code_and_a_vietnamese_message(number, code):
    error = _storage_error(OSError(number, "x"))
    assert (error.code, error.http_status) == (code, 503)
    assert "chưa có gì được ghi" in error.render()


def test_an_unusable_store_path_raises_and_leaves_nothing(tmp_path):
    root = tmp_path / "not-a-directory"
    root.write_bytes(b"")  # the store's root is a file: no directory can be made under it
    with pytest.raises(ServiceUnavailable) as caught:
        BlobStore(root).put(b"%PDF-1.4 noi dung")
    assert caught.value.code == "storage_error"
    assert "Not a directory" in caught.value.render()
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-directory"]
