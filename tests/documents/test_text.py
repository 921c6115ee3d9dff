"""Diacritics-insensitive folding and search terms."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eoffice.documents.text import fold_vietnamese, matches_all_terms, search_terms

VIETNAMESE_LETTERS = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)
vietnamese_text = st.text(
    alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + " 0123456789/-,.", max_size=60
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Quyết định", "quyet dinh"),
        ("ĐẢNG ĐOÀN", "dang doan"),
        ("đường Trần Phú", "duong tran phu"),
        ("Ủy ban nhân dân tỉnh Khánh Hòa", "uy ban nhan dan tinh khanh hoa"),
        ("Uỷ ban, Khánh Hoà", "uy ban, khanh hoa"),
        ("Số 15/QĐ-UBND", "so 15/qd-ubnd"),
        ("ƯỚC MƠ Ở ĐÂY", "uoc mo o day"),
        ("Ð legacy eth", "d legacy eth"),
        ("ＱＵＹẾＴ", "quyet"),
    ],
)
def test_examples(text, folded):
    assert fold_vietnamese(text) == folded


def test_composed_and_decomposed_input_fold_alike():
    composed = "Nghị quyết về việc Đổi mới"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert fold_vietnamese(decomposed) == fold_vietnamese(composed) == "nghi quyet ve viec doi moi"


@given(vietnamese_text)
def test_vietnamese_folds_to_lowercase_ascii(text):
    folded = fold_vietnamese(text)
    assert folded.isascii()
    assert folded == folded.lower()
    assert len(folded) == len(text)


@given(st.text())
def test_folding_is_idempotent_and_normalisation_blind(text):
    folded = fold_vietnamese(text)
    assert fold_vietnamese(folded) == folded
    assert not any(unicodedata.combining(ch) for ch in folded)
    assert "đ" not in folded
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assert fold_vietnamese(nfc) == fold_vietnamese(nfd)


def test_search_terms_tokenise_fold_and_deduplicate():
    assert search_terms("  Quyết  định, quyet DINH 15/QĐ-UBND ") == [
        "quyet",
        "dinh",
        "15",
        "qd",
        "ubnd",
    ]
    assert search_terms("") == []
    assert search_terms(" -/_, ") == []


def test_unaccented_query_finds_accented_text():
    subject = "Quyết định số 15/QĐ-UBND về việc phê duyệt kế hoạch chuyển đổi số"
    assert matches_all_terms(subject, "quyet dinh")
    assert matches_all_terms(subject, "ke hoach chuyen doi so")
    assert matches_all_terms(subject, "15/qd")
    assert matches_all_terms(subject, "KẾ HOẠCH")
    assert not matches_all_terms(subject, "quyet dinh cong van")
    assert matches_all_terms(subject, "")


@given(vietnamese_text, vietnamese_text)
def test_a_text_matches_any_query_made_of_its_own_words(text, other):
    words = text.split()
    assert matches_all_terms(f"{other} {text}", " ".join(reversed(words)))
