"""Document types (NĐ 30 Điều 7, Phụ lục III), urgency and secrecy."""

from __future__ import annotations

import dataclasses

import pytest

from eoffice.documents import types
from eoffice.documents.text import fold_vietnamese
from eoffice.documents.types import (
    DocumentCategory,
    InvalidPriority,
    Secrecy,
    UnknownDocumentType,
    Urgency,
    administrative_types,
    copy_types,
    find_by_abbreviation,
    get_document_type,
)
from eoffice.errors import InvalidInput, NotFound

# Điều 7, in the decree's order (copied from the decree text).
DIEU_7 = (
    "Nghị quyết (cá biệt), quyết định (cá biệt), chỉ thị, quy chế, quy định, thông cáo, thông báo, "
    "hướng dẫn, chương trình, kế hoạch, phương án, đề án, dự án, báo cáo, biên bản, tờ trình, "
    "hợp đồng, công văn, công điện, bản ghi nhớ, bản thỏa thuận, giấy uỷ quyền, giấy mời, "
    "giấy giới thiệu, giấy nghỉ phép, phiếu gửi, phiếu chuyển, phiếu báo, thư công"
)

# Phụ lục III §I, "Bảng chữ viết tắt tên loại văn bản hành chính và bản sao văn bản".
PHU_LUC_III = {
    "Nghị quyết (cá biệt)": "NQ",
    "Quyết định (cá biệt)": "QĐ",
    "Chỉ thị": "CT",
    "Quy chế": "QC",
    "Quy định": "QyĐ",
    "Thông cáo": "TC",
    "Thông báo": "TB",
    "Hướng dẫn": "HD",
    "Chương trình": "CTr",
    "Kế hoạch": "KH",
    "Phương án": "PA",
    "Đề án": "ĐA",
    "Dự án": "DA",
    "Báo cáo": "BC",
    "Biên bản": "BB",
    "Tờ trình": "TTr",
    "Hợp đồng": "HĐ",
    "Công điện": "CĐ",
    "Bản ghi nhớ": "BGN",
    "Bản thỏa thuận": "BTT",
    "Giấy uỷ quyền": "GUQ",
    "Giấy mời": "GM",
    "Giấy giới thiệu": "GGT",
    "Giấy nghỉ phép": "GNP",
    "Phiếu gửi": "PG",
    "Phiếu chuyển": "PC",
    "Phiếu báo": "PB",
}
COPIES = {"Bản sao y": "SY", "Bản trích sao": "TrS", "Bản sao lục": "SL"}

# domain-rules §1.1: the ASCII codes the API uses.
CODES = {
    "NQ": "NQ", "QD": "QĐ", "CT": "CT", "QC": "QC", "QYD": "QyĐ", "TC": "TC", "TB": "TB",
    "HD": "HD", "CTR": "CTr", "KH": "KH", "PA": "PA", "DEA": "ĐA", "DA": "DA", "BC": "BC",
    "BB": "BB", "TTR": "TTr", "HD2": "HĐ", "CD": "CĐ", "BGN": "BGN", "BTT": "BTT", "GUQ": "GUQ",
    "GM": "GM", "GGT": "GGT", "GNP": "GNP", "PG": "PG", "PC": "PC", "PB": "PB", "CV": None,
    "TCG": None,
}  # fmt: skip


def test_there_are_exactly_29_administrative_types_in_the_order_of_dieu_7():
    names = [fold_vietnamese(t.name) for t in administrative_types()]
    assert len(names) == 29
    assert names == [fold_vietnamese(name.strip()) for name in DIEU_7.split(",")]


def test_abbreviations_are_those_of_phu_luc_iii():
    by_name = {fold_vietnamese(t.name): t.abbreviation for t in administrative_types()}
    expected = {fold_vietnamese(name): abbr for name, abbr in PHU_LUC_III.items()}
    assert {name: abbr for name, abbr in by_name.items() if abbr is not None} == expected
    assert by_name[fold_vietnamese("Công văn")] is None
    assert by_name[fold_vietnamese("Thư công")] is None


def test_codes_match_the_domain_rules():
    assert {t.code: t.abbreviation for t in administrative_types()} == CODES


