"""Opening PDFs with typed errors, and the checks every operation runs first (internal)."""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError as PyhankoPdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from signing.errors import BrokenSignature, EncryptedPdf, FieldMissing, MalformedPdf

# Everything the PDF parser may raise on hostile or damaged input.
PARSE_ERRORS = (
    PyhankoPdfError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    RecursionError,  # objects nested thousands deep
)


def open_reader(pdf: bytes, *, strict: bool = True) -> PdfFileReader:
    """Parse a PDF for reading.

    :raises MalformedPdf: when it does not parse.
    :raises EncryptedPdf: when it is encrypted.
    """
    if b"%PDF-" not in pdf[:1024]:  # readers accept some junk before the header, not more
        raise MalformedPdf("thiếu tiêu đề %PDF-")
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=strict)
        encrypted = reader.encrypted
        if not encrypted:
            _ = reader.root["/Pages"]
    except PARSE_ERRORS as e:
        raise MalformedPdf(str(e)) from e
    if encrypted:
        raise EncryptedPdf()
    return reader


def open_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """Open a PDF for an incremental update (the original bytes stay a prefix of the output).

    :raises MalformedPdf: when it does not parse.
    :raises EncryptedPdf: when it is encrypted.
    """
    return IncrementalPdfFileWriter.from_reader(open_reader(pdf))


def input_bytes(reader: PdfFileReader) -> bytes:
    """Return the bytes a reader from :func:`open_reader` was opened on."""
    return reader.stream.getvalue()


def _signed_digest(emb: EmbeddedPdfSignature) -> bytes | None:
    eci = emb.signed_data["encap_content_info"]
    if eci["content_type"].native == "tst_info":
        return eci["content"].parsed["message_imprint"]["hashed_message"].native
    for attr in emb.signer_info["signed_attrs"]:
        if attr["type"].native == "message_digest":
            return attr["values"][0].native
    return None


def ensure_signatures_intact(reader: PdfFileReader) -> int:
    """Check that every existing signature still matches the bytes it covers; return how many.

    Only the document digest and the byte-range coverage are checked (cheap); trust and
    modification analysis are the job of :mod:`signing.validation`.

    :raises BrokenSignature: when one does not.
    """
    try:
        signatures = reader.embedded_signatures
        for emb in signatures:
            if emb.compute_digest() != _signed_digest(emb):
                raise BrokenSignature(f"trường {emb.field_name}")
            if emb.evaluate_signature_coverage() < SignatureCoverageLevel.ENTIRE_REVISION:
                raise BrokenSignature(f"trường {emb.field_name}: phạm vi ký bất thường")
    except PARSE_ERRORS as e:
        raise BrokenSignature(str(e)) from e
    return len(signatures)


def signature_field(reader: PdfFileReader, name: str) -> tuple[bool, generic.DictionaryObject]:
    """Return (filled, field dictionary) of the signature field called ``name``.

    :raises FieldMissing: when there is no such field.
    """
    for field_name, value, field_ref in enumerate_sig_fields(reader, with_name=name):
        if field_name == name:
            return value is not None, field_ref.get_object()
    raise FieldMissing(f"trường chữ ký {name!r}")


def iter_fields(reader_or_writer) -> list[tuple[str, generic.IndirectObject]]:
    """Return (fully qualified name, reference) of every terminal form field."""
    root = reader_or_writer.root
    try:
        fields = root["/AcroForm"]["/Fields"]
    except KeyError:
        return []
    found: list[tuple[str, generic.IndirectObject]] = []

    def walk(refs, prefix: str) -> None:
        for ref in refs:
            field = ref.get_object()
            partial = field.get("/T")
            name = f"{prefix}.{partial}" if prefix and partial else (partial or prefix)
            kids = field.get("/Kids")
            if kids and any("/T" in k.get_object() for k in kids):
                walk(kids, name)
            else:
                found.append((str(name), ref))

    walk(fields, "")
    return found


def page_count(reader) -> int:
    return int(reader.root["/Pages"]["/Count"])


def resolve_page(reader, page: int) -> int:
    """Return the 0-based index of ``page`` (negative counts from the end).

    :raises FieldMissing: when the page does not exist.
    """
    count = page_count(reader)
    index = page + count if page < 0 else page
    if not 0 <= index < count:
        raise FieldMissing(f"trang {page + 1 if page >= 0 else page} không tồn tại")
    return index


def page_box(reader, index: int) -> tuple[float, float, float, float]:
    """Return the (x0, y0, x1, y1) media box of a page."""
    page_ref, _ = reader.find_page_for_modification(index)
    node = page_ref.get_object()
    while "/MediaBox" not in node and "/Parent" in node:  # the box may be inherited
        node = node["/Parent"]
    box = node.get("/MediaBox") or [0, 0, 595.28, 841.89]
    return tuple(float(v) for v in box)  # type: ignore[return-value]  # always four numbers
