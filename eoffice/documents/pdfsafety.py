"""Reading untrusted PDFs within bounds: the upload check, active content, and text extraction.

Every PDF a clerk uploads or another agency sends is read here before anything is stored. pypdf
parses it under tighter limits than its defaults (a content stream decodes to at most
``MAX_STREAM_BYTES``; parse errors, recursion and loops are all "malformed"); a file that would
run code when opened (JavaScript or launch actions — PDF/A, the archival form, forbids both) is
refused; text extraction for search stops at a budget of decoded content and operators, so a
small file that expands to millions of drawing operators costs a bounded, short time.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from pypdf import PdfReader, apply_configuration
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from eoffice.errors import InvalidInput

MAX_STREAM_BYTES = 16 * 1024 * 1024
"""Largest decoded stream read (pypdf's default is 75 MB)."""
TEXT_CONTENT_BUDGET = 3 * 1024 * 1024
"""Decoded page content parsed for search text, all pages together (a page of text is 5–50 kB;
pypdf parses about 1 MB a second)."""
TEXT_OPERATOR_BUDGET = 400_000
"""Drawing operators interpreted for search text, form XObjects included (about 3 µs each)."""
FORM_DRAW_COST = 400
"""What drawing a form XObject counts against the operator budget: pypdf sets up a new text
state for each (about 1 ms), so a form drawn a thousand times spends the budget."""
# Everything pypdf raises on damaged or hostile input.
READ_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, IndexError, RecursionError, OSError)
_LIMITS = {
    "zlib_maximum_output_length": MAX_STREAM_BYTES,
    "lzw_maximum_output_length": MAX_STREAM_BYTES,
    "run_length_maximum_output_length": MAX_STREAM_BYTES,
    "array_based_stream_maximum_output_length": MAX_STREAM_BYTES,
    "maximum_declared_stream_length": 4 * MAX_STREAM_BYTES,
}
_ACTIVE_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "Launch"}
_ACTIVE_NAMES = {b"JS", b"JavaScript", b"Launch"}
# A name starting like one of those (or with a #xx escape), up to a PDF delimiter.
_DELIMITERS = rb"\x00\t\n\x0c\r /<>\[\]()%{}"
_CANDIDATE = re.compile(rb"/([JL#][^" + _DELIMITERS + rb"]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def check_pdf(data: bytes) -> int:
    """Check that ``data`` is a readable, unencrypted PDF without active content.

    Returns its page count. :raises InvalidInput: with a Vietnamese message otherwise.
    """
    if b"%PDF-" not in data[:1024]:  # readers accept some junk before the header, not more
        raise _refuse(
            "Tệp chính phải là PDF (nội dung tệp không phải PDF)", "not_pdf", "Không phải tệp PDF"
        )
    with apply_configuration(**_LIMITS):
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise _refuse("Tệp PDF bị mã hóa, không thể lưu", "pdf_encrypted", "PDF bị mã hóa")
            pages = len(reader.pages)
            active = find_active_content(reader, data)
        except InvalidInput:
            raise
        except READ_ERRORS as e:
            raise _refuse("Tệp PDF bị hỏng, không đọc được", "pdf_malformed", "PDF bị hỏng") from e
    if active:
        raise _refuse(
            "Tệp PDF chứa mã tự chạy ({kind}), không được chấp nhận; hãy xuất lại tệp dạng PDF/A",
            "pdf_active_content",
            "PDF chứa mã tự chạy",
            kind=active,
        )
    return pages


def _refuse(message: str, code: str, field: str, **params: str) -> InvalidInput:
    return InvalidInput(message, code=code, fields={"file": field}, params=params)


def find_active_content(reader: PdfReader, data: bytes) -> str | None:
    """Return "JavaScript" or "Launch" when an action of that kind is in the file, else None.

    Cheap first: a name spelled /JS, /JavaScript or /Launch (#xx escapes decoded) is looked for
    in the raw bytes and in the decoded object streams. Only a file that has one (rare, and
    random binary data can look like one) has every object read to see whether it is an action.
    """
    if not _has_active_name(reader, data):
        return None
    for obj in _all_objects(reader):
        kind = _action_in(obj)
        if kind:
            return kind
    return None


def _is_active_name(raw: bytes) -> bool:
    return _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), raw) in _ACTIVE_NAMES


def _names_active(data: bytes) -> bool:
    return any(_is_active_name(m[1]) for m in _CANDIDATE.finditer(data))


def _has_active_name(reader: PdfReader, data: bytes) -> bool:
    if _names_active(data):
        return True
    holders = {holder for holder, _ in getattr(reader, "xref_objStm", {}).values()}
    for holder in holders:
        stream = reader.get_object(holder)
        if hasattr(stream, "get_data") and _names_active(stream.get_data()):
            return True
    return False


def _all_objects(reader: PdfReader) -> Iterator[object]:
    numbers = {(n, g) for g, table in reader.xref.items() for n in table}
    numbers |= {(n, 0) for n in getattr(reader, "xref_objStm", {})}
    for number, generation in sorted(numbers):
        yield reader.get_object(IndirectObject(number, generation, reader))


def _action_in(obj: object) -> str | None:
    """Return the active action kind found in ``obj`` or the dictionaries written inside it."""
    stack, visited = [obj], 0
    while stack and visited < 100_000:
        item = stack.pop()
        visited += 1
        if isinstance(item, DictionaryObject):
            kind = item.get("/S")
            kind = kind.get_object() if isinstance(kind, IndirectObject) else kind
            if kind in _ACTIVE_ACTIONS:
                return _ACTIVE_ACTIONS[str(kind)]
            if "/JS" in item:
                return "JavaScript"
            stack.extend(v for v in item.values() if not isinstance(v, IndirectObject))
        elif isinstance(item, ArrayObject):
            stack.extend(v for v in item if not isinstance(v, IndirectObject))
    return None


class _BudgetSpent(Exception):
    """Raised from inside pypdf's text extraction when the operator budget is spent."""


def extract_text(data: bytes, max_pages: int = 50, max_chars: int = 200_000) -> str:
    """Return the text of the first pages of a PDF for search, or "" when it cannot be read.

    Stops early (keeping what it has) when the pages' decoded content or the operators
    interpreted run over their budgets.
    """
    parts: list[str] = []
    content_left, operators = TEXT_CONTENT_BUDGET, [0]

    def count(operator: bytes, *_: object) -> None:
        operators[0] += FORM_DRAW_COST if operator == b"Do" else 1
        if operators[0] > TEXT_OPERATOR_BUDGET:
            raise _BudgetSpent

    with apply_configuration(**_LIMITS):
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                return ""
            for page in reader.pages[:max_pages]:
                contents = page.get_contents()
                content_left -= len(contents.get_data()) if contents is not None else 0
                if content_left < 0:
                    break
                parts.append(page.extract_text(visitor_operand_before=count) or "")
                if sum(map(len, parts)) > max_chars:
                    break
        except _BudgetSpent:
            pass
        except READ_ERRORS:
            pass
    return "\n".join(parts)[:max_chars]
