"""Registers of Phụ lục IV: the rows a service returns, and the PDF and XLSX made from them."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from eoffice import clock
from eoffice.documents import exports, registers
from eoffice.documents.blobs import Upload
from eoffice.documents.incoming import AssignmentPlan, Target, assign_document, register_incoming
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.models import Document, SecretGrant
from eoffice.documents.outgoing import (
    DraftInput,
    approve_draft,
    assign_number,
    create_draft,
    mark_sealed,
    mark_signed,
    review_draft,
    submit_draft,
)
from eoffice.documents.recipients import issue_document
from eoffice.documents.registers import RegisterKind, build_register, parse_query
from eoffice.errors import InvalidInput
from eoffice.org.actor import Actor
from tests.documents.conftest import incoming_meta, make_pdf

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(NOW):
        yield


def _register(db_session, org, arrival: date, **meta) -> Document:
    values = {"issued_date": date(2026, 3, 1)} | meta
    return register_incoming(
        db_session, Actor(user=org.clerk), incoming_meta(**values), None, None, arrival_date=arrival
    ).document


def _query(kind="incoming", start="01/03/2026", end="31/03/2026", series=None, volume=None):
    return parse_query(kind, start, end, series, volume)


def _incoming_book(db_session, org):
    """Three documents arriving on 02/03, 05/03 and 10/03; the first assigned, the second cancelled."""
    first = _register(db_session, org, date(2026, 3, 2), subject="V/v kế hoạch chuyển đổi số")
    second = _register(
        db_session, org, date(2026, 3, 5), code_number="45", description="-2+3 bản chụp"
    )
    third = _register(db_session, org, date(2026, 3, 10), code_number="77")
    unit = org.specialist.unit
    plan = AssignmentPlan(
        lead=Target(unit_id=unit.id),
        cooperate=(Target(user_id=org.specialist.id),),
        deadline=date(2026, 3, 31),
        instruction="Giao Văn phòng chủ trì",
    )
    assign_document(db_session, Actor(user=org.leader), first, plan)
    second.cancelled_at, second.cancel_reason = NOW, "Vào sổ nhầm"
    db_session.flush()
    return first, second, third


def test_incoming_register_has_the_phu_luc_iv_columns_in_number_order(factory, db_session):
    org = factory.org()
    _incoming_book(db_session, org)
    report = build_register(db_session, Actor(user=org.clerk), _query(end="06/03/2026"))
    assert [c.label for c in report.register.columns][:3] == ["Ngày đến", "Số đến", "Tác giả"]
    assert [r.number for r in report.rows] == [1, 2]  # 10/03 is outside the period
    row = report.rows[0].values
    assert list(row) == [c.key for c in report.register.columns]
    assert row["arrival_date"] == date(2026, 3, 2)
    assert row["arrival_number"] == 1
    assert row["author"] == "Sở Tài chính tỉnh Khánh Hòa"
    assert row["code"] == "123/STC-NS"
    assert row["issued_date"] == date(2026, 3, 1)
    assert row["type_and_subject"] == "Công văn: V/v kế hoạch chuyển đổi số"
    assert row["assignees"] == f"Chủ trì: Văn phòng; Phối hợp: {org.specialist.full_name}"
    assert row["transferred_on"] == date(2026, 3, 20)
    assert row["received_signature"] is None
    assert row["note"] == ""


def test_type_and_subject_reads_naturally(factory, db_session):
    org = factory.org()
    _register(db_session, org, date(2026, 3, 2), type_code="KH", subject="Kế hoạch chuyển đổi số")
    _register(
        db_session, org, date(2026, 3, 3), type_code="QD", code_number="2", subject="Về việc A"
    )
    report = build_register(db_session, Actor(user=org.clerk), _query())
    assert [r.values["type_and_subject"] for r in report.rows] == [
        "Kế hoạch chuyển đổi số",
        "Quyết định: Về việc A",
    ]


def test_cancelled_documents_stay_and_say_so_in_the_note(factory, db_session):
    org = factory.org()
    _incoming_book(db_session, org)
    report = build_register(db_session, Actor(user=org.clerk), _query())
    cancelled = [r for r in report.rows if r.cancelled]
    assert [r.number for r in cancelled] == [2]
    assert cancelled[0].values["note"] == "ĐÃ HỦY ngày 20/03/2026 (Vào sổ nhầm); -2+3 bản chụp"
    assert [r.number for r in report.rows] == [1, 2, 3]


def test_cover_has_the_agency_its_parent_the_period_and_the_numbers(factory, db_session):
    parent = factory.agency()
    org = factory.org(parent=parent)
    _incoming_book(db_session, org)
    report = build_register(db_session, Actor(user=org.clerk), _query(volume="2"))
    cover = report.cover
    assert (cover.parent_agency_name, cover.agency_name) == (parent.name, org.agency.name)
    assert (cover.title, cover.series_name, cover.year) == (
        "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",
        "Sổ văn bản đến",
        2026,
    )
    assert (cover.date_from, cover.date_to) == (date(2026, 3, 1), date(2026, 3, 31))
    assert (cover.first_number, cover.last_number, cover.volume) == (1, 3, 2)


def test_rows_are_only_what_the_actor_may_see(factory, db_session):
    org, other = factory.org(), factory.org()
    first, _second, _third = _incoming_book(db_session, org)
    _register(db_session, other, date(2026, 3, 3))
    assert [r.number for r in build_register(db_session, Actor(user=org.clerk), _query()).rows] == [
        1,
        2,
        3,
    ]
    specialist = build_register(db_session, Actor(user=org.specialist), _query())
    assert [r.document_id for r in specialist.rows] == [first.id]
    secret = _register(
        db_session, org, date(2026, 3, 4), code_number="99", secrecy="mat", description="Bản số 2"
    )
    den_mat = _query(series="den-mat")
    # The registering clerk holds a grant and sees the row whole.
    granted = build_register(db_session, Actor(user=org.clerk), den_mat)
    assert [(r.document_id, r.values["note"]) for r in granted.rows] == [
        (secret.id, "Mật; Bản số 2")
    ]
    assert "V/v báo cáo" in granted.rows[0].values["type_and_subject"]
    # Another clerk: the number keeps its row, nothing sensitive shows.
    other_clerk = Actor(user=factory.user(org.agency, "clerk"))
    masked = build_register(db_session, other_clerk, den_mat)
    [row] = masked.rows
    assert (row.document_id, row.number, row.values["arrival_number"]) == (secret.id, 1, 1)
    assert row.values["arrival_date"] == date(2026, 3, 4)
    for key in ("type_and_subject", "author", "assignees"):
        assert row.values[key] == "(Văn bản mật)"
    assert row.values["note"] == "Mật" and row.values["code"] == "99"  # no notation
    assert (masked.cover.first_number, masked.cover.last_number) == (1, 1)
    # A specialist not involved gets no row at all (as for any document).
    assert build_register(db_session, Actor(user=org.specialist), den_mat).rows == ()
    db_session.add(SecretGrant(document_id=secret.id, user_id=other_clerk.principal.id))
    db_session.flush()
    [whole] = build_register(db_session, other_clerk, den_mat).rows
    assert whole.values["author"] == "Sở Tài chính tỉnh Khánh Hòa"


def test_printed_registers_never_carry_an_ungranted_secret_subject(factory, db_session):
    org = factory.org()
    _register(
        db_session,
        org,
        date(2026, 3, 4),
        code_number="99",
        secrecy="mat",
        subject="Phương án bảo vệ bí mật nhà nước",
    )
    other_clerk = Actor(user=factory.user(org.agency, "clerk"))
    report = build_register(db_session, other_clerk, _query(series="den-mat"))
    _cover, table = _pdf_text(exports.register_pdf(report))
    assert "(Văn bản mật)" in table and "bí mật nhà nước" not in table
    book = load_workbook(io.BytesIO(exports.register_xlsx(report)))
    cells = [str(c.value) for row in book["Sổ đăng ký"].iter_rows() for c in row]
    assert "(Văn bản mật)" in cells
    assert not any("bí mật nhà nước" in c or "Sở Tài chính" in c or "STC" in c for c in cells)


def _issue(db_session, org, policy, recipients=(), secrecy="thuong"):
    data = DraftInput(
        meta=DocumentMetadata(
            type_code="CV", subject="V/v triển khai chuyển đổi số", description="", secrecy=secrecy
        ),
        signer_id=org.leader.id,
        recipient_codes=recipients,
    )
    draft = create_draft(
        db_session,
        Actor(user=org.specialist),
        data,
        Upload("du-thao.pdf", "application/pdf", make_pdf("du thao")),
        policy,
    )
    submit_draft(db_session, Actor(user=org.specialist), draft)
    review_draft(db_session, Actor(user=org.unit_head), draft)
    approve_draft(db_session, Actor(user=org.leader), draft)
    mark_signed(db_session, Actor(user=org.leader), draft, make_pdf("da ky"), policy)
    clerk = Actor(user=org.clerk)
    assign_number(db_session, clerk, draft)
    mark_sealed(db_session, clerk, draft, make_pdf("dong dau"), policy)
    issue_document(db_session, clerk, draft)
    return draft


def test_outgoing_register_masks_a_secret_row_for_the_ungranted(factory, db_session, policy):
    org = factory.org()
    doc = _issue(db_session, org, policy, secrecy="mat")
    query = _query("outgoing", series="di-mat")
    [whole] = build_register(db_session, Actor(user=org.clerk), query).rows
    assert whole.values["type_and_subject"] == "Công văn: V/v triển khai chuyển đổi số"
    outsider = Actor(user=factory.user(org.agency, "leader"))
    [row] = build_register(db_session, outsider, query).rows
    assert (row.document_id, row.number, row.values["code"]) == (doc.id, 1, "01")
    for key in ("type_and_subject", "signer", "recipients", "archive_copy_holder"):
        assert row.values[key] == "(Văn bản mật)"
    assert row.values["issued_date"] == date(2026, 3, 20) and row.values["note"] == "Mật"


def test_outgoing_register_rows(factory, db_session, policy):
    org, receiver = factory.org(), factory.org()
    doc = _issue(db_session, org, policy, recipients=(receiver.agency.code,))
    doc.issued_amount = 3
    db_session.flush()
    report = build_register(db_session, Actor(user=org.clerk), _query("outgoing"))
    assert report.cover.title == "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
    assert [r.number for r in report.rows] == [1]
    row = report.rows[0].values
    assert row == {
        "code": f"01/{org.agency.short_name}-VP",
        "issued_date": date(2026, 3, 20),
        "type_and_subject": "Công văn: V/v triển khai chuyển đổi số",
        "signer": org.leader.full_name,
        "recipients": receiver.agency.name,
        "archive_copy_holder": f"Văn thư; Văn phòng ({org.specialist.full_name})",
        "copies": 3,
        "transferred_on": date(2026, 3, 20),
        "received_signature": None,
        "note": "",
    }


def test_series_must_belong_to_the_register(factory, db_session):
    org = factory.org()
    clerk = Actor(user=org.clerk)
    with pytest.raises(InvalidInput) as wrong:
        build_register(db_session, clerk, _query("incoming", series="di"))
    assert wrong.value.code == "unknown_series" and "series" in wrong.value.fields
    with pytest.raises(InvalidInput):
        build_register(db_session, clerk, _query("incoming", series="khong-co"))
    empty = build_register(db_session, clerk, _query("incoming", series="den-mat"))
    assert empty.rows == () and empty.cover.first_number is None


def test_a_period_too_large_to_print_is_refused(factory, db_session, monkeypatch):
    org = factory.org()
    _incoming_book(db_session, org)
    monkeypatch.setattr(registers, "MAX_ROWS", 2)
    with pytest.raises(InvalidInput) as error:
        build_register(db_session, Actor(user=org.clerk), _query())
    assert error.value.code == "register_too_large"
    assert "có 3 văn bản" in error.value.render()


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (("incoming", "10/03/2026", "01/03/2026"), "date_to", "phải bằng hoặc sau từ ngày"),
        (("den", "01/03/2026", "31/03/2026"), "kind", "Loại sổ không tồn tại"),
        (("incoming", "20/12/2025", "10/01/2026"), "date_to", "cùng một năm"),
        (("incoming", "", "31/03/2026"), "date_from", "Chưa nhập từ ngày"),
        (("incoming", "31/02/2026", "31/03/2026"), "date_from", "không phải ngày hợp lệ"),
        (("incoming", "01/03/2026", "31/03/2026", "DEN; drop"), "series", "Mã sổ"),
        (("incoming", "01/03/2026", "31/03/2026", None, "0"), "volume", "Quyển số"),
    ],
)
def test_bad_queries_get_vietnamese_messages_per_field(args, field, message):
    with pytest.raises(InvalidInput) as error:
        parse_query(*args)
    assert message in error.value.fields[field]


def test_period_ending_before_it_starts_is_explained_in_the_summary():
    with pytest.raises(InvalidInput) as error:
        parse_query("incoming", "2026-03-10", "2026-03-01")
    assert error.value.render() == (
        "Khoảng thời gian không hợp lệ: đến ngày phải bằng hoặc sau từ ngày"
    )


def test_query_accepts_both_date_forms_and_defaults_to_the_main_series():
    query = parse_query("outgoing", "01/03/2026", "2026-03-31")
    assert query == registers.RegisterQuery(
        RegisterKind.OUTGOING, date(2026, 3, 1), date(2026, 3, 31), "di", 1
    )


# ---------------------------------------------------------------- exports


def _pdf_text(data: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def test_pdf_is_a4_landscape_with_cover_headings_rows_and_page_numbers(factory, db_session):
    org = factory.org(parent=factory.agency())
    _incoming_book(db_session, org)
    report = build_register(db_session, Actor(user=org.clerk), _query(end="06/03/2026"))
    data = exports.register_pdf(report)
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    cover, table = _pdf_text(data)
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in cover
    assert org.agency.name.upper() in cover
    assert "Từ ngày 01/03/2026 đến ngày 06/03/2026" in cover
    assert "Từ số 01 đến số 02" in cover and "Quyển số: 01" in cover
    for heading in ("Ngày đến", "Số đến", "Tác giả", "Đơn vị hoặc người nhận", "Ghi chú"):
        assert heading in table
    assert "V/v kế hoạch chuyển đổi số" in table and "123/STC-NS" in table
    assert "ĐÃ HỦY ngày 20/03/2026" in table
    assert "Trang 2/2" in table and "In từ Hệ thống quản lý văn bản lúc 20/03/2026 09:00" in table


def test_pdf_embeds_its_unicode_font():
    data = exports.register_pdf(_synthetic_report(1))
    reader = PdfReader(io.BytesIO(data))
    fonts = reader.pages[1]["/Resources"]["/Font"]
    names = {str(f.get_object()["/BaseFont"]) for f in fonts.values()}
    assert any(name.endswith("LiberationSerif") for name in names)
    descriptors = [f.get_object()["/DescendantFonts"][0].get_object() for f in fonts.values()]
    assert all("/FontFile2" in d["/FontDescriptor"] for d in descriptors)


def _synthetic_report(count: int, kind=RegisterKind.INCOMING) -> registers.RegisterReport:
    rows = tuple(
        registers.RegisterRow(
            document_id=n,
            number=n,
            values={
                c.key: f"Nội dung {c.key} số {n} về việc thử nghiệm in ấn"
                for c in kind.register.columns
            }
            | {"arrival_number": n, "arrival_date": date(2026, 3, 1)},
            cancelled=False,
        )
        for n in range(1, count + 1)
    )
    cover = registers.RegisterCover(
        "",
        "Sở Nội vụ",
        kind.register.title,
        "Sổ văn bản đến",
        2026,
        date(2026, 3, 1),
        date(2026, 3, 31),
        1,
        count,
        1,
    )
    return registers.RegisterReport(kind, kind.register, cover, rows, NOW)


def test_long_registers_repeat_the_headings_on_every_page():
    data = exports.register_pdf(_synthetic_report(80))
    pages = _pdf_text(data)
    assert len(pages) > 3
    for number, text in enumerate(pages[1:], start=2):
        assert "Tên loại và trích yếu nội dung văn bản" in text and "(10)" in text
        assert f"Trang {number}/{len(pages)}" in text
    assert "Nội dung type_and_subject số 80" in pages[-1]


def test_a_row_taller_than_a_page_continues_on_the_next_one():
    report = _synthetic_report(1)
    tall = replace(report.rows[0], values={**report.rows[0].values, "note": "rất dài " * 400})
    pages = _pdf_text(exports.register_pdf(replace(report, rows=(tall,))))
    assert len(pages) >= 3
    assert all("rất dài" in page for page in pages[1:])


def test_xlsx_has_styled_frozen_headings_real_dates_and_neutralised_formulas(factory, db_session):
    org = factory.org()
    _incoming_book(db_session, org)
    _register(db_session, org, date(2026, 3, 11), organ_name='=HYPERLINK("http://x","y")')
    report = build_register(db_session, Actor(user=org.clerk), _query())
    book = load_workbook(io.BytesIO(exports.register_xlsx(report)))
    sheet = book["Sổ đăng ký"]
    headings = [c.value for c in sheet[1]]
    assert headings == [c.label for c in report.register.columns]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet.max_row == 5
    first = [c.value for c in sheet[2]]
    assert first[0] == datetime(2026, 3, 2) and sheet["A2"].number_format == "DD/MM/YYYY"
    assert first[1] == 1 and sheet["B2"].number_format == "00"
    assert first[2] == "Sở Tài chính tỉnh Khánh Hòa"
    assert first[5] == "Công văn: V/v kế hoạch chuyển đổi số"
    assert sheet["J3"].value == "ĐÃ HỦY ngày 20/03/2026 (Vào sổ nhầm); -2+3 bản chụp"
    injected = sheet["C5"]
    assert injected.value == '\'=HYPERLINK("http://x","y")' and injected.data_type == "s"
    cover = book["Bìa sổ"]
    facts = {row[0].value: row[1].value for row in cover.iter_rows()}
    assert facts["Tên cơ quan, đơn vị"] == org.agency.name
    assert facts["Từ ngày"] == datetime(2026, 3, 1) and facts["Đến số"] == 4


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_prefixes_are_neutralised(text):
    assert exports.neutralise_formula(text) == "'" + text


def test_plain_text_is_left_alone():
    assert exports.neutralise_formula("Sở Nội vụ = cơ quan") == "Sở Nội vụ = cơ quan"


def test_file_names_are_vietnamese_with_an_ascii_fallback():
    report = _synthetic_report(1)
    name = exports.register_filename(report, "pdf")
    assert name == "Sổ đăng ký văn bản đến 01.03.2026-31.03.2026.pdf"
    assert exports.ascii_filename(name) == "so-dang-ky-van-ban-den-01.03.2026-31.03.2026.pdf"
    assert exports.ascii_filename('"; evil=\\x') == "-evilx"  # nothing that ends the quotes
