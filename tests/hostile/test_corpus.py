"""The corpus is complete, every file has an expectation, and the files are what the builders make."""

from __future__ import annotations

import pytest

from tests.data.hostile import generate
from tests.hostile.conftest import CORPUS, EDXML_EXPECTED, PDF_EXPECTED, QUARANTINE_CODE


def test_every_file_has_an_expectation_and_every_expectation_a_file() -> None:
    assert {p.name for p in (CORPUS / "pdf").iterdir()} == set(PDF_EXPECTED)
    assert {p.name for p in (CORPUS / "edxml").iterdir()} == set(EDXML_EXPECTED)
    assert set(QUARANTINE_CODE) <= {
        name for name, (code, arrival) in EDXML_EXPECTED.items() if code is None
    }


@pytest.mark.parametrize(
    ("folder", "name"),
    [("pdf", n) for n in generate.pdfs.SMALL] + [("edxml", n) for n in generate.EDXML],
)
def test_committed_files_are_what_the_builders_make(folder: str, name: str) -> None:
    builders = generate.pdfs.SMALL if folder == "pdf" else generate.EDXML
    committed = (CORPUS / folder / name).read_bytes()
    assert len(committed) < 150 * 1024, "large bombs are built in the tests, not committed"
    if name not in generate.RANDOM:
        assert committed == builders[name](), "run python -m tests.data.hostile.generate"
