"""The `eoffice` command against a real, committed database on each engine."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from eoffice.cli import main
from eoffice.settings import load_settings
from eoffice.web import create_app
from tests.conftest import ENGINES, drop_postgres_database, fresh_database_url


@pytest.fixture(scope="module", params=ENGINES)
def demo_env(request, tmp_path_factory, worker_name):
    """A database built by `init-db` and filled by `load-demo` (the slow part, done once)."""
    tmp = tmp_path_factory.mktemp("cli")
    url = fresh_database_url(request.param, tmp, worker_name, "cli")
    env = {"EOFFICE_DATABASE_URL": url, "EOFFICE_INSTANCE_DIR": str(tmp / "instance")}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("EOFFICE_CONFIG", raising=False)
        assert invoke("init-db").exit_code == 0
        demo = invoke("load-demo")
        assert demo.exit_code == 0, demo.output
        yield env, demo.output
    if request.param == "postgresql":
        drop_postgres_database(url)


@pytest.fixture
def cli_env(demo_env, monkeypatch):
    env, _ = demo_env
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("EOFFICE_CONFIG", raising=False)
    return env


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_demo_logins_are_printed_and_loading_is_idempotent(demo_env, cli_env):
    _, output = demo_env
    assert "vanthu.ubnd" in output and "KhanhHoa@2025" in output
    assert "Văn bản mẫu đã phát hành" in output
    again = invoke("load-demo")
    assert again.exit_code == 0 and "đã có sẵn" in again.output
    assert "Văn bản mẫu" not in again.output  # the demo document is made once


def test_agencies_users_tokens_and_audit(cli_env):
    listing = invoke("agencies", "list").output.splitlines()
    assert listing[0].startswith("000.00.00.H34\t")
    assert len(listing) >= 40
    created = invoke(
        "create-user",
        "nguyen.van.a",
        "--full-name",
        "Nguyễn Văn A",
        "--agency",
        "000.00.00.H34",
        "--role",
        "clerk",
        "--role",
        "leader",
        "--password-stdin",
        input="Mat-khau-moi-2026\n",
    )
    assert created.exit_code == 0, created.output
    token = invoke("create-api-token", "nguyen.van.a")
    assert token.exit_code == 0 and token.output.strip().splitlines()[-1].startswith("eo_")
    verified = invoke("audit", "verify")
    assert verified.exit_code == 0 and "toàn vẹn" in verified.output


def test_demo_outgoing_document_is_listed_downloadable_and_verifiable(cli_env, tmp_path):
    token = invoke("create-api-token", "vanthu.ubnd").output.strip().splitlines()[-1]
    settings = load_settings()
    app = create_app(settings)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    items = client.get("/api/v1/documents?direction=outgoing", headers=headers).get_json()["items"]
    issued = [i for i in items if i["status"] == "issued"]
    assert issued, items
    pdf = client.get(f"/api/v1/documents/{issued[0]['id']}/file", headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    path = tmp_path / "issued.pdf"
    path.write_bytes(pdf.data)
    out = tmp_path / "pki-out"
    assert invoke("pki", "init-demo", "--out", str(out)).exit_code == 0
    assert (out / "root-ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    report = invoke("verify-pdf", str(path), "--trust", str(out), "--json")
    data = json.loads(report.output)
    signers = [s for s in data["signatures"] if s["kind"] == "signature"]
    assert len(signers) == 2 and all(s["intact"] and s["trusted"] for s in signers)
    assert signers[0]["modification_level"] == "form_filling"


def test_bad_input_gets_clear_errors(cli_env):
    duplicate = invoke(
        "create-user",
        "vanthu.ubnd",
        "--full-name",
        "X",
        "--agency",
        "000.00.00.H34",
        "--role",
        "clerk",
        "--password-stdin",
        input="Mat-khau-2026x\n",
    )
    assert duplicate.exit_code == 1 and "đã tồn tại" in duplicate.output
    unknown = invoke(
        "create-user",
        "ai.do",
        "--full-name",
        "X",
        "--agency",
        "000.99.99.Z99",
        "--role",
        "clerk",
        "--password-stdin",
        input="Mat-khau-2026x\n",
    )
    assert unknown.exit_code == 1 and "000.99.99.Z99" in unknown.output
    bad_role = invoke(
        "create-user",
        "ai.do",
        "--full-name",
        "X",
        "--agency",
        "000.00.00.H34",
        "--role",
        "boss",
        "--password-stdin",
        input="x\n",
    )
    assert bad_role.exit_code == 2
    assert invoke("create-api-token", "khong.co").exit_code == 1


def test_invalid_settings_stop_with_the_setting_named(tmp_path):
    env = {
        "EOFFICE_DATABASE_URL": "mysql://nope",
        "EOFFICE_INSTANCE_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "eoffice", "agencies", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "EOFFICE_DATABASE_URL" in result.stderr


def test_every_command_has_help():
    for args in (
        ["--help"],
        ["init-db", "--help"],
        ["load-demo", "--help"],
        ["run", "--help"],
        ["worker", "--help"],
        ["create-user", "--help"],
        ["create-api-token", "--help"],
        ["agencies", "list", "--help"],
        ["audit", "verify", "--help"],
    ):
        result = invoke(*args)
        assert result.exit_code == 0 and "Usage" in result.output
