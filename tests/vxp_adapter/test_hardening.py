"""Hostile input: entities, DTDs, sizes, element counts, zip bombs, encodings."""

from __future__ import annotations

import base64
import io
import os
import struct
import zipfile

import pytest

from vxp_adapter.edxml_parse import parse_edoc, parse_message
from vxp_adapter.errors import InvalidMessage, Problem
from vxp_adapter.xmlsafe import MB, Limits, parse_xml

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def edxml(attachments: str = "", subject: str = "V/v thử") -> bytes:
    """A minimal valid edoc with the given <Attachment> elements."""
    encoded = f"<AttachmentEncoded>{attachments}</AttachmentEncoded>" if attachments else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="{NS}"><edXMLEnvelope><edXMLHeader>'
        "<MessageHeader><From><OrganId>000.00.00.G22</OrganId></From>"
        "<To><OrganId>000.00.00.H41</OrganId></To>"
        "<Code><CodeNumber>1</CodeNumber><CodeNotation>VPCP</CodeNotation></Code>"
        "<PromulgationInfo><PromulgationDate>2024/05/02</PromulgationDate></PromulgationInfo>"
        f"<Subject>{subject}</Subject></MessageHeader></edXMLHeader></edXMLEnvelope>"
        f"{encoded}</edXML>"
    ).encode()


def attachment(name: str, ctype: str, payload: bytes) -> str:
    b64 = base64.b64encode(payload).decode()
    return (
        f"<Attachment><ContentId>cid:{name}</ContentId><AttachmentName>{name}</AttachmentName>"
        f"<ContentType>{ctype}</ContentType><ContentTransferEncoded>{b64}</ContentTransferEncoded>"
        "</Attachment>"
    )


def zipped(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def problem(data: bytes, limits: Limits | None = None) -> Problem:
    with pytest.raises(InvalidMessage) as e:
        parse_message(data, limits or Limits())
    return e.value.code


def test_minimal_message_parses() -> None:
    assert parse_edoc(edxml()).subject == "V/v thử"


def test_billion_laughs_is_refused_before_parsing() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    assert problem(bomb) is Problem.DOCTYPE


def test_doctype_after_comments_and_processing_instructions_is_found() -> None:
    data = b'<?xml version="1.0"?>\n<!-- x --><?pi y?>\n<!DOCTYPE edXML SYSTEM "file:///etc/passwd"><edXML/>'
    assert problem(data) is Problem.DOCTYPE


def test_undefined_entity_is_not_resolved() -> None:
    assert problem(edxml(subject="&xxe;")) is Problem.MALFORMED


def test_character_references_still_work() -> None:
    assert parse_edoc(edxml(subject="V/v &#7855; &amp; &lt;")).subject == "V/v ắ & <"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", Problem.MALFORMED),
        (b"   ", Problem.MALFORMED),
        ("<edXML/>".encode("utf-16"), Problem.ENCODING),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><edXML/>', Problem.ENCODING),
        (b"<edXML>\xff</edXML>", Problem.MALFORMED),
        (b"<other/>", Problem.NOT_EDXML),
        (f'<edXML xmlns="{NS}"><Nothing/></edXML>'.encode(), Problem.NOT_EDXML),
        (f'<edXML xmlns="{NS}"><edXMLEnvelope/></edXML>'.encode(), Problem.MISSING_FIELD),
        (b'<edXML><edXMLEnvelope xmlns="urn:other"/></edXML>', Problem.WRONG_NAMESPACE),
    ],
)
def test_bad_documents(data: bytes, code: Problem) -> None:
    assert problem(data) is code


def test_message_size_limit() -> None:
    assert problem(edxml(), Limits(max_message_bytes=100)) is Problem.TOO_LARGE


def test_element_count_limit_applies_while_parsing() -> None:
    many = b"<edXML>" + b"<x/>" * 5000 + b"</edXML>"
    with pytest.raises(InvalidMessage) as e:
        parse_xml(many, Limits(max_elements=1000))
    assert e.value.code is Problem.TOO_MANY_ELEMENTS


def test_excessive_depth_is_refused() -> None:
    deep = b"<a>" * 400 + b"</a>" * 400
    with pytest.raises(InvalidMessage) as e:
        parse_xml(deep)
    assert e.value.code is Problem.MALFORMED


def test_large_attachment_text_is_read_without_huge_tree() -> None:
    # libxml2 caps one text node at 10 MB unless huge_tree is on; attachments may be bigger.
    big = os.urandom(8 * MB)
    (att,) = parse_edoc(edxml(attachment("lon.pdf", "application/pdf", big))).attachments
    assert att.data == big


def test_attachment_count_and_size_limits() -> None:
    two = edxml(
        attachment("a.pdf", "application/pdf", b"1") + attachment("b.pdf", "application/pdf", b"2")
    )
    assert problem(two, Limits(max_attachments=1)) is Problem.TOO_MANY_ATTACHMENTS
    big = edxml(attachment("a.pdf", "application/pdf", b"x" * 5000))
    assert problem(big, Limits(max_attachment_bytes=1000)) is Problem.ATTACHMENT_TOO_LARGE


