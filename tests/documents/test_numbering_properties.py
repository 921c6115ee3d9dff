"""Properties of the số/ký hiệu formatter over any text, hostile included.

For every input, each function either gives back something that reads back the same, or raises
its own typed error whose Vietnamese message renders — never another exception.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st

from eoffice.documents.numbering import (
    MAX_NOTATION_LENGTH,
    MAX_NUMBER_LENGTH,
    DocumentCode,
    InvalidAbbreviation,
    InvalidDateLine,
    InvalidDocumentCode,
    InvalidDocumentId,
    NumberingError,
    check_abbreviation,
    date_line,
    format_code,
    format_document_id,
    format_number,
    notation_for,
    parse_date_line,
    parse_document_id,
    split_code,
)
from eoffice.documents.types import administrative_types, copy_types

# Any Unicode text, weighted towards what breaks formats: separators, digits, dashes, spaces,
# combining marks, Vietnamese letters, other scripts' digits, control characters and markup.
SPICE = "/-,.:; \t\n\u00a0\u2013\u2212\u0301\u0323ĐđQĐUBND0123456789٣०<>&'\"{}%\x00\x1b"
texts = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(SPICE), max_size=40)
numbers = st.integers(min_value=-5, max_value=10**12)
all_types = st.sampled_from(administrative_types() + copy_types())
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


def _renders(error: NumberingError) -> None:
    """The message renders, with every placeholder filled (a value may hold braces itself)."""
    message = error.render()
    values = " ".join(map(str, error.params.values()))
    for key in error.params:
        assert "{" + key + "}" not in message or "{" + key + "}" in values
    assert message and error.code.startswith(("invalid_", "numbering_"))


@settings(max_examples=300)
@given(texts)
@example("Số: 15/QĐ-UBND")
@example("15/\u0301")
@example("١٥/QĐ")
def test_split_code_reads_back_what_it_returns(text: str) -> None:
    try:
        code = split_code(text)
    except InvalidDocumentCode as e:
        _renders(e)
        return
    assert code.number.isascii() and code.number.isdigit()
    assert 0 < len(code.number) <= MAX_NUMBER_LENGTH and code.notation
    assert not any(ch.isspace() for ch in code.text)
    assert unicodedata.is_normalized("NFC", code.notation)
    assert split_code(code.text) == code


@settings(max_examples=300)
@given(numbers, texts)
def test_format_code_round_trips_or_refuses(number: int, notation: str) -> None:
    try:
        text = format_code(number, notation)
    except NumberingError as e:
        _renders(e)
        return
    assert len(notation) <= MAX_NOTATION_LENGTH
    assert split_code(text) == DocumentCode(format_number(number), notation)


@settings(max_examples=300)
@given(texts)
def test_abbreviations_are_letters_digits_and_ampersand_or_refused(text: str) -> None:
    try:
        checked = check_abbreviation(text)
    except InvalidAbbreviation as e:
        _renders(e)
        return
    assert checked == text and all(ch.isalnum() or ch == "&" for ch in text)


@settings(max_examples=300)
@given(all_types, texts, st.none() | texts, numbers)
def test_every_notation_built_fits_and_round_trips(doc_type, org: str, unit, number: int) -> None:
    try:
        notation = notation_for(doc_type, org, unit)
        text = format_code(number, notation)
    except NumberingError as e:
        _renders(e)
        return
    assert len(notation) <= MAX_NOTATION_LENGTH
    assert "," not in notation and not any(ch.isspace() for ch in notation)
    assert split_code(text).notation == notation


@settings(max_examples=300)
@given(texts)
@example("000.00.00.H34,2020/01/05,15/QĐ-UBND")
@example("x,2020/02/30,1/A")
def test_document_ids_read_back_the_same(text: str) -> None:
    try:
        parts = parse_document_id(text)
    except InvalidDocumentId as e:
        _renders(e)
        return
    try:
        again = format_document_id(parts.organ_id, parts.issued_on, parts.code.text)
    except NumberingError as e:  # an organ ID with a space parses but is not written
        _renders(e)
        return
    assert parse_document_id(again) == parts


@settings(max_examples=300)
@given(texts, dates)
def test_date_lines_read_back_the_same(place: str, day: date) -> None:
    try:
        line = date_line(place, day)
    except InvalidDateLine as e:
        _renders(e)
        return
    read_place, read_day = parse_date_line(line)
    assert read_day == day
    assert read_place == " ".join(unicodedata.normalize("NFC", place).split())
