"""What we emit: the VNPT library's shape, our XSD, and the build rules."""

from __future__ import annotations

import base64
import dataclasses
import io
import zipfile
from datetime import date, datetime

import pytest
from lxml import etree

from vxp_adapter.codes import NS, BusinessDocType
from vxp_adapter.dates import VN_TZ
from vxp_adapter.edxml_build import build_edoc, build_status
from vxp_adapter.edxml_parse import parse_edoc, parse_status
from vxp_adapter.errors import InvalidMessage, Problem
from vxp_adapter.messages import reference_to, status
from vxp_adapter.model import (
    Attachment,
    Business,
    DocumentUpdate,
    Organization,
    Receiver,
    ResponseFor,
    StaffInfo,
)
from vxp_adapter.schema import validate

Q = f"{{{NS}}}"


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _names(element: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in element]


def test_namespace_layout_and_prefixes(edoc_factory) -> None:
    data = build_edoc(edoc_factory())
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="' + NS.encode())
    assert f'<edXML:edXMLEnvelope xmlns:edXML="{NS}">'.encode() in data
    root = _tree(data)
    assert root.nsmap == {None: NS}
    assert all(el.prefix == "edXML" for el in root[0].iter())
    assert _names(root) == ["edXMLEnvelope", "AttachmentEncoded"]  # attachments outside
    encoded = root.find(f"{Q}AttachmentEncoded/{Q}Attachment/{Q}ContentTransferEncoded")
    assert encoded is not None and encoded.prefix == "edXML"
    assert b'<edXML:ContentTransferEncoded xmlns:edXML="' in data


def test_message_header_in_sdk_order(edoc_factory) -> None:
    edoc = edoc_factory(
        recipients=(Organization("000.00.00.H41", "A"), Organization("000.00.00.H49", "B")),
        due_date=date(2024, 5, 10),
        content="Nội dung",
        to_places=("Như trên",),
        response_for=(ResponseFor("000.00.00.H41", "000.00.00.H41,2024/04/01,9/UBND", "9/UBND"),),
    )
    header = _tree(build_edoc(edoc)).find(f"{Q}edXMLEnvelope/{Q}edXMLHeader/{Q}MessageHeader")
    assert _names(header) == [
        "From", "To", "To", "DocumentId", "Code", "PromulgationInfo", "DocumentType", "Subject",
        "Content", "SignerInfo", "DueDate", "OtherInfo", "ResponseFor", "SteeringType", "ToPlaces",
    ]  # fmt: skip
    assert _names(header.find(f"{Q}From")) == ["OrganId", "OrganName", "Email"]
    assert _names(header.find(f"{Q}OtherInfo")) == ["Priority", "PageAmount", "Direction"]
    assert header.findtext(f"{Q}OtherInfo/{Q}Direction") == "false"  # always written
    assert header.findtext(f"{Q}PromulgationInfo/{Q}PromulgationDate") == "2024/05/02"
    assert header.findtext(f"{Q}DueDate") == "2024/05/10"
    assert header.findtext(f"{Q}DocumentId") == "000.00.00.G22,2024/05/02,123/VPCP-TEST"


def test_bussiness_spelling_before_trace_header(edoc_factory) -> None:
    data = build_edoc(edoc_factory())
    trace_list = _tree(data).find(f"{Q}edXMLEnvelope/{Q}edXMLHeader/{Q}TraceHeaderList")
    assert _names(trace_list) == ["Bussiness", "TraceHeader"]
    assert b"<edXML:Business>" not in data
    assert trace_list.findtext(f"{Q}TraceHeader/{Q}Timestamp") == "2024/05/02 09:15:00"
    business = trace_list.find(f"{Q}Bussiness")
    assert business.findtext(f"{Q}BussinessDocReason") == "Văn bản điện tử mới"
    assert _names(business.find(f"{Q}StaffInfo")) == ["Department", "Staff", "Email", "Mobile"]


def test_timestamps_are_written_in_vietnam_time(edoc_factory) -> None:
    from datetime import UTC

    from vxp_adapter.model import TraceHeader

    edoc = edoc_factory(
        traces=(TraceHeader("000.00.00.G22", datetime(2024, 5, 2, 2, 15, tzinfo=UTC)),)
    )
    assert b"<edXML:Timestamp>2024/05/02 09:15:00</edXML:Timestamp>" in build_edoc(edoc)


def test_pdf_goes_raw_and_other_files_zipped_as_the_vnpt_library_does(edoc_factory) -> None:
    files = (
        Attachment(
            "cv.pdf", b"%PDF-1.7 x", content_type="application/octet-stream", content_id="p1"
        ),
        Attachment("bang.xlsx", b"xlsx-bytes", content_id="x1", description="Bảng"),
        Attachment("to-trinh.docx", b"PK\x03\x04docx", content_id="d1"),
    )
    root = _tree(build_edoc(edoc_factory(attachments=files)))
    atts = root.findall(f"{Q}AttachmentEncoded/{Q}Attachment")
    types = [a.findtext(f"{Q}ContentType") for a in atts]
    assert types[0] == "application/pdf"
    assert types[1] == "application/zip"
    assert types[2].endswith("wordprocessingml.document")
    assert base64.b64decode(atts[0].findtext(f"{Q}ContentTransferEncoded")) == b"%PDF-1.7 x"
    with zipfile.ZipFile(
        io.BytesIO(base64.b64decode(atts[1].findtext(f"{Q}ContentTransferEncoded")))
    ) as zf:
        assert zf.namelist() == ["x1.xlsx"]
        assert zf.read("x1.xlsx") == b"xlsx-bytes"
    refs = root.findall(f"{Q}edXMLEnvelope/{Q}edXMLBody/{Q}edXMLManifest/{Q}Reference")
    assert [r.findtext(f"{Q}ContentId") for r in refs] == ["cid:p1", "cid:x1", "cid:d1"]
    assert [a.findtext(f"{Q}ContentId") for a in atts] == ["cid:p1", "cid:x1", "cid:d1"]
    # The manifest carries the file's own type (the VNPT library's "always zip" is a bug).
    assert refs[1].findtext(f"{Q}ContentType").endswith("spreadsheetml.sheet")
    assert "\n" not in atts[0].findtext(f"{Q}ContentTransferEncoded")
    parsed = parse_edoc(build_edoc(edoc_factory(attachments=files)))
    assert [a.data for a in parsed.attachments] == [f.data for f in files]
    assert [a.transfer_zipped for a in parsed.attachments] == [False, True, False]


