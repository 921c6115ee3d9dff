"""Hostile edXML messages, written as bytes so each one is exactly the attack it names.

A plausible edoc from Văn phòng Chính phủ (000.00.00.G22) to UBND tỉnh Nghệ An (000.00.00.H41) is
the base; each builder changes one thing. Big payloads (huge base64, a zip inflating to a
gigabyte) are built by the tests that need them with :func:`huge_base64` and :func:`zip_bomb`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zipfile
from xml.sax.saxutils import escape

from tests.data.hostile import pdfs

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
SENDER, RECIPIENT = "000.00.00.G22", "000.00.00.H41"
MB = 1024 * 1024


def field_values(**changes: str) -> dict[str, str]:
    """The text fields of the base edoc (raw text: escaped when written)."""
    return {
        "from_id": SENDER,
        "from_name": "Văn phòng Chính phủ",
        "to_id": RECIPIENT,
        "to_name": "UBND tỉnh Nghệ An",
        "document_id": f"{SENDER},2024/05/02,123/VPCP-TEST",
        "code_number": "123",
        "code_notation": "VPCP-TEST",
        "place": "Hà Nội",
        "type_name": "Công văn",
        "subject": "V/v triển khai kết nối trục liên thông văn bản",
        "content": "",
        "competence": "KT. BỘ TRƯỞNG",
        "position": "Thứ trưởng",
        "full_name": "Nguyễn Văn An",
        "page_amount": "2",
        "to_place": "Như trên",
    } | changes


def attachment(name: str, data: bytes, ctype: str = "application/pdf", cid: str = "") -> bytes:
    """One <Attachment> with ``data`` in base64 (the name written as given, escaped)."""
    cid = cid or "cid:" + hashlib.sha1(name.encode() + data).hexdigest()[:16]
    return (
        (
            "    <Attachment>\n"
            f"      <ContentId>{escape(cid)}</ContentId>\n"
            f"      <AttachmentName>{escape(name)}</AttachmentName>\n"
            f"      <ContentType>{escape(ctype)}</ContentType>\n"
            "      <ContentTransferEncoded>"
        ).encode()
        + base64.b64encode(data)
        + b"</ContentTransferEncoded>\n    </Attachment>\n"
    )


def edoc(
    attachments: bytes | None = None,
    *,
    raw: dict[str, str] | None = None,
    header_extra: str = "",
    prolog: bytes = b'<?xml version="1.0" encoding="UTF-8"?>\n',
    **changes: str,
) -> bytes:
    """The base edoc; ``changes`` are escaped text, ``raw`` is XML put in as it is.

    Each distinct message gets its own DocumentId (a digest of what differs), since the
    receiver registers one document per DocumentId.
    """
    if attachments is None:
        attachments = attachment("cong-van.pdf", pdfs.valid())
    digest = hashlib.sha1(repr((changes, raw, header_extra)).encode() + attachments)
    changes = {"document_id": f"{SENDER},2024/05/02,{digest.hexdigest()[:8]}/VPCP-TEST"} | changes
    v = {k: escape(x) for k, x in field_values(**changes).items()} | (raw or {})
    head = f"""<edXML xmlns="{NS}">
  <edXMLEnvelope>
    <edXMLHeader>
      <MessageHeader>
        <From><OrganId>{v["from_id"]}</OrganId><OrganName>{v["from_name"]}</OrganName></From>
        <To><OrganId>{v["to_id"]}</OrganId><OrganName>{v["to_name"]}</OrganName></To>
        <DocumentId>{v["document_id"]}</DocumentId>
        <Code><CodeNumber>{v["code_number"]}</CodeNumber><CodeNotation>{v["code_notation"]}</CodeNotation></Code>
        <PromulgationInfo><Place>{v["place"]}</Place><PromulgationDate>2024/05/02</PromulgationDate></PromulgationInfo>
        <DocumentType><Type>1</Type><TypeDetail>0</TypeDetail><TypeName>{v["type_name"]}</TypeName></DocumentType>
        <Subject>{v["subject"]}</Subject>
        <Content>{v["content"]}</Content>
        <SignerInfo><Competence>{v["competence"]}</Competence><Position>{v["position"]}</Position><FullName>{v["full_name"]}</FullName></SignerInfo>
        <OtherInfo><Priority>1</Priority><PageAmount>{v["page_amount"]}</PageAmount></OtherInfo>
        <ToPlaces><Place>{v["to_place"]}</Place></ToPlaces>{header_extra}
      </MessageHeader>
      <TraceHeaderList>
        <Bussiness><BussinessDocType>0</BussinessDocType><Paper>0</Paper></Bussiness>
        <TraceHeader><OrganId>{v["from_id"]}</OrganId><Timestamp>2024/05/02 09:15:00</Timestamp></TraceHeader>
      </TraceHeaderList>
    </edXMLHeader>
  </edXMLEnvelope>
  <AttachmentEncoded>
