"""`vxp parse` and `vxp-hub` as the lead wires them into `eoffice`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vxp_adapter.cli import vxp, vxp_hub
from vxp_adapter.client import ClientConfig, VxpClient

DATA = Path(__file__).resolve().parents[1] / "data" / "edxml"


def test_parse_json(fixture_pdf) -> None:
    result = CliRunner().invoke(vxp, ["parse", str(DATA / "sdk_new.edxml"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["kind"] == "edoc"
    assert out["business_type"] == 0
    assert out["document_id"] == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert out["from"] == "000.00.00.G22"
    assert out["to"] == ["000.00.00.H41", "000.00.00.H49"]
    assert (out["code_number"], out["code_notation"]) == ("123", "VPCP-TEST")
    assert out["subject"] == "V/v triển khai kết nối trục liên thông văn bản"
    assert out["promulgation_date"] == "2024-05-02"
    assert out["priority"] == 2
    assert out["status_code"] is None
    pdf, xlsx = out["attachments"]
    assert pdf == {
        "name": "cv123.pdf",
        "content_type": "application/pdf",
        "size": len(fixture_pdf),
        "sha256": __import__("hashlib").sha256(fixture_pdf).hexdigest(),
        "zipped": False,
    }
    assert xlsx["size"] == len("Bảng kê số liệu\n".encode()) and xlsx["zipped"]


def test_parse_status_json_and_text() -> None:
    out = json.loads(
        CliRunner().invoke(vxp, ["parse", str(DATA / "status_03.edxml"), "--json"]).output
    )
    assert (out["kind"], out["status_code"], out["to"]) == ("status", "03", ["000.00.00.G22"])
    assert out["document_id"] == "000.00.00.G22,2024/05/02,123/VPCP-TEST"
    assert (out["code_number"], out["code_notation"]) == ("123", "VPCP-TEST")
    assert out["promulgation_date"] == "2024-05-02"
    text = CliRunner().invoke(vxp, ["parse", str(DATA / "status_03.edxml")]).output
    assert "Trạng thái: 03 (Đã tiếp nhận)" in text
    assert "Ngày văn bản: 02/05/2024" in text


@pytest.mark.parametrize(
    ("name", "code"),
    [("bad_doctype_bomb.edxml", "doctype_forbidden"), ("bad_namespace.edxml", "wrong_namespace")],
)
def test_parse_invalid_exits_non_zero_with_the_reason(name: str, code: str) -> None:
    result = CliRunner().invoke(vxp, ["parse", str(DATA / name), "--json"])
    assert result.exit_code == 1
    assert code in result.output
    assert "Gói tin edXML" in result.output


def add_system(obj: dict, *args: str):
    return CliRunner().invoke(vxp_hub, ["add-system", *args], obj=obj)


def test_add_system_prints_the_secret_last_and_it_works(tmp_path) -> None:
    from vxp_adapter.hub import BackgroundHub, HubConfig
    from vxp_adapter.hub.app import HubApp

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    obj = {"vxp_hub_database_url": url, "instance_dir": str(tmp_path)}
    result = add_system(
        obj,
        "sys.cli",
        "--agency",
        "000.00.00.H41",
        "--agency",
        "000.00.00.H49",
        "--name-of",
        "000.00.00.H41=UBND tỉnh Nghệ An",
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert len(secret) == 44
    app = HubApp(HubConfig(url))
    try:
        with BackgroundHub(app) as hub:
            agencies = VxpClient(ClientConfig(hub.url, "sys.cli", secret)).get_agencies_list()
    finally:
        app.engine.dispose()
    assert {(a.code, a.name) for a in agencies} == {
        ("000.00.00.H41", "UBND tỉnh Nghệ An"),
        ("000.00.00.H49", "000.00.00.H49"),
    }


def test_add_system_twice_needs_rotate(tmp_path) -> None:
    obj = {"instance_dir": str(tmp_path)}  # falls back to a SQLite file in the instance folder
    first = add_system(obj, "sys.x", "--agency", "A")
    assert first.exit_code == 0
    assert (tmp_path / "vxp_hub.sqlite3").exists()
    again = add_system(obj, "sys.x", "--agency", "A")
    assert again.exit_code == 1 and "đã được đăng ký" in again.output
    rotated = add_system(obj, "sys.x", "--agency", "A", "--rotate-secret")
    assert rotated.exit_code == 0
    assert rotated.output.splitlines()[-1] != first.output.splitlines()[-1]


@pytest.mark.parametrize("pair", ["A", "B=Tên", "A="])
def test_name_of_must_name_a_listed_agency(tmp_path, pair: str) -> None:
    result = add_system({"instance_dir": str(tmp_path)}, "s", "--agency", "A", "--name-of", pair)
    assert result.exit_code == 2
    assert "--name-of" in result.output


def test_missing_configuration_is_reported() -> None:
    result = CliRunner().invoke(vxp_hub, ["add-system", "s", "--agency", "A"], obj={})
    assert result.exit_code == 1 and "vxp_hub_database_url" in result.output


def test_vxp_hub_serves_until_stopped(tmp_path) -> None:
    obj = {"vxp_hub_database_url": f"sqlite:///{tmp_path / 'run.sqlite3'}"}
    secret = add_system(obj, "sys.run", "--agency", "000.00.00.G22").output.splitlines()[-1]
    code = (
        "import sys; from vxp_adapter.cli import vxp_hub; "
        f"vxp_hub.main(args=sys.argv[1:], obj={obj!r})"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code, "--port", "0"], stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("Trục liên thông cục bộ: http://127.0.0.1:")
            url = line.split(": ", 1)[1].strip()
            client = VxpClient(ClientConfig(url, "sys.run", secret, timeout=10))
            (agency,) = client.get_agencies_list()
            assert agency.code == "000.00.00.G22"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


class LazyContext(dict):
    """Like eoffice's AppContext: an empty dict whose `get` computes values."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def get(self, key, default=None):  # type: ignore[override]
        return self.url if key == "vxp_hub_database_url" else default


def test_defaults_are_read_from_a_lazy_context_object(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'lazy.sqlite3'}"
    result = CliRunner().invoke(vxp_hub, ["add-system", "s", "--agency", "A"], obj=LazyContext(url))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lazy.sqlite3").exists()
