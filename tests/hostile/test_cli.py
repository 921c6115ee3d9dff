"""`eoffice verify-pdf` and `eoffice vxp parse` on the corpus, through the real command tree."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from eoffice.cli import main
from tests.data.hostile import edxml
from tests.hostile.conftest import CORPUS, EDXML_EXPECTED, PDF_EXPECTED


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# What pyHanko cannot read (it does not repair a wrong xref as pypdf does): exit code 2.
UNREADABLE = {
    "truncated.pdf", "wrong-xref.pdf", "header-only.pdf", "garbage-after-header.pdf",
    "deep-nesting.pdf", "encrypted-user-password.pdf", "encrypted-empty-password.pdf",
}  # fmt: skip


@pytest.mark.parametrize("name", PDF_EXPECTED)
def test_verify_pdf_answers_every_file_with_an_exit_code(name: str, tmp_path) -> None:
    """2 with a Vietnamese reason when unreadable, else 1 (red: nothing here is signed); never
    a traceback."""
    result = _run("verify-pdf", str(CORPUS / "pdf" / name), "--trust", str(tmp_path))
    assert result.exit_code == (2 if name in UNREADABLE else 1), result.output
    assert "Traceback" not in result.output
    first = result.output.splitlines()[0]
    assert first.startswith("Tệp") if name in UNREADABLE else "KHÔNG HỢP LỆ" in first


@pytest.mark.parametrize(("name", "expected"), EDXML_EXPECTED.items())
def test_vxp_parse_answers_every_message(name: str, expected: tuple) -> None:
    code, _ = expected
    result = _run("vxp", "parse", str(CORPUS / "edxml" / name), "--json")
    if code is not None:
        assert result.exit_code == 1 and f"[{code}]" in result.output
        assert "Gói tin edXML" in result.output or "Tệp" in result.output
        return
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["kind"] in ("edoc", "status")
    for attachment in summary["attachments"]:
        assert "/" not in attachment["name"] and attachment["name"].isprintable()


def test_vxp_parse_prints_no_terminal_controls(tmp_path) -> None:
    message = tmp_path / "c1.edxml"
    message.write_bytes(edxml.edoc(raw={"subject": "V/v &#x9B;2J&#x9D;0;tiêu đề&#x9C; thử"}))
    result = _run("vxp", "parse", str(message))
    assert result.exit_code == 0
    assert not any(0x80 <= ord(ch) <= 0x9F for ch in result.output)
    assert "Trích yếu: V/v \\u009b2J\\u009d0;tiêu đề\\u009c thử" in result.output