def test_zip_ratio_bomb() -> None:
    bomb = zipped({"x.xlsx": bytes(20 * MB)})
    assert len(bomb) < 100_000
    assert problem(edxml(attachment("x.xlsx", "application/zip", bomb))) is Problem.ZIP_BOMB


def test_zip_entry_larger_than_allowed() -> None:
    payload = zipped({"x.txt": os.urandom(1000) * 600})  # 600 kB, compresses well
    assert (
        problem(
            edxml(attachment("x.txt", "application/zip", payload)),
            Limits(max_attachment_bytes=200_000),
        )
        is Problem.ZIP_BOMB
    )


def test_zip_entry_lying_about_its_size_is_refused() -> None:
    payload = bytearray(zipped({"x.txt": os.urandom(1000) * 600}))
    # Declare 10 bytes in the central directory: inflating stops there and the CRC fails.
    cd = payload.find(b"PK\x01\x02")
    payload[cd + 24 : cd + 28] = struct.pack("<I", 10)
    data = edxml(attachment("x.txt", "application/zip", bytes(payload)))
    assert problem(data) is Problem.ATTACHMENT_CORRUPT


def test_total_unzipped_budget_per_message() -> None:
    one = zipped({"a.txt": os.urandom(150_000)})
    data = edxml(
        attachment("a.txt", "application/zip", one) + attachment("b.txt", "application/zip", one)
    )
    assert problem(data, Limits(max_total_unzipped_bytes=200_000)) is Problem.ZIP_BOMB
    assert len(parse_edoc(data, Limits(max_total_unzipped_bytes=400_000)).attachments) == 2


def test_too_many_zip_entries() -> None:
    payload = zipped({f"f{i}.txt": b"x" for i in range(40)})
    assert problem(edxml(attachment("x.txt", "application/zip", payload))) is Problem.ZIP_BOMB


def test_encrypted_zip_entry_is_refused() -> None:
    payload = bytearray(zipped({"x.txt": b"secret"}))
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = payload.find(sig) + offset
        payload[at] |= 0x01  # the "encrypted" flag bit
    assert (
        problem(edxml(attachment("x.txt", "application/zip", bytes(payload))))
        is Problem.ATTACHMENT_CORRUPT
    )


def test_labelled_zip_that_is_not_a_zip_is_corrupt() -> None:
    assert (
        problem(edxml(attachment("x.txt", "application/zip", b"not a zip")))
        is Problem.ATTACHMENT_CORRUPT
    )


def test_raw_office_files_are_not_mistaken_for_zipped_ones() -> None:
    docx = zipped({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"})
    real_zip = zipped({"a.txt": b"a"})
    data = edxml(
        attachment(
            "to-trinh.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            docx,
        )
        + attachment("ho-so.zip", "application/zip", real_zip)
    )
    first, second = parse_edoc(data).attachments
    assert first.data == docx and not first.transfer_zipped
    assert second.data == real_zip and not second.transfer_zipped


def test_unlabelled_zip_with_one_matching_entry_is_unzipped() -> None:
    data = edxml(attachment("cv.pdf", "application/pdf", zipped({"abc.pdf": b"%PDF-1.4 z"})))
    (att,) = parse_edoc(data).attachments
    assert att.data == b"%PDF-1.4 z" and att.transfer_zipped


def test_path_components_are_stripped_from_names() -> None:
    (att,) = parse_edoc(edxml(attachment("../../etc/passwd", "text/plain", b"x"))).attachments
    assert att.name == "passwd"


@pytest.mark.parametrize(
    ("b64", "expected"),
    [
        ("JVBERi0x\nLjcK", b"%PDF-1.7\n"),  # wrapped lines, as some senders write
        ("JVBERi0xLjcK=", b"%PDF-1.7\n"),  # surplus padding: still read, as before the SIMD path
    ],
)
def test_base64_variants_seen_in_traffic_are_read(b64: str, expected: bytes) -> None:
    att = (
        "<Attachment><ContentId>cid:a</ContentId><AttachmentName>a.pdf</AttachmentName>"
        f"<ContentType>application/pdf</ContentType><ContentTransferEncoded>{b64}"
        "</ContentTransferEncoded></Attachment>"
    )
    assert parse_edoc(edxml(att)).attachments[0].data == expected


@pytest.mark.parametrize("b64", ["JVBERi0x*jcK", "JVBERi0xLjc", "=JVBERi0xLjcK", "JVBE=i0xLjcK"])
def test_bad_base64_is_refused(b64: str) -> None:
    att = (
        "<Attachment><ContentId>cid:a</ContentId><AttachmentName>a.pdf</AttachmentName>"
        f"<ContentType>application/pdf</ContentType><ContentTransferEncoded>{b64}"
        "</ContentTransferEncoded></Attachment>"
    )
    with pytest.raises(InvalidMessage) as err:
        parse_edoc(edxml(att))
    assert err.value.code == Problem.BAD_BASE64
