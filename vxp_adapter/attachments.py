"""Attachment payloads: how files travel (raw or zipped, base64) and how to read them safely."""

from __future__ import annotations

import binascii
import io
import lzma
import mimetypes
import struct
import zipfile
import zlib
from dataclasses import dataclass

import pybase64

from vxp_adapter.errors import InvalidMessage, Problem
from vxp_adapter.model import Attachment
from vxp_adapter.xmlsafe import MB, Limits, Node

ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed", "application/x-zip"})
_ZIP_MAGIC = b"PK\x03\x04"
# What zipfile raises on a damaged or crafted archive (found by fuzzing: a header offset that
# makes it seek before the start raises ValueError, a corrupt deflate stream zlib.error).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    OverflowError,
)
_RATIO_FLOOR = 1 * MB
"""Below this unzipped size the ratio bound is not applied (small text zips very well)."""

_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
    "txt": "text/plain",
    "xml": "application/xml",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tif": "image/tiff",
    "tiff": "image/tiff",
}
# What the VNPT library sends raw; everything else it zips (vxp-edxml.md §4).
_SENT_RAW = frozenset({"pdf", "doc", "docx", "zip"})


def extension(name: str) -> str:
    """Return the lower-case extension of a file name, without the dot."""
    base = name.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def guess_type(name: str) -> str:
    """Return the MIME type for a file name (application/octet-stream when unknown)."""
    ext = extension(name)
    if ext in _TYPES:
        return _TYPES[ext]
    guessed, _ = mimetypes.guess_type(f"x.{ext}", strict=True) if ext else (None, None)
    return guessed or "application/octet-stream"


def safe_name(name: str, fallback: str) -> str:
    """Return the last path component of a remote file name, without control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base if base not in ("", ".", "..") else fallback


@dataclass(frozen=True)
class WirePayload:
    """An attachment as it goes on the wire."""

    content_type: str
    """`Attachment/ContentType`: the file's type, or application/zip when zipped."""
    base64: bytes
    """The payload, base64 on one line (ASCII)."""
    zipped: bool


def encode_for_wire(name: str, data: bytes, content_type: str, content_id: str) -> WirePayload:
    """Encode a file as the VNPT library does: PDF, Word and zip raw, anything else zipped."""
    ext = extension(name)
    if ext in _SENT_RAW:
        ctype = "application/pdf" if ext == "pdf" else (content_type or guess_type(name))
        return WirePayload(ctype, pybase64.b64encode(data), zipped=False)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        entry = f"{content_id}.{ext}" if ext else content_id
        info = zipfile.ZipInfo(entry, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, data)
    return WirePayload("application/zip", pybase64.b64encode(buf.getvalue()), zipped=True)


@dataclass
class UnzipBudget:
    """What is left of a message's total unzipped allowance."""

    remaining: int


@dataclass(frozen=True)
class DecodedFile:
    """A received attachment after decoding (and unzipping when it travelled zipped)."""

    data: bytes
    content_type: str
    zipped: bool
    inner_name: str = ""


def decode_base64(text: str | list[str], limits: Limits) -> bytes:
    """Decode (possibly wrapped) base64 within the per-attachment bound.

    The parser hands the text over in the chunks it read; encoding them one by one avoids
    one more copy of a large payload (fresh large buffers cost page faults).

    :raises InvalidMessage: too large or not base64.
    """
    chunks = [text] if isinstance(text, str) else text
    if sum(map(len, chunks)) // 4 * 3 > limits.max_attachment_bytes:
        _check_decoded_size(chunks, limits)  # before any copy of an oversized payload
    try:
        raw = b"".join([chunk.encode("ascii") for chunk in chunks])
    except UnicodeEncodeError as e:
        raise InvalidMessage(Problem.BAD_BASE64, "ký tự ngoài bảng base64") from e
    if any(ws in raw for ws in (b"\n", b" ", b"\r", b"\t")):
        raw = raw.translate(None, b" \t\r\n")
    if len(raw) // 4 * 3 > limits.max_attachment_bytes:
        raise InvalidMessage(Problem.ATTACHMENT_TOO_LARGE, f"> {limits.max_attachment_bytes} byte")
    return b64decode_strict(raw)


def b64decode_strict(raw: bytes) -> bytes:
    """Decode base64 without whitespace, refusing anything outside the alphabet.

    pybase64's SIMD decoder is 30-40 times faster than binascii (which alone would take most
    of the 5 ms a 1 MB message may cost). It also refuses surplus padding ("AAAA="), which
    binascii's strict mode lets through, so a refusal is checked again there: what was
    accepted before is still accepted.

    :raises InvalidMessage: not base64.
    """
    try:
        return pybase64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return binascii.a2b_base64(raw, strict_mode=True)
    except binascii.Error as e:
        raise InvalidMessage(Problem.BAD_BASE64, str(e)) from e


def _check_decoded_size(chunks: list[str], limits: Limits) -> None:
    """:raises InvalidMessage: the payload, white space aside, decodes to more than allowed."""
    blanks = sum(c.count(" ") + c.count("\n") + c.count("\r") + c.count("\t") for c in chunks)
    if (sum(map(len, chunks)) - blanks) // 4 * 3 > limits.max_attachment_bytes:
        raise InvalidMessage(Problem.ATTACHMENT_TOO_LARGE, f"> {limits.max_attachment_bytes} byte")