def test_generated_content_ids_link_manifest_and_attachment(edoc_factory) -> None:
    parsed = parse_edoc(build_edoc(edoc_factory()))
    (att,) = parsed.attachments
    assert len(att.content_id) == 36
    assert parsed.warnings == ()  # every manifest reference found its attachment


def test_text_is_escaped_and_invalid_characters_dropped(edoc_factory) -> None:
    subject = 'V/v "thử" <b> & kiểm tra\x0b\x00 dòng\r\nmới'
    parsed = parse_edoc(build_edoc(edoc_factory(subject=subject)))
    assert parsed.subject == 'V/v "thử" <b> & kiểm tra dòng\r\nmới'


def test_update_and_replacement_blocks(edoc_factory) -> None:
    business = Business(
        doc_type=BusinessDocType.UPDATE,
        document_id="X,2024/05/02,1/A",
        update=DocumentUpdate(True, False, (Receiver("000.00.00.H41", 1),)),
        staff=StaffInfo("VP", "Bình", "b@x.vn", "09", department_id="VP1", staff_id="binh"),
    )
    data = build_edoc(edoc_factory(business=business))
    bus = _tree(data).find(f"{Q}edXMLEnvelope/{Q}edXMLHeader/{Q}TraceHeaderList/{Q}Bussiness")
    assert _names(bus) == [
        "DocumentId", "BussinessDocType", "BussinessDocReason", "Paper", "BussinessDocumentInfo",
        "StaffInfo",
    ]  # fmt: skip
    assert _names(bus.find(f"{Q}StaffInfo")) == [
        "Department", "DepartmentId", "Staff", "StaffId", "Email", "Mobile",
    ]  # fmt: skip
    assert parse_edoc(data).business == dataclasses.replace(
        business, reason="Cập nhật văn bản điện tử"
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"recipients": ()}, Problem.MISSING_FIELD),
        ({"subject": "  "}, Problem.MISSING_FIELD),
        ({"code_number": ""}, Problem.MISSING_FIELD),
        ({"traces": ()}, Problem.MISSING_FIELD),
        ({"recipients": (Organization("A"), Organization("A"))}, Problem.DUPLICATE_RECIPIENT),
        ({"sender": Organization(" ")}, Problem.MISSING_FIELD),
        ({"subject": "x" * 501}, Problem.SCHEMA),
        ({"code_number": "123456789012"}, Problem.SCHEMA),
    ],
)
def test_build_refuses_what_receivers_would_reject(edoc_factory, changes, code) -> None:
    with pytest.raises(InvalidMessage) as e:
        build_edoc(edoc_factory(**changes))
    assert e.value.code is code


def test_priority_outside_code_list_is_refused(edoc_factory) -> None:
    from vxp_adapter.model import OtherInfo

    with pytest.raises(InvalidMessage) as e:
        build_edoc(edoc_factory(other=OtherInfo(priority=5)))
    assert e.value.code is Problem.BAD_VALUE


def test_status_in_sdk_order_and_valid(edoc_factory) -> None:
    original = edoc_factory()
    message = status(
        reference_to(original),
        sender=Organization("000.00.00.H41", "UBND tỉnh Nghệ An"),
        code="03",
        at=datetime(2024, 5, 2, 10, 20, 30, tzinfo=VN_TZ),
        description="Đã vào sổ",
        staff=StaffInfo("Văn phòng", "Giang", "g@x.vn", "0988"),
    )
    data = build_status(message)
    header = _tree(data).find(f"{Q}edXMLEnvelope/{Q}edXMLHeader/{Q}MessageHeader")
    assert _names(header) == [
        "From",
        "ResponseFor",
        "StaffInfo",
        "StatusCode",
        "Description",
        "Timestamp",
    ]
    assert _names(header.find(f"{Q}ResponseFor")) == [
        "OrganId",
        "Code",
        "DocumentId",
        "PromulgationDate",
    ]
    assert _tree(data).find(f"{Q}edXMLEnvelope/{Q}edXMLBody") is None
    back = parse_status(data)
    assert back.response_for == message.response_for
    assert (back.status_code, back.description, back.timestamp) == (
        "03",
        "Đã vào sổ",
        message.timestamp,
    )


def test_status_build_requires_reference_and_timestamp() -> None:
    with pytest.raises(InvalidMessage):
        build_status(
            status(ResponseFor("", ""), sender=Organization("A"), code="01", at=datetime.now(VN_TZ))
        )


def test_schema_rejects_the_business_spelling_and_iso_dates(fixture_bytes) -> None:
    with pytest.raises(InvalidMessage) as e:
        validate(fixture_bytes("bkav_business.edxml"))
    assert e.value.code is Problem.SCHEMA
    validate(fixture_bytes("status_03.edxml"))  # an SDK-shaped status is valid
