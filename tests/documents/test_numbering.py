"""Số, ký hiệu, date line and DocumentId formats (NĐ 30 Phụ lục I §II.3–4, Phụ lục VI)."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eoffice.documents.numbering import (
    DocumentCode,
    InvalidAbbreviation,
    InvalidDateLine,
    InvalidDocumentCode,
    InvalidDocumentId,
    check_abbreviation,
    cong_van_notation,
    copy_notation,
    date_line,
    format_code,
    format_document_id,
    format_issue_date,
    format_number,
    is_qcvn102_code,
    legal_notation,
    notation_for,
    parse_date_line,
    parse_document_id,
    split_code,
    typed_notation,
)
from eoffice.documents.types import administrative_types, get_document_type
from eoffice.errors import InvalidInput

ABBR_ALPHABET = "ABCDĐEGHIKLMNOPQRSTUVXYƯÂÊÔƠrstyđ0123456789&"
abbreviations = st.text(alphabet=ABBR_ALPHABET, min_size=1, max_size=8)
numbers = st.integers(min_value=1, max_value=10**11 - 1)
dates = st.dates(min_value=date(1945, 9, 2), max_value=date(2200, 12, 31))
place_words = st.text(alphabet="abcdđeghiklmnoqrstuvxyàáảãạăằắâầấêềếôồốơờớưừứ", min_size=1)
places = st.lists(
    st.builds(lambda w: w[0].upper() + w[1:], place_words), min_size=1, max_size=5
).map(" ".join)


@pytest.mark.parametrize(
    ("number", "text"), [(1, "01"), (9, "09"), (10, "10"), (123, "123"), (10**10, "10000000000")]
)
def test_numbers_are_padded_below_ten(number, text):
    assert format_number(number) == text


@pytest.mark.parametrize("number", [0, -1, True, 1.0, "5", 10**11])
def test_bad_numbers_are_rejected(number):
    with pytest.raises(InvalidDocumentCode):
        format_number(number)


def test_the_decrees_examples():
    assert format_code(15, typed_notation("QĐ", "BNV")) == "15/QĐ-BNV"
    assert format_code(5, cong_van_notation("BNV", "VP")) == "05/BNV-VP"
    assert format_code(12, cong_van_notation("UBND", "VX")) == "12/UBND-VX"
    assert format_code(30, legal_notation(2020, "NĐ", "CP")) == "30/2020/NĐ-CP"
    assert format_code(3, typed_notation("TTr", "UBND")) == "03/TTr-UBND"


def test_copies_take_the_copying_agency():
    assert format_code(7, copy_notation("SY", "UBND")) == "07/SY-UBND"
    assert format_code(8, copy_notation("TrS", "SNV")) == "08/TrS-SNV"
    assert format_code(9, copy_notation("SL", "SNV")) == "09/SL-SNV"
    with pytest.raises(InvalidAbbreviation):
        copy_notation("TRS", "SNV")


def test_notation_for_each_kind_of_type():
    assert notation_for(get_document_type("QD"), "UBND") == "QĐ-UBND"
    assert notation_for(get_document_type("QYD"), "SNV") == "QyĐ-SNV"
    assert notation_for(get_document_type("CV"), "UBND", "VX") == "UBND-VX"
    assert notation_for(get_document_type("TCG"), "UBND", "VP") == "UBND-VP"
    assert notation_for(get_document_type("TRS"), "UBND", "VX") == "TrS-UBND"
    with pytest.raises(InvalidAbbreviation) as caught:
        notation_for(get_document_type("CV"), "UBND")
    assert caught.value.render() == "Công văn cần chữ viết tắt của đơn vị soạn thảo."


def test_every_type_builds_a_notation_that_splits_back():
    for doc_type in administrative_types():
        notation = notation_for(doc_type, "UBND", "VP")
        assert split_code(format_code(1, notation)) == DocumentCode("01", notation)


@pytest.mark.parametrize("good", ["UBND", "QyĐ", "TTr", "SNN&PTNT", "NV1", "ĐA"])
def test_good_abbreviations(good):
    assert check_abbreviation(good) == good


@pytest.mark.parametrize(
    "bad", ["", "UB ND", "A/B", "A-B", "A,B", "VP.", " VP", unicodedata.normalize("NFD", "VŨ")]
)
def test_bad_abbreviations(bad):
    with pytest.raises(InvalidAbbreviation) as caught:
        check_abbreviation(bad)
    assert isinstance(caught.value, InvalidInput)


def test_notations_are_limited_to_30_characters():
    assert len(typed_notation("QĐ", "A" * 27)) == 30
    with pytest.raises(InvalidDocumentCode):
        typed_notation("QĐ", "A" * 28)
    with pytest.raises(InvalidDocumentCode):
        legal_notation(2020, "NĐ", "A" * 23)
    with pytest.raises(InvalidDocumentCode):
        legal_notation(20, "NĐ", "CP")


@pytest.mark.parametrize(
    ("text", "number", "notation"),
    [
        ("15/QĐ-UBND", "15", "QĐ-UBND"),
        ("Số: 05/BNV-VP", "05", "BNV-VP"),
        ("  số 12 / UBND - VX ", "12", "UBND-VX"),
        ("12/UBND–VX", "12", "UBND-VX"),
        ("30/2020/NĐ-CP", "30", "2020/NĐ-CP"),
        (unicodedata.normalize("NFD", "15/QĐ-UBND"), "15", "QĐ-UBND"),
        ("7816/VPCP-TTĐT", "7816", "VPCP-TTĐT"),
    ],
)
def test_split_code_reads_what_clerks_type(text, number, notation):
    code = split_code(text)
    assert (code.number, code.notation) == (number, notation)
    assert code.text == f"{number}/{notation}"


@pytest.mark.parametrize("text", ["", "QĐ-UBND", "15/", "/QĐ-UBND", "15a/QĐ-UBND", "١٥/QĐ-UBND"])
def test_split_code_rejects_what_is_not_a_code(text):
    with pytest.raises(InvalidDocumentCode):
        split_code(text)


@pytest.mark.parametrize("notation", ["", "QĐ UBND", "QĐ–UBND", unicodedata.normalize("NFD", "VŨ")])
def test_format_code_rejects_notations_it_could_not_read_back(notation):
    with pytest.raises(InvalidDocumentCode):
        format_code(1, notation)


def test_number_value():
    assert split_code("05/BNV-VP").number_value == 5


@given(numbers, abbreviations, abbreviations)
def test_typed_code_round_trip(number, type_abbr, org):
    notation = typed_notation(type_abbr, org)
    code = split_code(format_code(number, notation))
    assert code == DocumentCode(format_number(number), notation)
    assert code.number_value == number


@given(numbers, st.integers(1000, 9999), abbreviations, abbreviations)
def test_legal_code_round_trip(number, year, type_abbr, org):
    notation = legal_notation(year, type_abbr, org)
    assert split_code(format_code(number, notation)) == DocumentCode(
        format_number(number), notation
    )


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2020, 1, 5), "ngày 05 tháng 01 năm 2020"),
        (date(2019, 6, 29), "ngày 29 tháng 6 năm 2019"),
        (date(2025, 2, 10), "ngày 10 tháng 02 năm 2025"),
        (date(2025, 10, 1), "ngày 01 tháng 10 năm 2025"),
        (date(2025, 12, 31), "ngày 31 tháng 12 năm 2025"),
    ],
)
def test_issue_date_padding(day, text):
    assert format_issue_date(day) == text


def test_date_line():
    assert date_line("Hà Nội", date(2020, 1, 5)) == "Hà Nội, ngày 05 tháng 01 năm 2020"
    assert (
        date_line("Thành phố Hồ Chí Minh", date(2019, 6, 29))
        == "Thành phố Hồ Chí Minh, ngày 29 tháng 6 năm 2019"
    )
    assert date_line("  Khánh  Hòa ", date(2025, 7, 1)) == "Khánh Hòa, ngày 01 tháng 7 năm 2025"
    for bad in ("", "  ", "Nha Trang, Khánh Hòa"):
        with pytest.raises(InvalidDateLine):
            date_line(bad, date(2025, 7, 1))


def test_parse_date_line():
    assert parse_date_line("Khánh Hòa, Ngày 5 tháng 1 năm 2025") == ("Khánh Hòa", date(2025, 1, 5))
    for bad in (
        "Khánh Hòa, ngày 31 tháng 02 năm 2025",
        "ngày 01 tháng 7 năm 2025",
        "Khánh Hòa",
        "Khánh Hòa, ngày ٠١ tháng 7 năm 2025",
    ):
        with pytest.raises(InvalidDateLine):
            parse_date_line(bad)


@given(places, dates)
def test_date_line_round_trip(place, day):
    line = date_line(place, day)
    assert parse_date_line(line) == (place, day)
    assert parse_date_line(unicodedata.normalize("NFD", line)) == (place, day)


@given(dates)
def test_only_days_below_ten_and_months_one_and_two_are_padded(day):
    words = format_issue_date(day).split()
    assert len(words[1]) == 2
    month = words[3]
    assert month == (f"{day.month:02d}" if day.month <= 2 else str(day.month))


def test_document_id_of_the_vxp_example():
    text = format_document_id("000.00.00.G22", date(2018, 9, 20), "7816/VPCP-TTĐT")
    assert text == "000.00.00.G22,2018/09/20,7816/VPCP-TTĐT"
    parts = parse_document_id(text)
    assert parts.organ_id == "000.00.00.G22"
    assert parts.issued_on == date(2018, 9, 20)
    assert parts.code == DocumentCode("7816", "VPCP-TTĐT")


@pytest.mark.parametrize(
    "text",
    [
        "6f1c2a9e-8d1b-4c55-9c7e-0a1b2c3d4e5f",
        "000.00.00.H34,2018-09-20,15/QĐ-UBND",
        "000.00.00.H34,2018/13/01,15/QĐ-UBND",
        "000.00.00.H34,2018/09/20,",
        ",2018/09/20,15/QĐ-UBND",
        "000.00.00.H34,2018/09/20,QĐ-UBND",
        "000.00.00.H34,٢٠١٨/09/20,15/QĐ-UBND",
    ],
)
def test_parse_document_id_rejects_other_forms(text):
    with pytest.raises(InvalidDocumentId):
        parse_document_id(text)


def test_format_document_id_rejects_bad_organ_ids():
    for bad in ("", "000.00.00.H34,", "000 00"):
        with pytest.raises(InvalidDocumentId):
            format_document_id(bad, date(2025, 7, 1), "01/QĐ-UBND")


@given(
    st.from_regex(r"\A[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}\Z"),
    dates,
    numbers,
    abbreviations,
    abbreviations,
)
def test_document_id_round_trip(organ_id, day, number, type_abbr, org):
    code = format_code(number, typed_notation(type_abbr, org))
    text = format_document_id(organ_id, day, code)
    parts = parse_document_id(text)
    assert (parts.organ_id, parts.issued_on, parts.code.text) == (organ_id, day, code)
    assert is_qcvn102_code(parts.organ_id)


def test_qcvn102_codes_are_checked_strictly():
    assert is_qcvn102_code("000.00.00.H34")
    assert is_qcvn102_code("000.00.21.H36")
    loose_codes = (
        "vxp.saas.03",
        "01.02.G22",
        "001.00.20.TT2",
        "000.00.00.h34",
        "000.00.00.H34 ",
        "٠٠٠.00.00.H34",
    )
    for loose in loose_codes:
        assert not is_qcvn102_code(loose)
