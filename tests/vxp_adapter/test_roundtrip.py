"""Property: what we build, we parse back unchanged (and it satisfies our XSD)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vxp_adapter.attachments import guess_type, safe_name
from vxp_adapter.codes import BUSINESS_REASONS, BusinessDocType
from vxp_adapter.dates import VN_TZ
from vxp_adapter.edxml_build import build_edoc, build_status
from vxp_adapter.edxml_parse import parse_edoc, parse_status
from vxp_adapter.messages import document_id_of
from vxp_adapter.model import (
    Attachment,
    Business,
    DocumentType,
    DocumentUpdate,
    Edoc,
    Organization,
    OtherInfo,
    Receiver,
    Replacement,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
)

ALPHABET = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ./-,;:()")
    + list("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐ")
    + list("<>&\"'\n\t")
)


def text(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    # The parser strips leaf text, so generated text is stripped too.
    return (
        st.text(ALPHABET, min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda s: len(s) >= min_size)
    )


organ_ids = st.one_of(
    st.from_regex(r"\A\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}\Z"),
    st.sampled_from(["vxp.saas.03", "01.02.G22", "001.00.20.TT2", "777.77.04.D77"]),
)
dates = st.dates(date(1990, 1, 1), date(2099, 12, 31))
stamps = st.datetimes(datetime(1990, 1, 1), datetime(2099, 12, 31), timezones=st.just(VN_TZ)).map(
    lambda d: d.replace(microsecond=0)
)
small_int = st.integers(0, 65535)


def organization(organ_id: st.SearchStrategy[str] = organ_ids) -> st.SearchStrategy[Organization]:
    return st.builds(
        Organization,
        organ_id=organ_id,
        organ_name=text(200),
        organization_in_charge=text(200),
        organ_add=text(250),
        email=text(100),
        telephone=text(20),
        fax=text(20),
        website=text(100),
    )


staff = st.builds(
    StaffInfo,
    department=text(200),
    staff=text(100),
    email=text(100),
    mobile=text(20),
    department_id=text(100),
    staff_id=text(100),
)
response_for = st.builds(
    ResponseFor,
    organ_id=organ_ids,
    document_id=text(120, min_size=1),
    code=text(40),
    promulgation_date=st.none() | dates,
)
business = st.builds(
    Business,
    doc_type=st.sampled_from(BusinessDocType),
    reason=text(100, min_size=1),
    paper=st.booleans(),
    document_id=text(120),
    staff=staff,
    update=st.none()
    | st.builds(
        DocumentUpdate,
        document_info=st.booleans(),
        document_receiver=st.booleans(),
        receivers=st.lists(st.builds(Receiver, organ_ids, st.integers(0, 1)), max_size=3).map(
            tuple
        ),
    ),
    replacements=st.lists(
        st.builds(Replacement, text(80, min_size=1), st.lists(organ_ids, max_size=3).map(tuple)),
        max_size=2,
    ).map(tuple),
)
names = st.tuples(
    # The parser keeps only the last path component of a name, without control characters.
    text(30, min_size=1).filter(lambda s: s.isprintable() and "/" not in s),
    st.sampled_from(["pdf", "docx", "doc", "xlsx", "txt", "zip", "odt"]),
).map(lambda t: f"{t[0]}.{t[1]}")
attachment = st.builds(
    Attachment,
    name=names,
    data=st.binary(max_size=3000),
    description=text(100),
    content_id=st.uuids().map(str),
)
edocs = st.builds(
    Edoc,
    sender=organization(),
    recipients=st.lists(organization(), min_size=1, max_size=4, unique_by=lambda o: o.organ_id).map(
        tuple
    ),
    code_number=text(11, min_size=1),
    code_notation=text(30, min_size=1),
    promulgation_date=dates,
    subject=text(500, min_size=1),
    document_id=text(120),
    place=text(50),
    document_type=st.builds(DocumentType, st.integers(0, 99), st.integers(0, 9), text(100)),
    content=text(500),
    signer=st.builds(SignerInfo, text(100), text(100), text(50)),
    due_date=st.none() | dates,
    other=st.builds(
        OtherInfo,
        priority=st.integers(0, 4),
        sphere_of_promulgation=text(100),
        typer_notation=text(10),
        promulgation_amount=st.none() | small_int,
        page_amount=st.none() | small_int,
        direction=st.booleans(),
        appendixes=st.lists(text(250), max_size=3).map(tuple),
    ),
    response_for=st.lists(response_for, max_size=2).map(tuple),
    steering_type=st.none() | st.integers(0, 2),
    to_places=st.lists(text(150, min_size=1), max_size=3).map(tuple),
    traces=st.lists(st.builds(TraceHeader, organ_ids, stamps), min_size=1, max_size=3).map(tuple),
    business=business,
    attachments=st.lists(attachment, max_size=3, unique_by=lambda a: a.content_id).map(tuple),
)


def _expected(edoc: Edoc) -> Edoc:
    """What a parse must give back: the builder fills defaults and decides zipping."""
    atts = tuple(
        dataclasses.replace(
            a,
            content_type=guess_type(a.name),
            transfer_zipped=a.name.rsplit(".", 1)[-1] not in ("pdf", "doc", "docx", "zip"),
        )
        for a in edoc.attachments
    )
    reason = edoc.business.reason or BUSINESS_REASONS[edoc.business.doc_type]
    return dataclasses.replace(
        edoc,
        document_id=document_id_of(edoc),
        attachments=atts,
        business=dataclasses.replace(edoc.business, reason=reason),
    )


@settings(max_examples=60, deadline=None)
@given(edocs)
def test_edoc_round_trip(edoc: Edoc) -> None:
    parsed = parse_edoc(build_edoc(edoc))
    assert dataclasses.replace(parsed, warnings=()) == _expected(edoc)


statuses = st.builds(
    StatusMessage,
    sender=organization(),
    response_for=response_for,
    status_code=st.sampled_from(["01", "02", "03", "04", "05", "06", "13", "15", "16"]),
    description=text(300),
    timestamp=stamps,
    staff=staff.map(lambda s: dataclasses.replace(s, department_id="", staff_id="")),
)


@settings(max_examples=60, deadline=None)
@given(statuses)
def test_status_round_trip(message: StatusMessage) -> None:
    parsed = parse_status(build_status(message))
    assert dataclasses.replace(parsed, warnings=()) == message


@given(stamps, st.integers(-12, 14))
def test_timestamps_survive_any_offset(stamp: datetime, hours: int) -> None:
    from datetime import timezone

    from vxp_adapter.dates import format_timestamp, parse_timestamp

    moved = stamp.astimezone(timezone(timedelta(hours=hours)))
    assert parse_timestamp(format_timestamp(moved)) == stamp


# ----- any text at all: what XML can carry comes back; what it cannot is dropped, never an error

_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
wide = st.text(st.characters(codec="utf-8") | st.sampled_from("\x00\x0b\x1b\r\n\t \ufffe<>&]]>"))


def _carried(value: str) -> str:
    """What the parser gives back for ``value``: XML-illegal characters dropped, then stripped."""
    return _XML_CHAR.sub("", value).strip()


def _base() -> Edoc:
    return Edoc(
        sender=Organization("000.00.00.G22", "Văn phòng Chính phủ"),
        recipients=(Organization("000.00.00.H41", "UBND tỉnh Nghệ An"),),
        code_number="123",
        code_notation="VPCP-TEST",
        promulgation_date=date(2024, 5, 2),
        subject="V/v thử",
        traces=(TraceHeader("000.00.00.G22", datetime(2024, 5, 2, 9, 15, tzinfo=VN_TZ)),),
    )


@settings(max_examples=150, deadline=None)
@given(wide, wide, wide, wide, st.lists(wide, max_size=2), wide, st.binary(max_size=2000))
def test_any_text_round_trips_as_far_as_xml_can_carry_it(
    subject, organ_name, content, signer, places, name, data
) -> None:
    assume(_carried(subject))  # the subject is mandatory
    edoc = dataclasses.replace(
        _base(),
        subject=subject,
        sender=Organization("000.00.00.G22", organ_name),
        content=content,
        signer=SignerInfo(full_name=signer),
        to_places=tuple(places),
        attachments=(Attachment(name + ".docx", data, content_id="p1"),),
    )
    parsed = parse_edoc(build_edoc(edoc))
    assert parsed.subject == _carried(subject)
    assert parsed.sender.organ_name == _carried(organ_name)
    assert parsed.content == _carried(content) and parsed.signer.full_name == _carried(signer)
    assert parsed.to_places == tuple(p for p in map(_carried, places) if p)
    (attachment,) = parsed.attachments
    assert attachment.data == data
    assert attachment.name == safe_name(_carried(name + ".docx"), "tep-dinh-kem-1")
