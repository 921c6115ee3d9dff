"""Parsing hand-written fixtures in the shapes real traffic has (vxp-edxml.md §2–4, §7)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest

from vxp_adapter.attachments import normalize_cid
from vxp_adapter.codes import BusinessDocType
from vxp_adapter.dates import VN_TZ
from vxp_adapter.edxml_parse import parse_edoc, parse_message, parse_status
from vxp_adapter.errors import InvalidMessage, Problem
from vxp_adapter.model import Edoc, StatusMessage


def test_sdk_shaped_edoc(fixture_bytes, fixture_pdf) -> None:
    edoc = parse_edoc(fixture_bytes("sdk_new.edxml"))
    assert edoc.sender.organ_id == "000.00.00.G22"
    assert edoc.sender.website == "chinhphu.vn"
    assert [r.organ_id for r in edoc.recipients] == ["000.00.00.H41", "000.00.00.H49"]
    assert edoc.document_id == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert (edoc.code_number, edoc.code_notation, edoc.notation) == (
        "123",
        "VPCP-TEST",
        "123/VPCP-TEST",
    )
    assert edoc.promulgation_date == date(2024, 5, 2)
    assert edoc.due_date == date(2024, 5, 10)
    assert edoc.place == "Hà Nội"
    assert edoc.document_type.type_name == "Công văn"
    assert edoc.signer.competence == "KT. BỘ TRƯỞNG, CHỦ NHIỆM"
    assert edoc.other.priority == 2
    assert edoc.other.promulgation_amount == 3
    assert edoc.other.appendixes == ("Phụ lục I: Danh sách đơn vị",)
    assert edoc.steering_type == 1
    assert edoc.to_places == ("Như trên", "Lưu: VT, TTĐT")
    assert edoc.business.doc_type is BusinessDocType.NEW
    assert edoc.business.staff.staff == "Trần Thị Bình"
    assert edoc.traces[0].timestamp == datetime(2024, 5, 2, 9, 15, tzinfo=VN_TZ)
    assert edoc.has_signature  # Signature without the xmldsig namespace, as the SDK writes it
    assert edoc.warnings == ()


def test_sdk_attachments_raw_pdf_and_zipped_xlsx_with_double_cid(
    fixture_bytes, fixture_pdf
) -> None:
    pdf, xlsx = parse_edoc(fixture_bytes("sdk_new.edxml")).attachments
    assert (pdf.name, pdf.content_type, pdf.transfer_zipped) == (
        "cv123.pdf",
        "application/pdf",
        False,
    )
    assert pdf.data == fixture_pdf
    assert pdf.sha256 == hashlib.sha256(fixture_pdf).hexdigest()
    assert pdf.content_id == "9d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
    assert pdf.description == "Công văn số 123"
    # Zipped by the VNPT library into one <uuid>.xlsx entry, labelled application/zip.
    assert xlsx.transfer_zipped
    assert xlsx.data == "Bảng kê số liệu\n".encode()
    assert xlsx.content_type.endswith("spreadsheetml.sheet")


def test_business_spelling_other_order_prefixes_and_odd_ids(fixture_bytes, fixture_pdf) -> None:
    # BOM, CRLF, ns0: prefixes, `Business`, Business after TraceHeader, xmldsig Signature,
    # elements out of SDK order, dd/MM/yyyy and ISO dates, wrapped base64, bare ContentId.
    edoc = parse_edoc(fixture_bytes("bkav_business.edxml"))
    assert edoc.sender.organ_id == "vxp.saas.03"
    assert [r.organ_id for r in edoc.recipients] == ["01.02.G22", "001.00.20.TT2", "777.77.04.D77"]
    assert edoc.promulgation_date == date(2024, 7, 15)
    assert edoc.due_date == date(2024, 7, 31)
    assert edoc.traces[0].timestamp == datetime(2024, 7, 15, 14, 30, 5, tzinfo=VN_TZ)
    assert edoc.business.paper is True
    assert edoc.business.staff.staff_id == "dung.pt"
    assert edoc.has_signature
    assert edoc.other.priority == 1
    assert edoc.document_id == "6f1c2e0a-9b8d-4c7e-a6f5-e4d3c2b1a090"
    pdf, note = edoc.attachments
    assert pdf.data == fixture_pdf and pdf.content_id == "bao-cao-45"
    assert note.data == "Ghi chú kèm theo\n".encode() and note.description == "Ghi chú"
    assert "Nơi nhận trùng lặp: 01.02.G22" in edoc.warnings
    assert any("vxp.saas.03" in w for w in edoc.warnings)
    assert len(edoc.warnings) == len(set(edoc.warnings))


def test_relayed_message_empty_response_for_and_zipped_pdf(fixture_bytes, fixture_pdf) -> None:
    edoc = parse_edoc(fixture_bytes("relayed_empty_responsefor.edxml"))
    assert edoc.response_for == ()
    assert edoc.other.priority == 4  # legacy hỏa tốc hẹn giờ
    assert [t.organ_id for t in edoc.traces] == ["000.00.00.H54", ""]  # hop appended by the axis
    (pdf,) = edoc.attachments
    assert pdf.transfer_zipped and pdf.data == fixture_pdf
    assert pdf.content_type == "application/pdf"
    assert pdf.content_id == "3c2b1a09-8f7e-4d6c-9b5a-493827161504"


def test_revocation_names_the_revoked_document(fixture_bytes) -> None:
    edoc = parse_edoc(fixture_bytes("revocation.edxml"))
    assert edoc.business.doc_type is BusinessDocType.REVOKE
    assert edoc.business.reason == "Thu hồi do gửi nhầm nơi nhận"
    (ref,) = edoc.response_for
    assert (ref.organ_id, ref.code, ref.promulgation_date) == (
        "000.00.00.G22",
        "123/VPCP-TEST",
        date(2024, 5, 2),
    )
    assert edoc.target_document_id == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert edoc.attachments == ()


def test_update_with_receiver_list(fixture_bytes) -> None:
    edoc = parse_edoc(fixture_bytes("update.edxml"))
    business = edoc.business
    assert business.doc_type is BusinessDocType.UPDATE
    assert business.document_id == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert business.update is not None
    assert business.update.document_info and business.update.document_receiver
    assert [(r.organ_id, r.receiver_type) for r in business.update.receivers] == [
        ("000.00.00.H41", 0),
        ("000.00.00.H14", 1),
    ]


def test_replacement_list(fixture_bytes) -> None:
    edoc = parse_edoc(fixture_bytes("replacement.edxml"))
    assert edoc.business.doc_type is BusinessDocType.REPLACE
    first, second = edoc.business.replacements
    assert first.document_id == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert first.organ_ids == ("000.00.00.H41", "000.00.00.H49")
    assert second.organ_ids == ("000.00.00.H41",)
    assert edoc.target_document_id == first.document_id


def test_status_in_sdk_order(fixture_bytes) -> None:
    status = parse_status(fixture_bytes("status_03.edxml"))
    assert status.sender.organ_id == "000.00.00.H41"
    assert status.status_code == "03"
    assert status.response_for.organ_id == "000.00.00.G22"
    assert status.response_for.document_id == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert status.response_for.promulgation_date == date(2024, 5, 2)
    assert status.staff.staff == "Võ Thị Giang"
    assert status.timestamp == datetime(2024, 5, 2, 10, 20, 30, tzinfo=VN_TZ)
    assert status.warnings == ()


def test_status_13_with_swapped_fields_and_day_first_timestamp(fixture_bytes) -> None:
    status = parse_status(fixture_bytes("status_13_swapped.edxml"))
    assert status.status_code == "13"
    assert status.response_for.organ_id == "000.00.00.H41"  # the receiver, for a take-back
    assert status.response_for.document_id == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert status.timestamp == datetime(2024, 5, 3, 8, 5, tzinfo=VN_TZ)
    assert status.staff.email == "binh@chinhphu.vn"


def test_unknown_status_code_is_kept_as_an_opaque_string(fixture_bytes) -> None:
    status = parse_status(fixture_bytes("status_unknown_code.edxml"))
    assert status.status_code == "09"
    assert status.warnings == ("Mã trạng thái không xác định: 09",)


def test_single_digit_status_code_is_padded(fixture_bytes) -> None:
    data = fixture_bytes("status_03.edxml").replace(
        b">03</edXML:StatusCode>", b">3</edXML:StatusCode>"
    )
    assert parse_status(data).status_code == "03"


def test_parse_message_tells_edoc_from_status(fixture_bytes) -> None:
    assert isinstance(parse_message(fixture_bytes("status_03.edxml")), StatusMessage)
    assert isinstance(parse_message(fixture_bytes("update.edxml")), Edoc)
    with pytest.raises(InvalidMessage) as e:
        parse_edoc(fixture_bytes("status_03.edxml"))
    assert e.value.code is Problem.NOT_EDXML
    with pytest.raises(InvalidMessage):
        parse_status(fixture_bytes("update.edxml"))


@pytest.mark.parametrize(
    ("name", "code", "detail"),
    [
        ("bad_malformed.edxml", Problem.MALFORMED, "Subject"),
        ("bad_namespace.edxml", Problem.WRONG_NAMESPACE, "example.org"),
        ("bad_missing_subject.edxml", Problem.MISSING_FIELD, "Subject"),
        ("bad_priority.edxml", Problem.BAD_VALUE, "Priority=7"),
        ("bad_status_empty_responsefor.edxml", Problem.MISSING_FIELD, "ResponseFor"),
        ("bad_doctype_bomb.edxml", Problem.DOCTYPE, ""),
        ("bad_external_entity.edxml", Problem.DOCTYPE, ""),
        ("bad_junk_before_declaration.edxml", Problem.MALFORMED, "dữ liệu lạ"),
        ("bad_base64.edxml", Problem.BAD_BASE64, ""),
        ("bad_attachment_hash.edxml", Problem.ATTACHMENT_CORRUPT, "CRC"),
    ],
)
def test_bad_fixtures_raise_a_clear_error(
    fixture_bytes, name: str, code: Problem, detail: str
) -> None:
    with pytest.raises(InvalidMessage) as e:
        parse_message(fixture_bytes(name))
    assert e.value.code is code
    assert detail in e.value.detail
    assert e.value.message  # Vietnamese text for people
    assert str(e.value).startswith(e.value.message)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("cid:cid:abc", "abc"), ("cid:abc", "abc"), ("abc", "abc"), (" CID:<abc> ", "abc"), ("", "")],
)
def test_content_ids_compare_without_any_cid_prefix(raw: str, expected: str) -> None:
    assert normalize_cid(raw) == expected
