"""Registry fixtures: a blob store in a temp dir and small PDFs made with fpdf2."""

from __future__ import annotations

from datetime import date

import pytest
from fpdf import FPDF

from eoffice.documents.blobs import BlobStore, FilePolicy, Upload
from eoffice.documents.metadata import DocumentMetadata


def make_pdf(text: str = "Quyết định về việc thử nghiệm", pages: int = 1) -> bytes:
    pdf = FPDF()
    for i in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=f"{_ascii(text)} - trang {i + 1}")
    return bytes(pdf.output())


def _ascii(text: str) -> str:
    from eoffice.documents.text import fold_vietnamese

    return fold_vietnamese(text)


@pytest.fixture
def policy(tmp_path) -> FilePolicy:
    return FilePolicy(
        BlobStore(tmp_path / "blobs"),
        max_main_bytes=2 * 1024 * 1024,
        max_attachment_bytes=1024 * 1024,
    )


@pytest.fixture
def pdf_upload() -> Upload:
    return Upload("cong-van.pdf", "application/pdf", make_pdf())


def incoming_meta(**overrides) -> DocumentMetadata:
    values = dict(
        type_code="CV",
        subject="V/v báo cáo tình hình thực hiện nhiệm vụ quý IV",
        organ_name="Sở Tài chính tỉnh Khánh Hòa",
        organ_id="000.00.02.H34",
        code_number="123",
        code_notation="STC-NS",
        issued_date=date(2026, 11, 20),
        signer_name="Trần Văn Bình",
        signer_position="Giám đốc",
    )
    values.update(overrides)
    return DocumentMetadata(**values)
