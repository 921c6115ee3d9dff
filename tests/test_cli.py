"""The `eoffice` command against a real, committed database on each engine."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from eoffice.cli import main
from tests.conftest import ENGINES, drop_postgres_database, fresh_database_url


@pytest.fixture(params=ENGINES)
def cli_env(request, tmp_path, worker_name, monkeypatch):
    url = fresh_database_url(request.param, tmp_path, worker_name, "cli")
    monkeypatch.setenv("EOFFICE_DATABASE_URL", url)
    monkeypatch.setenv("EOFFICE_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.delenv("EOFFICE_CONFIG", raising=False)
    yield url
    if request.param == "postgresql":
        drop_postgres_database(url)


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_init_demo_users_tokens_and_audit(cli_env):
    assert invoke("init-db").exit_code == 0
    demo = invoke("load-demo")
    assert demo.exit_code == 0, demo.output
    assert "vanthu.ubnd" in demo.output and "KhanhHoa@2025" in demo.output
    assert "đã có sẵn" in invoke("load-demo").output  # idempotent

    listing = invoke("agencies", "list").output.splitlines()
    assert listing[0].startswith("000.00.00.H34\t") or any(
        line.startswith("000.00.00.H34\t") for line in listing
    )
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


def test_bad_input_gets_clear_errors(cli_env):
    invoke("init-db")
    invoke("load-demo")
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
