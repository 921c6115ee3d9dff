"""Validation at the time a timestamp proves: a signature whose certificate has expired since
stays valid when an archive timestamp shows it was made while the certificate was valid."""

from __future__ import annotations

from datetime import timedelta

import pytest

from signing import (
    BottomLine,
    Level,
    load_pkcs12,
    renew_archive_timestamp,
    sign_invisible,
    validate_pdf,
)
from signing._engine import vn_now
from signing.pki import issue_identity

from .conftest import PASSPHRASE, make_pdf


@pytest.fixture(scope="module")
def short_key(pki_env):
    """A leader certificate that expires an hour from now."""
    pki = issue_identity(
        pki_env.pki,
        "Người ký ngắn hạn",
        kind="leader",
        passphrase=PASSPHRASE,
        file_stem="short",
        not_after=vn_now() + timedelta(hours=1),
    )
    return load_pkcs12(pki.path("leaders/short.p12").read_bytes(), PASSPHRASE)


def test_an_archived_signature_is_judged_at_the_time_its_timestamp_proves(short_key, online):
    archived = sign_invisible(
        make_pdf(["Lưu trữ"]), short_key, level=Level.B_LTA, services=online, strict_level=True
    ).pdf
    later = vn_now() + timedelta(hours=6)  # the certificate has expired; the TSA's has not
    report = validate_pdf(archived, online, at=later)
    (sig,) = [s for s in report.signatures if s.kind == "signature"]
    (stamp,) = [s for s in report.signatures if s.kind == "timestamp"]
    assert stamp.trusted and stamp.proven_at is None
    assert sig.trusted and sig.proven_at is not None and sig.proven_at < later
    # the earliest proof: its own signature timestamp, before the archive timestamp
    assert sig.proven_at == sig.timestamp.time <= stamp.timestamp.time
    assert report.bottom_line is BottomLine.GREEN, report.reasons


def test_without_a_timestamp_an_expired_certificate_stays_amber(short_key, online):
    plain = sign_invisible(make_pdf(["Không dấu thời gian"]), short_key, level=Level.B_B).pdf
    report = validate_pdf(plain, online, at=vn_now() + timedelta(hours=6))
    (sig,) = report.signatures
    assert not sig.trusted and sig.proven_at is None
    assert report.bottom_line is BottomLine.AMBER


def test_a_b_b_signature_is_proven_by_the_archive_timestamp_added_later(short_key, online):
    # What the registry does: B-B in the request, validation data and a document timestamp
    # added by the worker.
    plain = sign_invisible(make_pdf(["Ký trong yêu cầu"]), short_key, level=Level.B_B).pdf
    archived = renew_archive_timestamp(plain, online, force=True)
    assert archived is not None
    report = validate_pdf(archived, online, at=vn_now() + timedelta(hours=6))
    (sig,) = [s for s in report.signatures if s.kind == "signature"]
    (stamp,) = [s for s in report.signatures if s.kind == "timestamp"]
    assert sig.timestamp is None and sig.proven_at == stamp.timestamp.time
    assert report.bottom_line is BottomLine.GREEN, report.reasons
