"""B-LTA upkeep: the worker function that renews archive timestamps before they expire."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import (
    BottomLine,
    Level,
    SigningServices,
    archive_timestamp_expiry,
    renew_archive_timestamp,
    renewal_due_at,
    sign_invisible,
    validate_pdf,
)
from signing.errors import LevelUnavailable, NotSignedPdf

from .conftest import make_pdf


@pytest.fixture(scope="module")
def archived(leader_key, online) -> bytes:
    return sign_invisible(
        make_pdf(["Hồ sơ lưu trữ"]),
        leader_key,
        level=Level.B_LTA,
        services=online,
        strict_level=True,
    ).pdf


def _timestamps(pdf: bytes) -> int:
    return len(PdfFileReader(BytesIO(pdf)).embedded_timestamp_signatures)


def test_expiry_is_that_of_the_tsa_certificate(archived, pki_env):
    tsa = x509.load_pem_x509_certificate((pki_env.directory / "ca" / "tsa.pem").read_bytes())
    assert archive_timestamp_expiry(archived) == tsa.not_valid_after_utc
    due = renewal_due_at(archived, timedelta(days=30))
    assert due == tsa.not_valid_after_utc - timedelta(days=30)


def test_nothing_to_do_before_the_renewal_date(archived, online):
    assert renew_archive_timestamp(archived, online, renew_before=timedelta(days=30)) is None


def test_renewal_adds_a_timestamp_chain_link(archived, online, offline):
    due = renewal_due_at(archived, timedelta(days=30))
    renewed = renew_archive_timestamp(
        archived, online, renew_before=timedelta(days=30), now=due + timedelta(seconds=1)
    )
    assert renewed is not None and renewed.startswith(archived)
    assert _timestamps(renewed) == _timestamps(archived) + 1
    report = validate_pdf(renewed, offline)
    assert report.bottom_line is BottomLine.GREEN, report.reasons
    assert [s.kind for s in report.signatures].count("timestamp") == 2


def test_a_b_lt_document_gets_its_first_archive_timestamp(leader_key, online):
    lt = sign_invisible(make_pdf(["B-LT"]), leader_key, level=Level.B_LT, services=online).pdf
    assert archive_timestamp_expiry(lt) is None
    upgraded = renew_archive_timestamp(lt, online)
    assert upgraded is not None and _timestamps(upgraded) == 1


def test_renewal_needs_a_tsa_and_a_signature(archived, offline):
    with pytest.raises(LevelUnavailable):
        renew_archive_timestamp(archived, offline, force=True)
    with pytest.raises(NotSignedPdf):
        renew_archive_timestamp(make_pdf(["x"]), SigningServices(tsa_url="http://127.0.0.1:9/"))