def decode_payload(
    name: str, content_type: str, payload: bytes, limits: Limits, budget: UnzipBudget
) -> DecodedFile:
    """Return the file a payload carries, unzipping it when it travelled zipped.

    A payload is unzipped when it is labelled zip (or merely starts like a zip) and its name is
    not `.zip`, and the archive holds exactly one file; a sniffed zip (no zip label) must also
    have an entry with the name's extension, so a raw .docx or .xlsx stays as it is.

    :raises InvalidMessage: a labelled zip is corrupt, too big, or a zip bomb.
    """
    labelled = content_type.lower() in ZIP_TYPES
    if extension(name) == "zip" or not (labelled or payload.startswith(_ZIP_MAGIC)):
        return DecodedFile(payload, content_type or guess_type(name), zipped=False)
    try:
        zf = zipfile.ZipFile(io.BytesIO(payload))
        infos = zf.infolist()
    except _ZIP_ERRORS as e:
        if labelled:
            raise InvalidMessage(Problem.ATTACHMENT_CORRUPT, f"{name}: {e}") from e
        return DecodedFile(payload, content_type or guess_type(name), zipped=False)
    # Not ZipInfo.is_dir(): it fails on an entry with an empty name (found by fuzzing).
    files = [i for i in infos if not i.filename.endswith("/")]
    if labelled and len(infos) > limits.max_zip_entries:
        raise InvalidMessage(Problem.ZIP_BOMB, f"{name}: {len(infos)} mục")
    single = len(files) == 1 and (labelled or extension(files[0].filename) == extension(name))
    if not single:
        return DecodedFile(payload, content_type or guess_type(name), zipped=False)
    data = _read_entry(zf, files[0], name, limits, budget)
    inner = safe_name(files[0].filename, "")
    return DecodedFile(data, guess_type(name if extension(name) else inner), True, inner)


def _read_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: Limits, budget: UnzipBudget
) -> bytes:
    """Read one zip entry without trusting its declared sizes."""
    cap = min(limits.max_attachment_bytes, budget.remaining)
    if info.flag_bits & 0x1:
        raise InvalidMessage(Problem.ATTACHMENT_CORRUPT, f"{name}: tệp nén có mật khẩu")
    if info.file_size > cap:
        raise InvalidMessage(Problem.ZIP_BOMB, f"{name}: {info.file_size} byte")
    _check_ratio(info.file_size, info.compress_size, name, limits)
    out = bytearray()
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(256 * 1024):
                out += chunk
                if len(out) > cap:
                    raise InvalidMessage(Problem.ZIP_BOMB, f"{name}: > {cap} byte")
                _check_ratio(len(out), info.compress_size, name, limits)
    except _ZIP_ERRORS as e:
        raise InvalidMessage(Problem.ATTACHMENT_CORRUPT, f"{name}: {e}") from e
    budget.remaining -= len(out)
    return bytes(out)


def _check_ratio(size: int, compressed: int, name: str, limits: Limits) -> None:
    if size > _RATIO_FLOOR and size > limits.max_zip_ratio * max(compressed, 1):
        raise InvalidMessage(Problem.ZIP_BOMB, f"{name}: tỉ lệ nén > {limits.max_zip_ratio}")


def normalize_cid(value: str) -> str:
    """Strip every leading `cid:` (the VNPT library writes `cid:cid:<uuid>`) and angle brackets."""
    value = value.strip().strip("<>").strip()
    while value[:4].lower() == "cid:":
        value = value[4:].strip().strip("<>").strip()
    return value


def read_attachments(
    root: Node, envelope: Node, limits: Limits, warnings: list[str]
) -> tuple[Attachment, ...]:
    """Read the attachments of an edoc (outside the envelope, or inside as some senders do).

    :raises InvalidMessage: too many, not base64, too large, corrupt, or a zip bomb.
    """
    nodes = [a for holder in root.all("AttachmentEncoded") for a in holder.all("Attachment")]
    inside = [a for holder in envelope.all("AttachmentEncoded") for a in holder.all("Attachment")]
    if inside:
        warnings.append("Tệp đính kèm nằm trong edXMLEnvelope")
    nodes += inside
    if len(nodes) > limits.max_attachments:
        raise InvalidMessage(
            Problem.TOO_MANY_ATTACHMENTS, f"{len(nodes)} > {limits.max_attachments}"
        )
    refs = _manifest(envelope)
    budget = UnzipBudget(limits.max_total_unzipped_bytes)
    result: list[Attachment] = []
    for index, node in enumerate(nodes, 1):
        cid = normalize_cid(node.text_of("ContentId"))
        ref = refs.pop(cid, None)
        name = node.text_of("AttachmentName") or (ref.text_of("AttachmentName") if ref else "")
        name = safe_name(name, f"tep-dinh-kem-{index}")
        encoded = node.child("ContentTransferEncoded")
        if encoded is None:
            raise InvalidMessage(
                Problem.MISSING_FIELD, f"Attachment/ContentTransferEncoded ({name})"
            )
        payload = decode_base64(encoded.parts, limits)
        decoded = decode_payload(name, node.text_of("ContentType"), payload, limits, budget)
        description = node.text_of("Description") or (ref.text_of("Description") if ref else "")
        result.append(
            Attachment(name, decoded.data, decoded.content_type, description, cid, decoded.zipped)
        )
    for cid in refs:
        warnings.append(f"Manifest tham chiếu tệp không có trong gói tin: {cid}")
    return tuple(result)


def _manifest(envelope: Node) -> dict[str, Node]:
    body = envelope.child("edXMLBody")
    manifest = body.child("edXMLManifest") if body is not None else None
    if manifest is None:
        return {}
    return {normalize_cid(ref.text_of("ContentId")): ref for ref in manifest.all("Reference")}
