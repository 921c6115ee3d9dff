"""Hostile PDFs through the readers every entry point shares: the upload check, the search-text
extraction and signature validation. Each refuses with its code or reads within bounds.

Each reader runs in a child process capped at a few tens of megabytes above its start."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

import signing
from eoffice.documents.blobs import check_pdf, extract_pdf_text
from eoffice.documents.pdfsafety import TEXT_CONTENT_BUDGET, find_active_content
from eoffice.errors import InvalidInput
from tests.data.hostile import pdfs
from tests.hostile.conftest import MB, PDF_EXPECTED, corpus_pdf, in_bounded_child


def _check(data: bytes) -> tuple[str, int | str]:
    """Run the upload check: ("ok", pages) or ("refused", code) — with the message checked."""
    try:
        return "ok", check_pdf(data)
    except InvalidInput as e:
        message = e.render()
        assert set(e.fields) == {"file"} and "{" not in message  # noqa: PT017
        return "refused", e.code


def _validate(data: bytes) -> str:
    try:
        return signing.validate_pdf(data).bottom_line.value
    except signing.SigningError as e:
        return e.code


@pytest.mark.parametrize(("name", "code"), PDF_EXPECTED.items())
def test_the_upload_check_refuses_or_accepts_each_file(name: str, code: str | None) -> None:
    outcome = in_bounded_child(_check, corpus_pdf(name), limit_bytes=80 * MB)
    assert outcome == (("ok", 1) if code is None else ("refused", code))


@pytest.mark.parametrize("name", PDF_EXPECTED)
def test_text_extraction_never_raises_and_stays_bounded(name: str) -> None:
    text = in_bounded_child(extract_pdf_text, corpus_pdf(name), limit_bytes=80 * MB)
    assert isinstance(text, str) and len(text) <= 200_000
    if PDF_EXPECTED[name] is None and name != "form-xobject-bomb.pdf":
        assert "Cong van thu nghiem" in text


@pytest.mark.parametrize("name", PDF_EXPECTED)
def test_signature_validation_reports_or_refuses_with_a_typed_error(name: str) -> None:
    """No RecursionError or parser exception escapes: a red report (nothing here is signed),
    or MalformedPdf / EncryptedPdf."""
    verdict = in_bounded_child(_validate, corpus_pdf(name), limit_bytes=120 * MB)
    assert verdict in ("red", "malformed_pdf", "encrypted_pdf")
    if "encrypted" in name:
        assert verdict == "encrypted_pdf"


def test_a_content_stream_of_millions_of_operators_is_not_interpreted() -> None:
    bomb = pdfs.content_bomb(2_000_000)  # a few kB on disk, 14 MB of operators once decoded
    assert len(bomb) < 100_000
    assert check_pdf(bomb) == 1  # a valid PDF: accepted; only its search text is skipped
    text = in_bounded_child(extract_pdf_text, bomb, limit_bytes=TEXT_CONTENT_BUDGET + 80 * MB)
    assert text == ""


def test_form_xobjects_drawing_each_other_stop_at_the_operator_budget() -> None:
    bomb = pdfs.form_xobject_bomb(levels=12, fan_out=8)
    text = in_bounded_child(extract_pdf_text, bomb, limit_bytes=80 * MB)
    assert len(text) < 1000  # 8**12 draws would be 68 thousand million lines


def test_a_page_tree_of_two_to_the_eightieth_pages_is_refused() -> None:
    outcome = in_bounded_child(_check, pdfs.page_tree_dag(80), limit_bytes=80 * MB)
    assert outcome == ("refused", "pdf_malformed")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("javascript-open-action.pdf", "JavaScript"),
        ("javascript-link.pdf", "JavaScript"),  # written /J#61vaScript
        ("javascript-objstm.pdf", "JavaScript"),  # inside a compressed object stream
        ("javascript-name-tree.pdf", "JavaScript"),
        ("launch-action.pdf", "Launch"),
        ("valid.pdf", None),
    ],
)
def test_active_content_is_found_however_it_is_written(name: str, kind: str | None) -> None:
    data = corpus_pdf(name)
    assert find_active_content(PdfReader(BytesIO(data)), data) == kind


def test_names_that_only_look_like_actions_are_not_active_content() -> None:
    # "/JavaScript" as a font name and "(JavaScript)" as text: not actions, so accepted.
    benign = pdfs.one_page(catalog_extra=b" /Lang (JavaScript /Launch)").replace(
        b"/Helvetica", b"/JavaScript"
    )
    assert b"/JavaScript" in benign and check_pdf(benign) == 1
    with pytest.raises(InvalidInput) as refused:  # but any dictionary with /JS is an action
        check_pdf(pdfs.one_page(catalog_extra=b" /Metadata << /JS (x) >>"))
    assert refused.value.code == "pdf_active_content"
