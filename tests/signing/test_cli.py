"""The click commands ``pki init-demo`` and ``verify-pdf``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509

from signing import Level, load_pkcs12, sign_invisible
from signing.cli import EXIT_RED, EXIT_UNREADABLE, pki, verify_pdf

from .conftest import make_pdf


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_init_demo_writes_root_and_passphrase_protected_keys(runner, tmp_path):
    out = tmp_path / "pki"
    result = runner.invoke(
        pki,
        [
            "init-demo",
            "--out",
            str(out),
            "--leader",
            "Lê Văn Cường",
            "--agency",
            "Sở Tư pháp",
            "--passphrase",
            "bi-mat",
        ],
    )
    assert result.exit_code == 0, result.output
    root = x509.load_pem_x509_certificate((out / "root-ca.pem").read_bytes())
    assert root.subject == root.issuer
    leader_p12 = next((out / "leaders").glob("*.p12")).read_bytes()
    assert load_pkcs12(leader_p12, "bi-mat").subject_name == "Lê Văn Cường"
    assert next((out / "seals").glob("*.p12"))
    assert "Lê Văn Cường" in result.output


def test_init_demo_defaults_to_the_instance_dir(runner, tmp_path):
    result = runner.invoke(
        pki, ["init-demo", "--passphrase", "bi-mat"], obj={"instance_dir": tmp_path}
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pki" / "root-ca.pem").is_file()
    assert (tmp_path / "trust" / "demo-root-ca.pem").is_file()


def test_init_demo_without_destination_is_a_usage_error(runner):
    result = runner.invoke(pki, ["init-demo", "--passphrase", "bi-mat"])
    assert result.exit_code == 2
    assert "--out" in result.output


def test_init_demo_prompts_for_the_passphrase(runner, tmp_path):
    result = runner.invoke(
        pki, ["init-demo", "--out", str(tmp_path / "p")], input="bi-mat\nbi-mat\n"
    )
    assert result.exit_code == 0, result.output
    assert "bi-mat" not in result.output  # hidden input


@pytest.fixture(scope="module")
def signed_file(leader_key, online, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "signed.pdf"
    path.write_bytes(
        sign_invisible(make_pdf(["x"]), leader_key, level=Level.B_LT, services=online).pdf
    )
    return path


def test_verify_green_document(runner, signed_file, pki_env):
    result = runner.invoke(verify_pdf, [str(signed_file), "--trust", str(pki_env.directory)])
    assert result.exit_code == 0, result.output
    assert "HỢP LỆ" in result.output


def test_verify_json_report(runner, signed_file, pki_env):
    result = runner.invoke(
        verify_pdf, [str(signed_file), "--trust", str(pki_env.directory), "--json"]
    )
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["bottom_line"] == "green"
    assert data["signatures"][0]["intact"] is True


def test_verify_uses_the_instance_trust_store(runner, signed_file, pki_env, tmp_path):
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "root.pem").write_bytes(pki_env.pki.root_cert_path.read_bytes())
    result = runner.invoke(verify_pdf, [str(signed_file), "--json"], obj={"instance_dir": tmp_path})
    assert json.loads(result.output)["signatures"][0]["trusted"] is True


def test_verify_red_when_not_signed(runner, tmp_path):
    path = tmp_path / "unsigned.pdf"
    path.write_bytes(make_pdf(["x"]))
    result = runner.invoke(verify_pdf, [str(path)])
    assert result.exit_code == EXIT_RED
    assert "không có chữ ký" in result.output


def test_verify_red_when_tampered(runner, signed_file, tmp_path, pki_env):
    data = signed_file.read_bytes()
    at = data.index(b"/Producer")
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(data[:at] + b"/Producex" + data[at + 9 :])
    result = runner.invoke(verify_pdf, [str(tampered), "--trust", str(pki_env.directory)])
    assert result.exit_code == EXIT_RED


def test_verify_unreadable_file(runner, tmp_path):
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"khong phai pdf")
    result = runner.invoke(verify_pdf, [str(path)])
    assert result.exit_code == EXIT_UNREADABLE


def test_serve_needs_a_pki_directory(runner, tmp_path):
    assert runner.invoke(pki, ["serve", "--passphrase", "x"]).exit_code == 2
    result = runner.invoke(pki, ["serve", "--dir", str(tmp_path), "--passphrase", "x"])
    assert result.exit_code == 1
    assert "thử nghiệm" in result.output
