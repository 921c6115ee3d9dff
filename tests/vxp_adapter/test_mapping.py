"""Codes, dates, Phụ lục VI mapping and the message constructors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from vxp_adapter.codes import (
    BusinessDocType,
    Secrecy,
    Urgency,
    priority_of,
    status_label,
    urgency_of,
)
from vxp_adapter.dates import VN_TZ, format_date, format_timestamp, parse_date, parse_timestamp
from vxp_adapter.edxml_build import build_edoc, build_status
from vxp_adapter.edxml_parse import parse_edoc, parse_status
from vxp_adapter.errors import InvalidMessage, Problem
from vxp_adapter.messages import reference_to, replacement, revocation, status, update
from vxp_adapter.model import Attachment, Organization, Receiver, Replacement, StaffInfo
from vxp_adapter.phuluc import OutgoingRecord, Recipient, from_edoc, to_edoc

AT = datetime(2024, 5, 6, 8, 0, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("urgency", "priority"),
    [(Urgency.THUONG, 0), (Urgency.KHAN, 1), (Urgency.THUONG_KHAN, 2), (Urgency.HOA_TOC, 3)],
)
def test_urgency_priority_both_ways(urgency: Urgency, priority: int) -> None:
    assert priority_of(urgency) == priority
    assert urgency_of(priority) is urgency


def test_legacy_priority_4_reads_as_hoa_toc_and_others_are_refused() -> None:
    assert urgency_of(4) is Urgency.HOA_TOC
    with pytest.raises(InvalidMessage) as e:
        urgency_of(5)
    assert e.value.code is Problem.BAD_VALUE


def test_status_labels_and_unknown_codes() -> None:
    assert status_label("03") == "Đã tiếp nhận"
    assert status_label("09") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024/05/02", date(2024, 5, 2)),
        ("2024-05-02", date(2024, 5, 2)),
        ("02/05/2024", date(2024, 5, 2)),
        ("2/5/2024", date(2024, 5, 2)),
        ("2024/05/02 00:00:00", date(2024, 5, 2)),
        ("2024-05-02T00:00:00+07:00", date(2024, 5, 2)),
    ],
)
def test_field_date_formats(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024/02/30", "02/05/24", "hôm qua", "2024/05/02x"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the input
        parse_date(text)


def test_timestamps() -> None:
    assert parse_timestamp("2024/05/02 09:15:00") == datetime(2024, 5, 2, 9, 15, tzinfo=VN_TZ)
    assert parse_timestamp("02/05/2024 09:15:00") == datetime(2024, 5, 2, 9, 15, tzinfo=VN_TZ)
    assert parse_timestamp("2024-05-02T02:15:00Z") == datetime(2024, 5, 2, 9, 15, tzinfo=VN_TZ)
    assert format_timestamp(datetime(2024, 5, 2, 2, 15, tzinfo=UTC)) == "2024/05/02 09:15:00"
    assert format_date(date(987, 1, 2)) == "0987/01/02"
    with pytest.raises(ValueError):  # noqa: PT011
        format_timestamp(datetime(2024, 5, 2))


def record(**changes: object) -> OutgoingRecord:
    values: dict[str, object] = {
        "organ_id": "000.00.00.G22",
        "organ_name": "Văn phòng Chính phủ",
        "type_name": "Công văn",
        "code_number": "123",
        "code_notation": "VPCP-TEST",
        "issued_date": date(2024, 5, 2),
        "subject": "V/v thử nghiệm",
        "recipients": (Recipient("000.00.00.H41", "UBND tỉnh Nghệ An"),),
        "signer_position": "Thứ trưởng",
        "signer_full_name": "Nguyễn Văn An",
        "urgency": Urgency.THUONG_KHAN,
        "issued_amount": 5,
        "due_date": date(2024, 5, 20),
        "page_amount": 3,
        "to_places": ("Như trên", "Lưu: VT"),
    }
    values.update(changes)
    return OutgoingRecord(**values)  # type: ignore[arg-type]


def test_outgoing_record_to_edoc_and_back_as_incoming() -> None:
    edoc = to_edoc(record(), attachments=[Attachment("cv.pdf", b"%PDF")], sent_at=AT)
    assert edoc.other.priority == 2
    incoming = from_edoc(parse_edoc(build_edoc(edoc)))
    assert incoming.organ_id == "000.00.00.G22"
    assert incoming.organ_name == "Văn phòng Chính phủ"
    assert (incoming.type_name, incoming.notation) == ("Công văn", "123/VPCP-TEST")
    assert incoming.issued_date == date(2024, 5, 2)
    assert (incoming.signer_position, incoming.signer_full_name) == ("Thứ trưởng", "Nguyễn Văn An")
    assert incoming.urgency is Urgency.THUONG_KHAN
    assert incoming.page_amount == 3
    assert incoming.due_date == date(2024, 5, 20)
    assert incoming.to_places == "Như trên; Lưu: VT"
    assert incoming.trace == "06/05/2024 08:00:00 000.00.00.G22"
    assert incoming.document_id == "000.00.00.G22,2024/05/02,123/VPCP-TEST"


@pytest.mark.parametrize("secrecy", [Secrecy.MAT, Secrecy.TOI_MAT, Secrecy.TUYET_MAT])
def test_secret_documents_are_never_sent(secrecy: Secrecy) -> None:
    with pytest.raises(InvalidMessage) as e:
        to_edoc(record(secrecy=secrecy), attachments=[], sent_at=AT)
    assert e.value.code is Problem.SECRET_DOCUMENT


def test_to_places_are_cut_to_the_registry_length(edoc_factory) -> None:
    edoc = edoc_factory(to_places=tuple("x" * 150 for _ in range(10)))
    assert len(from_edoc(edoc).to_places) == 1000


def test_revocation_refers_to_the_original(edoc_factory) -> None:
    original = edoc_factory()
    revoke = parse_edoc(build_edoc(revocation(original, at=AT, reason="Gửi nhầm")))
    assert revoke.business.doc_type is BusinessDocType.REVOKE
    assert revoke.business.reason == "Gửi nhầm"
    assert revoke.target_document_id == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert revoke.response_for[0].organ_id == "000.00.00.G22"
    assert revoke.attachments == ()
    assert revoke.traces[0].timestamp == AT


def test_update_and_replacement(edoc_factory) -> None:
    changed = edoc_factory(subject="V/v thử nghiệm (sửa)")
    upd = parse_edoc(
        build_edoc(
            update(
                changed,
                original_document_id="X,2024/05/02,1/A",
                at=AT,
                receivers=[Receiver("000.00.00.H41")],
            )
        )
    )
    assert upd.business.doc_type is BusinessDocType.UPDATE
    assert upd.business.document_id == "X,2024/05/02,1/A"
    assert upd.business.update is not None and upd.business.update.document_receiver
    rep = parse_edoc(
        build_edoc(
            replacement(
                changed, replaced=[Replacement("X,2024/05/02,1/A", ("000.00.00.H41",))], at=AT
            )
        )
    )
    assert rep.business.doc_type is BusinessDocType.REPLACE
    assert rep.target_document_id == "X,2024/05/02,1/A"


def test_status_and_take_back_route_to_the_counterparty(edoc_factory) -> None:
    original = edoc_factory()
    receiver = Organization("000.00.00.H41", "UBND tỉnh Nghệ An")
    arrived = parse_status(
        build_status(status(reference_to(original), sender=receiver, code="01", at=AT))
    )
    assert arrived.response_for.organ_id == "000.00.00.G22"
    take_back = status(
        reference_to(original, "000.00.00.H41"),
        sender=original.sender,
        code="13",
        at=AT,
        description="Lấy lại để sửa",
        staff=StaffInfo(staff="Bình"),
    )
    parsed = parse_status(build_status(take_back))
    assert parsed.response_for.organ_id == "000.00.00.H41"
    assert parsed.response_for.document_id == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert parsed.staff.staff == "Bình"
