"""Phụ lục VI input fields, their validator, and the Phụ lục IV register columns."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from eoffice.documents.fields import (
    DOSSIER_FIELDS,
    HANDLING_REGISTER,
    INCOMING_FIELDS,
    INCOMING_REGISTER,
    OUTGOING_FIELDS,
    OUTGOING_REGISTER,
    REGISTERS,
    FieldType,
    parse_date_value,
    validate_fields,
)

G, S, N, D, L = "group", "string", "number", "date", "long_text"

# Phụ lục VI Phần II §I (văn bản đi), copied from the decree: (STT, name, type, length).
DECREE_OUTGOING = [
    ("1", "FileCode", G, None), ("1.1", "OrganId", S, 13), ("1.2", "FileCatalog", N, 4),
    ("1.3", "FileNotation", S, 20), ("2", "DocOrdinal", N, 3), ("3", "TypeName", S, 100),
    ("4", "CodeNumber", S, 11), ("5", "CodeNotation", S, 30), ("6", "IssuedDate", D, 10),
    ("7", "OrganName", S, 200), ("8", "Subject", S, 500), ("9", "Language", S, 30),
    ("10", "PageAmount", N, 3), ("11", "Description", S, 500), ("12", "SignerInfo", G, None),
    ("12.1", "Position", S, 100), ("12.2", "FullName", S, 50), ("13", "To", G, None),
    ("13.1", "OrganId", S, 13), ("13.2", "OrganName", S, 200), ("14", "Priority", N, 1),
    ("15", "IssuedAmount", N, 3), ("16", "DueDate", D, 10),
]  # fmt: skip
DECREE_INCOMING = [
    *DECREE_OUTGOING[:14],
    ("12", "ArrivalDate", D, 10), ("13", "ArrivalNumber", N, 10), ("14", "SignerInfo", G, None),
    ("14.1", "Position", S, 100), ("14.2", "FullName", S, 50), ("15", "Priority", N, 1),
    ("16", "ToPlaces", S, 1000), ("17", "TraceHeaderList", L, None), ("18", "DueDate", D, 10),
]  # fmt: skip
DECREE_DOSSIER = [
    *DECREE_OUTGOING[:4],
    ("2", "Title", S, 500), ("3", "Maintenance", S, 30), ("4", "Rights", S, 30),
    ("5", "Creator", S, 30), ("6", "Language", S, 50), ("7", "StartDate", D, 10),
    ("8", "EndDate", D, 10), ("9", "DocTotal", N, 4), ("10", "PageTotal", N, 4),
    ("11", "Description", S, 500),
]  # fmt: skip


@pytest.mark.parametrize(
    ("field_set", "decree"),
    [(OUTGOING_FIELDS, DECREE_OUTGOING), (INCOMING_FIELDS, DECREE_INCOMING),
     (DOSSIER_FIELDS, DECREE_DOSSIER)],
)  # fmt: skip
def test_fields_are_those_of_phu_luc_vi(field_set, decree):
    ours = [
        (f.number, f.key.rsplit(".", 1)[-1], f.type.value, f.max_length) for f in field_set.fields
    ]
    assert ours == decree


@pytest.mark.parametrize(
    ("field_set", "numbers"),
    [
        (OUTGOING_FIELDS, {"1.1", "1.2", "2", "4", "6", "10", "13.1"}),
        (INCOMING_FIELDS, {"1.1", "1.2", "2", "10", "12", "13"}),
        (DOSSIER_FIELDS, {"1.1", "1.2", "9", "10"}),
    ],
)
def test_system_filled_fields(field_set, numbers):
    assert {f.number for f in field_set.fields if f.system_filled} == numbers


def test_keys_are_unique_paths_under_existing_groups():
    for field_set in (OUTGOING_FIELDS, INCOMING_FIELDS, DOSSIER_FIELDS):
        keys = [f.key for f in field_set.fields]
        assert len(keys) == len(set(keys))
        for spec in field_set.fields:
            if "." in spec.key:
                parent = field_set.get(spec.key.rsplit(".", 1)[0])
                assert parent is not None and parent.type is FieldType.GROUP
                assert spec.number.startswith(parent.number + ".")
    assert OUTGOING_FIELDS.get("To.OrganId").repeated
    assert not INCOMING_FIELDS.get("FileCode.OrganId").repeated
    assert OUTGOING_FIELDS.get("Nope") is None
    assert all(f.type is not FieldType.GROUP for f in OUTGOING_FIELDS.value_fields)


def test_labels_are_vietnamese():
    assert OUTGOING_FIELDS.get("Subject").label == "Trích yếu nội dung"
    assert INCOMING_FIELDS.get("ArrivalNumber").label == "Số đến"
    assert DOSSIER_FIELDS.get("Maintenance").label == "Thời hạn bảo quản"


def test_a_complete_valid_outgoing_record_has_no_errors():
    values = {
        "FileCode.OrganId": "000.00.00.H34",
        "FileCode.FileCatalog": 2025,
        "FileCode.FileNotation": "01.TH",
        "DocOrdinal": "1",
        "TypeName": "Quyết định",
        "CodeNumber": "15",
        "CodeNotation": "QĐ-UBND",
        "IssuedDate": "01/07/2025",
        "OrganName": "Ủy ban nhân dân tỉnh Khánh Hòa",
        "Subject": "V/v triển khai chính quyền hai cấp",
        "Language": "Tiếng Việt",
        "PageAmount": 3,
        "Description": "",
        "SignerInfo.Position": "Chủ tịch",
        "SignerInfo.FullName": "Nguyễn Văn A",
        "To.OrganId": ["000.00.02.H34", "000.00.21.H34"],
        "To.OrganName": ["Sở Nội vụ tỉnh Khánh Hòa", "Ủy ban nhân dân phường Nha Trang"],
        "Priority": 0,
        "IssuedAmount": "10",
        "DueDate": date(2025, 7, 15),
    }
    assert validate_fields(OUTGOING_FIELDS, values) == {}


def test_errors_are_per_field_and_in_vietnamese():
    errors = validate_fields(
        OUTGOING_FIELDS,
        {
            "Subject": "x" * 501,
            "PageAmount": "12a",
            "IssuedAmount": 1234,
            "IssuedDate": "31/02/2025",
            "DueDate": "2025/07/01",
            "TypeName": 15,
            "FileCode": "abc",
            "Bogus": "1",
        },
        required={"CodeNotation"},
    )
    assert errors == {
        "Subject": "Trích yếu nội dung dài quá 500 ký tự (hiện có 501).",
        "PageAmount": "Số trang của văn bản phải là số nguyên không âm.",
        "IssuedAmount": "Số lượng bản phát hành không được quá 3 chữ số.",
        "IssuedDate": "Ngày, tháng, năm văn bản không phải ngày hợp lệ (định dạng dd/mm/yyyy).",
        "DueDate": "Hạn trả lời văn bản không phải ngày hợp lệ (định dạng dd/mm/yyyy).",
        "TypeName": "Tên loại văn bản phải là chuỗi ký tự.",
        "FileCode": "Mã hồ sơ là nhóm trường, không nhận giá trị trực tiếp.",
        "Bogus": "Trường thông tin không có trong danh mục.",
        "CodeNotation": "Chưa nhập ký hiệu của văn bản.",
    }


def test_repeated_fields_take_lists_and_name_the_bad_item():
    errors = validate_fields(
        OUTGOING_FIELDS,
        {"To.OrganId": ["000.00.00.H34", None, "x" * 14], "To.OrganName": "Sở Nội vụ"},
    )
    assert errors == {
        "To.OrganId": "Nơi nhận thứ 3: Mã định danh của cơ quan, tổ chức nhận văn bản dài quá "
        "13 ký tự (hiện có 14).",
        "To.OrganName": "Tên cơ quan, tổ chức nhận văn bản phải là danh sách (mỗi nơi nhận một "
        "giá trị).",
    }
    assert validate_fields(OUTGOING_FIELDS, {"To.OrganId": []}, required={"To.OrganId"}) == {
        "To.OrganId": "Chưa nhập mã định danh của cơ quan, tổ chức nhận văn bản."
    }


@pytest.mark.parametrize(
    ("value", "ok"),
    [(0, True), ("0010", True), (9999999999, True), (-1, False), (True, False),
     (1.5, False), ("1 0", False), (12345678901, False)],
)  # fmt: skip
def test_arrival_number_is_a_number_of_up_to_ten_digits(value, ok):
    errors = validate_fields(INCOMING_FIELDS, {"ArrivalNumber": value})
    assert (errors == {}) is ok


def test_long_text_has_no_limit_and_blank_values_are_skipped():
    assert validate_fields(INCOMING_FIELDS, {"TraceHeaderList": "ý kiến " * 10_000}) == {}
    assert validate_fields(INCOMING_FIELDS, {"Subject": "   ", "DueDate": None}) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05/01/2025", date(2025, 1, 5)),
        ("2025-01-05", date(2025, 1, 5)),
        (" 29/02/2024 ", date(2024, 2, 29)),
        (date(2025, 7, 1), date(2025, 7, 1)),
        ("29/02/2025", None),
        ("5/1/2025", None),
        ("2025/01/05", None),
        (datetime(2025, 7, 1, 8, 0), None),
        (20250105, None),
        ("٠٥/٠١/٢٠٢٥", None),
    ],
)
def test_parse_date_value(value, expected):
    assert parse_date_value(value) == expected


def test_dossier_validation():
    errors = validate_fields(
        DOSSIER_FIELDS, {"Maintenance": "Vĩnh viễn", "StartDate": "01/01/2025", "DocTotal": "10000"}
    )
    assert errors == {"DocTotal": "Tổng số văn bản trong hồ sơ không được quá 4 chữ số."}


def test_register_columns_follow_phu_luc_iv():
    assert [c.label for c in OUTGOING_REGISTER.columns] == [
        "Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản",
        "Người ký", "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản",
        "Ngày chuyển", "Ký nhận", "Ghi chú",
    ]  # fmt: skip
    assert [c.label for c in INCOMING_REGISTER.columns] == [
        "Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu văn bản", "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung văn bản", "Đơn vị hoặc người nhận", "Ngày chuyển",
        "Ký nhận", "Ghi chú",
    ]  # fmt: skip
    assert [c.label for c in HANDLING_REGISTER.columns] == [
        "Số đến",
        "Tên loại, số, ký hiệu, ngày, tháng và tên cơ quan, tổ chức ban hành văn bản",
        "Đơn vị hoặc người nhận", "Thời hạn giải quyết", "Tiến độ giải quyết",
        "Số, ký hiệu văn bản trả lời", "Ghi chú",
    ]  # fmt: skip
    assert {code: len(r.columns) for code, r in REGISTERS.items()} == {
        "outgoing": 10, "incoming": 10, "handling": 7, "postal": 6, "archive_use": 9,
    }  # fmt: skip
    for register in REGISTERS.values():
        keys = [c.key for c in register.columns]
        assert len(keys) == len(set(keys))
        assert register.title.isupper()