"""
    return prolog + head.encode() + attachments + b"  </AttachmentEncoded>\n</edXML>\n"


def status(code: str, description: str) -> bytes:
    """A status message about a document nobody here sent."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{NS}"><edXMLEnvelope><edXMLHeader><MessageHeader>
  <From><OrganId>{SENDER}</OrganId><OrganName>Văn phòng Chính phủ</OrganName></From>
  <ResponseFor><OrganId>{RECIPIENT}</OrganId><DocumentId>{escape(description[:50])}</DocumentId></ResponseFor>
  <StatusCode>{escape(code)}</StatusCode><Description>{escape(description)}</Description>
  <Timestamp>2024/05/02 09:15:00</Timestamp>
</MessageHeader></edXMLHeader></edXMLEnvelope></edXML>
""".encode()


# ----- entity tricks ------------------------------------------------------------------------


def billion_laughs() -> bytes:
    levels = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' if i else '<!ENTITY l0 "ha">' for i in range(10)
    )
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE edXML ['
        + levels.encode()
        + b"]>\n"
        + edoc().split(b"\n", 1)[1].replace(b"V/v tri", b"&l9;V/v tri")
    )


def quadratic_blowup() -> bytes:
    big = "A" * 50_000
    body = edoc(raw={"subject": "&a;" * 2000}).split(b"\n", 1)[1]
    return f'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY a "{big}">]>\n'.encode() + body


def external_entity() -> bytes:
    body = edoc(raw={"subject": "&xxe;"}).split(b"\n", 1)[1]
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + body
    )


def parameter_entity() -> bytes:
    dtd = b'<!DOCTYPE edXML [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>'
    return b'<?xml version="1.0"?>\n' + dtd + b"\n" + edoc().split(b"\n", 1)[1]


def doctype_after_bom_and_comment() -> bytes:
    return (
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- hi -->\n<!DOCTYPE edXML SYSTEM "file:///etc/passwd">\n'
        + edoc().split(b"\n", 1)[1]
    )


def xinclude() -> bytes:
    """XInclude is never processed: the include element is an unknown, ignored element."""
    include = '\n        <xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>'
    return edoc(header_extra=include)


# ----- size and shape -------------------------------------------------------------------------


def deep_nesting(depth: int = 5_000) -> bytes:
    return edoc(header_extra="\n        " + "<x>" * depth + "</x>" * depth)


def many_elements(count: int = 25_000) -> bytes:
    return edoc(header_extra="\n        " + "<x/>" * count)


def too_many_attachments(count: int = 101) -> bytes:
    return edoc(b"".join(attachment(f"tep-{i}.txt", b"x", "text/plain") for i in range(count)))


def huge_base64(decoded_bytes: int) -> bytes:
    """An attachment whose base64 decodes to ``decoded_bytes`` (built in the test, never stored)."""
    payload = base64.b64encode(bytes(3 * 1024)) * (decoded_bytes // (3 * 1024) + 1)
    return edoc(
        b"    <Attachment><ContentId>cid:big</ContentId><AttachmentName>lon.pdf</AttachmentName>"
        b"<ContentType>application/pdf</ContentType><ContentTransferEncoded>"
        + payload
        + b"</ContentTransferEncoded></Attachment>\n"
    )


def bad_base64() -> bytes:
    return edoc(
        b"    <Attachment><ContentId>cid:x</ContentId><AttachmentName>a.pdf</AttachmentName>"
        b"<ContentType>application/pdf</ContentType><ContentTransferEncoded>JVBERi0x$$$!!!"
        b"</ContentTransferEncoded></Attachment>\n"
    )


# ----- encodings --------------------------------------------------------------------------------


def utf16() -> bytes:
    return edoc().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


def latin1_declared() -> bytes:
    return edoc().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')


def invalid_utf8() -> bytes:
    return edoc().replace(b"V/v tri", b"V/v \xff\xfe\xc3( tri")


def nul_reference() -> bytes:
    return edoc(raw={"subject": "V/v &#0; thử"})


def control_reference() -> bytes:
    return edoc(raw={"subject": "V/v &#x1B;[31m thử"})


# ----- zip attachments ---------------------------------------------------------------------------


def _zip(entries: dict[str, bytes], *, level: int = 9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 2, 9, 15, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def _main() -> bytes:
    return attachment("cong-van.pdf", pdfs.valid())


def zip_bomb(unzipped_bytes: int) -> bytes:
    """A zipped attachment of ``unzipped_bytes`` zeros, labelled as a zipped .xlsx (written in
    1 MB pieces, so building a gigabyte bomb takes a megabyte of memory)."""
    buf, chunk = io.BytesIO(), bytes(MB)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        info = zipfile.ZipInfo("bang-tinh.xlsx", date_time=(2024, 5, 2, 9, 15, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=unzipped_bytes > 2**31) as entry:
            for start in range(0, unzipped_bytes, MB):
                entry.write(chunk[: min(MB, unzipped_bytes - start)])
    return edoc(attachment("bang-tinh.xlsx", buf.getvalue(), "application/zip"))


def zip_lying_about_size() -> bytes:
    """20 MB of zeros whose local and central headers both claim 100 bytes."""
    data = bytearray(_zip({"bang-tinh.xlsx": bytes(20 * MB)}))
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        struct.pack_into("<I", data, at + size_offset, 100)
    return edoc(attachment("bang-tinh.xlsx", bytes(data), "application/zip"))


def zip_many_entries(count: int = 100) -> bytes:
    entries = {f"tep-{i}.txt": b"x" for i in range(count)}
    return edoc(attachment("nhieu-tep.xlsx", _zip(entries), "application/zip"))


def zip_nested() -> bytes:
    """A .zip inside a .zip inside a .zip: kept as the file it is, never unzipped by us."""
    inner = _zip({"c.zip": _zip({"b.zip": _zip({"a.txt": bytes(MB)})})})
    return edoc(_main() + attachment("ho-so.zip", inner, "application/zip"))


def zip_traversal_entry() -> bytes:
    inner = _zip({"../../../../tmp/evil.docx": b"PK not really"})
    return edoc(_main() + attachment("du-thao.docx", inner, "application/zip"))


def zip_encrypted_entry() -> bytes:
    data = bytearray(_zip({"bang-tinh.xlsx": b"secret" * 100}))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        struct.pack_into("<H", data, at + flag_offset, 0x1)
    return edoc(attachment("bang-tinh.xlsx", bytes(data), "application/zip"))


# ----- names and text ----------------------------------------------------------------------------

HOSTILE_NAMES = (
    "../../../../etc/passwd.pdf",
    "..\\..\\Windows\\System32\\drivers\\etc\\hosts.pdf",
    "C:\\boot.ini.pdf",
    "..",
    "<script>alert(1)</script>.docx",
    "hoa-don\u202eexe.pdf",
    "tab\there\u0085next.docx",
    "CON.docx",
    "x" * 5000 + ".docx",
)


def hostile_file_names() -> bytes:
    main = attachment("../../cong-van.pdf", pdfs.valid())
    others = b"".join(
        attachment(name, f"tep {i}".encode(), "application/octet-stream", f"cid:n{i}")
        for i, name in enumerate(HOSTILE_NAMES)
    )
    return edoc(main + others)


def text_injection(strings: dict[str, str]) -> bytes:
    """Every text field carries one of the hostile strings (see strings.json)."""
    keys = [
        "from_name", "subject", "content", "place", "type_name", "competence",
        "position", "full_name", "to_place", "code_notation",
    ]  # fmt: skip
    values = list(strings.values())
    return edoc(**{k: values[i % len(values)] for i, k in enumerate(keys)})


def overlong_fields() -> bytes:
    return edoc(
        from_id="9" * 300,
        from_name="",
        document_id="D" * 5000,
        code_number="1" * 50,
        code_notation="QĐ-" + "X" * 200,
        subject="Trích yếu rất dài " * 1000,
        full_name="Nguyễn " * 500,
        position="Chức vụ " * 500,
        type_name="Loại " * 500,
        to_place="Nơi nhận " * 500,
        page_amount="99999999999999999999",
    )


def pdf_attached(name: str) -> bytes:
    """The base edoc carrying one of the hostile PDFs as its main file."""
    return edoc(attachment("cong-van.pdf", pdfs.SMALL[name]()))


def attachment_over_policy(size: int) -> bytes:
    """A good PDF and a second attachment of ``size`` bytes (over the registry's limit)."""
    return edoc(
        attachment("cong-van.pdf", pdfs.valid())
        + attachment("phu-luc.docx", b"PK" + bytes(size), "application/octet-stream")
    )
