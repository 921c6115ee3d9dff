"""Validating what arrives: our signatures, other products' (endesive), and later changes."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing import (
    BottomLine,
    LeaderSignature,
    Modification,
    SigningServices,
    sign_invisible,
    sign_leader,
    validate_pdf,
)

from .conftest import DEPUTY, LEADER, PASSPHRASE, make_pdf

REQUIRED_KEYS = {"signer", "intact", "trusted", "modification_level", "timestamp", "bottom_line"}


def _load_endesive_signer():
    """Load endesive's PDF signing module without its package ``__init__``.

    ``endesive.pdf`` also imports endesive's verifier, which needs oscrypto; oscrypto 1.3.0
    cannot parse the version string of OpenSSL 3.0.1x and fails at import. Signing does not use
    oscrypto, so the module is loaded on its own.
    """
    package = Path(importlib.util.find_spec("endesive").origin).parent
    spec = importlib.util.spec_from_file_location("endesive_pdf_cms", package / "pdf" / "cms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


endesive_cms = _load_endesive_signer()


@pytest.fixture(scope="module")
def plain_pdf() -> bytes:
    return make_pdf(["Công văn đến từ cơ quan khác"])


@pytest.fixture
def pypdf_compat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let endesive 3.0.1 write with pypdf 7.

    endesive still passes pypdf 4's ``encryption_key`` argument to ``write_to_stream``, which
    later pypdf releases removed; accept and drop it while endesive signs.
    """
    from pypdf import generic as po

    for cls in (po.DictionaryObject, po.StreamObject):
        original = cls.write_to_stream

        def write(self, stream, encryption_key=None, _original=original):
            return _original(self, stream)

        monkeypatch.setattr(cls, "write_to_stream", write)


def _endesive_sign(pdf: bytes, p12: bytes, field: str) -> bytes:
    key, cert, chain = pkcs12.load_key_and_certificates(p12, PASSPHRASE.encode("utf-8"))
    udct = {
        "sigflags": 3,
        "sigpage": 0,
        "sigfield": field,
        "auto_sigfield": True,
        "contact": "van-thu@example.gov.vn",
        "location": "Ha Noi",
        "signingdate": datetime.now().strftime("D:%Y%m%d%H%M%S+07'00'"),
        "reason": "Phat hanh",
    }
    return pdf + endesive_cms.sign(pdf, udct, key, cert, list(chain), "sha256")


def _incremental(pdf: bytes, change) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_comment(writer: IncrementalPdfFileWriter) -> None:
    page_ref = writer.find_page_for_modification(0)[0]
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (50, 50, 70, 70)]
            ),
            generic.NameObject("/Contents"): generic.pdf_string("Ý kiến: đồng ý"),
        }
    )
    writer.register_annotation(page_ref, writer.add_object(annot))


def _draw_on_page(writer: IncrementalPdfFileWriter) -> None:
    stream = generic.StreamObject(stream_data=b"q 1 0 0 rg 100 100 200 50 re f Q")
    writer.add_stream_to_page(0, writer.add_object(stream))


@pytest.mark.usefixtures("pypdf_compat")
def test_endesive_signature_validates(plain_pdf, pki_env, online, offline):
    signed = _endesive_sign(plain_pdf, pki_env.p12(DEPUTY), "Signature1")
    report = validate_pdf(signed, online)
    (sig,) = report.signatures
    assert sig.signer == DEPUTY
    assert sig.intact and sig.valid and sig.trusted
    assert sig.revocation.value == "good"  # OCSP from the local responder
    assert report.bottom_line is BottomLine.GREEN, report.reasons
    offline_report = validate_pdf(signed, offline)
    assert offline_report.bottom_line is BottomLine.AMBER  # revocation unknown offline


@pytest.mark.usefixtures("pypdf_compat")
def test_endesive_over_our_signature_keeps_both_valid(prepared_draft, leader_key, pki_env, online):
    ours = sign_invisible(plain := make_pdf(["x"]), leader_key, field_name="ours").pdf
    assert ours.startswith(plain)
    both = _endesive_sign(ours, pki_env.p12(DEPUTY), "theirs")
    report = validate_pdf(both, online)
    assert [s.signer for s in report.signatures] == [LEADER, DEPUTY]
    assert report.signatures[0].modification_level is Modification.FORM_FILLING
    assert report.bottom_line is BottomLine.GREEN, report.reasons


def test_comment_added_after_approval_signature_is_amber(plain_pdf, leader_key, online):
    signed = sign_invisible(plain_pdf, leader_key).pdf
    report = validate_pdf(_incremental(signed, _add_comment), online)
    (sig,) = report.signatures
    assert sig.intact
    assert sig.modification_level is Modification.ANNOTATIONS
    assert report.bottom_line is BottomLine.AMBER
    assert any("chú thích" in reason for reason in sig.reasons)


def test_comment_added_after_certification_is_red(prepared_draft, leader_key, online):
    signed = sign_leader(prepared_draft, leader_key, LeaderSignature(LEADER)).pdf
    report = validate_pdf(_incremental(signed, _add_comment), online)
    (sig,) = report.signatures
    assert sig.certified and sig.docmdp_ok is False
    assert report.bottom_line is BottomLine.RED


def test_drawing_on_the_page_after_signing_is_red_not_an_exception(plain_pdf, leader_key, online):
    signed = sign_invisible(plain_pdf, leader_key).pdf
    report = validate_pdf(_incremental(signed, _draw_on_page), online)
    (sig,) = report.signatures
    assert sig.intact  # the signed revision itself is untouched...
    assert sig.modification_level is Modification.OTHER  # ...but what is shown has changed
    assert report.bottom_line is BottomLine.RED


def test_untrusted_root_is_amber(plain_pdf, leader_key):
    signed = sign_invisible(plain_pdf, leader_key).pdf
    report = validate_pdf(signed, SigningServices(allow_fetching=False))
    (sig,) = report.signatures
    assert sig.intact and not sig.trusted
    assert report.bottom_line is BottomLine.AMBER
    assert "tin cậy" in sig.reasons[0]


def test_unsigned_pdf_is_red(plain_pdf):
    report = validate_pdf(plain_pdf)
    assert report.signatures == ()
    assert report.bottom_line is BottomLine.RED


def test_report_serialises_to_json(plain_pdf, leader_key, online):
    signed = sign_invisible(plain_pdf, leader_key, services=online).pdf
    data = json.loads(validate_pdf(signed, online).to_json())
    assert data["bottom_line"] == "green"
    (sig,) = data["signatures"]
    assert sig.keys() >= REQUIRED_KEYS
    assert sig["signer"] == LEADER
    assert sig["modification_level"] == "none"
    assert sig["signing_time"].endswith("+07:00")