def test_copy_forms_share_the_copy_category():
    copies = copy_types()
    assert {t.name: t.abbreviation for t in copies} == COPIES
    assert [t.code for t in copies] == ["SY", "TRS", "SL"]
    assert all(t.is_copy and t.category is DocumentCategory.COPY for t in copies)
    assert [t.heading for t in copies] == ["SAO Y", "TRÍCH SAO", "SAO LỤC"]
    assert not any(t.is_copy for t in administrative_types())


def test_cong_van_and_thu_cong_take_the_unit_in_their_notation():
    unit_form = [t.code for t in administrative_types() if t.notation_uses_unit]
    assert unit_form == ["CV", "TCG"]
    assert get_document_type("CV").heading is None


def test_headings_are_the_upper_case_names():
    for doc_type in administrative_types():
        if doc_type.heading is not None:
            assert doc_type.heading == doc_type.name.removesuffix(" (cá biệt)").upper()


def test_lookup_by_code_covers_types_and_copies():
    assert get_document_type("QD").name == "Quyết định (cá biệt)"
    assert get_document_type("TRS").abbreviation == "TrS"
    assert get_document_type("HD2").abbreviation == "HĐ"


def test_unknown_code_raises_not_found_with_a_vietnamese_message():
    with pytest.raises(UnknownDocumentType) as caught:
        get_document_type("qd")
    assert isinstance(caught.value, NotFound)
    assert caught.value.render() == "Không có loại văn bản mã «qd»."


def test_abbreviation_lookup_is_exact_first_then_case_insensitive():
    assert find_by_abbreviation("TTr").code == "TTR"
    assert find_by_abbreviation("TTR").code == "TTR"
    assert find_by_abbreviation("QYĐ").code == "QYD"
    assert find_by_abbreviation("qđ").code == "QD"
    assert find_by_abbreviation("trs").code == "TRS"
    assert find_by_abbreviation("XYZ") is None
    upper = [
        t.abbreviation.upper() for t in administrative_types() + copy_types() if t.abbreviation
    ]
    assert len(upper) == len(set(upper))


def test_types_are_frozen_and_loaded_once():
    doc_type = get_document_type("QD")
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc_type.name = "x"  # type: ignore[misc]
    assert administrative_types() is administrative_types()


def test_a_malformed_entry_is_rejected():
    with pytest.raises(types.DocumentTypeDataError):
        types._build_type(
            {"code": "qd", "name": "x", "abbreviation": None, "heading": None},
            DocumentCategory.ADMINISTRATIVE,
        )
    with pytest.raises(types.DocumentTypeDataError):
        types._build_type({"code": "QD"}, DocumentCategory.ADMINISTRATIVE)


def test_urgency_labels_and_stamps():
    assert [u.value for u in Urgency] == ["thuong", "khan", "thuong_khan", "hoa_toc"]
    assert [u.label for u in Urgency] == ["Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc"]
    assert [u.stamp for u in Urgency] == [None, "KHẨN", "THƯỢNG KHẨN", "HỎA TỐC"]
    assert Urgency.HOA_TOC.stamp_size_mm == (30, 8)
    assert Urgency.THUONG_KHAN.stamp_size_mm == (40, 8)
    assert Urgency.KHAN.stamp_size_mm == (20, 8)
    assert Urgency.THUONG.stamp_size_mm is None
    assert [u.is_urgent for u in Urgency] == [False, True, True, True]


def test_urgency_maps_to_edxml_priority_and_back():
    assert [u.edxml_priority for u in Urgency] == [0, 1, 2, 3]
    for urgency in Urgency:
        assert Urgency.from_edxml_priority(urgency.edxml_priority) is urgency
    assert Urgency.from_edxml_priority(4) is Urgency.HOA_TOC


@pytest.mark.parametrize("priority", [-1, 5, True, "1", None, 1.0])
def test_invalid_edxml_priority_is_rejected(priority):
    with pytest.raises(InvalidPriority) as caught:
        Urgency.from_edxml_priority(priority)
    assert isinstance(caught.value, InvalidInput)
    assert "từ 0 đến 4" in caught.value.render()


def test_secrecy_labels_and_stamps():
    assert [s.value for s in Secrecy] == ["thuong", "mat", "toi_mat", "tuyet_mat"]
    assert [s.label for s in Secrecy] == ["Thường", "Mật", "Tối mật", "Tuyệt mật"]
    assert [s.stamp for s in Secrecy] == [None, "MẬT", "TỐI MẬT", "TUYỆT MẬT"]
    assert [s.is_secret for s in Secrecy] == [False, True, True, True]
