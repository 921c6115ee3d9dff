"""The hostile-input corpus (tests/data/hostile) and what each entry point must do with it.

The expectations are stated once here and every entry-point test reads them, so a file added to
the corpus without an expectation, or an expectation without a file, fails `test_corpus.py`.
Memory is bounded in two ways: readers run in a forked child whose data segment is capped
(`in_bounded_child`: C allocations of lxml and zlib count too, and tracemalloc's slowdown is
avoided), and paths through the database are watched with tracemalloc (`bounded_memory`). No
test asserts on time.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.vxp_adapter.conftest import hub, hub_app, hub_engine  # noqa: F401 - the local axis
from tests.web.test_document_pages import (  # noqa: F401 - one app for the module, as there
    _fast_logins,
    app,
    env,
    settings,
    shared_app,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile"
MB = 1024 * 1024

# PDF file → the upload check's refusal code, or None when it is accepted.
PDF_EXPECTED: dict[str, str | None] = {
    "valid.pdf": None,
    "truncated.pdf": "pdf_malformed",
    "wrong-xref.pdf": None,
    "header-only.pdf": "pdf_malformed",
    "garbage-after-header.pdf": "pdf_malformed",
    "page-tree-dag.pdf": "pdf_malformed",
    "page-tree-cycle.pdf": "pdf_malformed",
    "huge-page-count.pdf": None,
    "deep-nesting.pdf": "pdf_malformed",
    "javascript-open-action.pdf": "pdf_active_content",
    "javascript-name-tree.pdf": "pdf_active_content",
    "javascript-link.pdf": "pdf_active_content",
    "javascript-objstm.pdf": "pdf_active_content",
    "launch-action.pdf": "pdf_active_content",
    "encrypted-user-password.pdf": "pdf_encrypted",
    "encrypted-empty-password.pdf": "pdf_encrypted",
    "form-xobject-bomb.pdf": None,
}

# edXML file → (the parser's problem code or None, what the arrival path does with it).
REGISTERED = "registered"
EDXML_EXPECTED: dict[str, tuple[str | None, str]] = {
    "billion-laughs.edxml": ("doctype_forbidden", "quarantined"),
    "quadratic-blowup.edxml": ("doctype_forbidden", "quarantined"),
    "external-entity.edxml": ("doctype_forbidden", "quarantined"),
    "parameter-entity.edxml": ("doctype_forbidden", "quarantined"),
    "doctype-after-bom.edxml": ("doctype_forbidden", "quarantined"),
    "xinclude.edxml": (None, REGISTERED),
    "deep-nesting.edxml": ("malformed_xml", "quarantined"),
    "many-elements.edxml": ("too_many_elements", "quarantined"),
    "too-many-attachments.edxml": ("too_many_attachments", "quarantined"),
    "bad-base64.edxml": ("bad_base64", "quarantined"),
    "utf16.edxml": ("bad_encoding", "quarantined"),
    "latin1-declared.edxml": ("bad_encoding", "quarantined"),
    "invalid-utf8.edxml": ("malformed_xml", "quarantined"),
    "nul-reference.edxml": ("malformed_xml", "quarantined"),
    "control-reference.edxml": ("malformed_xml", "quarantined"),
    "zip-bomb.edxml": ("zip_bomb", "quarantined"),
    "zip-lying-about-size.edxml": ("attachment_corrupt", "quarantined"),
    "zip-many-entries.edxml": ("zip_bomb", "quarantined"),
    "zip-nested.edxml": (None, REGISTERED),
    "zip-traversal-entry.edxml": (None, REGISTERED),
    "zip-encrypted-entry.edxml": ("attachment_corrupt", "quarantined"),
    "hostile-file-names.edxml": (None, REGISTERED),
    "text-injection.edxml": (None, REGISTERED),
    "overlong-fields.edxml": (None, REGISTERED),
    "status-injection.edxml": (None, "quarantined"),
    "pdf-encrypted.edxml": (None, "quarantined"),
    "pdf-truncated.edxml": (None, "quarantined"),
    "pdf-deep-nesting.edxml": (None, "quarantined"),
    "pdf-page-tree-dag.edxml": (None, "quarantined"),
    "pdf-javascript.edxml": (None, "quarantined"),
}
# The reason a quarantined message keeps starts with this code.
QUARANTINE_CODE = {
    "status-injection.edxml": "unknown_document",
    "pdf-encrypted.edxml": "pdf_encrypted",
    "pdf-truncated.edxml": "pdf_malformed",
    "pdf-deep-nesting.edxml": "pdf_malformed",
    "pdf-page-tree-dag.edxml": "pdf_malformed",
    "pdf-javascript.edxml": "pdf_active_content",
}


def corpus_pdf(name: str) -> bytes:
    return (CORPUS / "pdf" / name).read_bytes()


def corpus_edxml(name: str) -> bytes:
    return (CORPUS / "edxml" / name).read_bytes()


def hostile_strings() -> dict[str, str]:
    return json.loads((CORPUS / "strings.json").read_text(encoding="utf-8"))


@contextmanager
def bounded_memory(limit_bytes: int) -> Iterator[None]:
    """Fail unless the Python heap grows by less than ``limit_bytes`` at its peak inside."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        yield
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - base < limit_bytes, f"peak {(peak - base) / MB:.1f} MB > {limit_bytes / MB} MB"


def stored_files(root: Path) -> set[str]:
    """Return the names of the files in a blob store (temporary upload files included)."""
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


class ChildFailed(Exception):
    """What a function raised in the bounded child: its type name, machine code and message."""

    def __init__(self, kind: str, code: str | None, message: str) -> None:
        super().__init__(f"{kind} [{code}]: {message}")
        self.kind, self.code, self.message = kind, code, message


def _data_segment() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmData in /proc/self/status")


def in_bounded_child(fn: Callable[..., Any], *args: Any, limit_bytes: int) -> Any:
    """Run ``fn(*args)`` in a forked child allowed ``limit_bytes`` more data than now.

    Returns what it returned. :raises ChildFailed: with what it raised (MemoryError when it
    needed more than the limit).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no return, no pytest teardown
        os.close(read_end)
        try:
            cap = _data_segment() + limit_bytes
            resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
            try:
                outcome = ("ok", fn(*args))
            except BaseException as e:  # reported to the parent as data
                outcome = ("raised", (type(e).__name__, getattr(e, "code", None), str(e)[:500]))
            payload = pickle.dumps(outcome)
        except BaseException as e:  # e.g. the result does not pickle
            payload = pickle.dumps(("raised", (type(e).__name__, None, str(e)[:500])))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    os.waitpid(pid, 0)
    if not payload:
        raise ChildFailed("crash", None, "the child died without an answer")
    kind, value = pickle.loads(payload)  # our own child's answer
    if kind == "raised":
        raise ChildFailed(*value)
    return value
