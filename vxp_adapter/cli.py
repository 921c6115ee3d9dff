"""Click commands `vxp parse` and `vxp-hub` (the lead registers them in `eoffice`).

Application defaults come from `click.get_current_context().obj`, a dict with the keys
`vxp_hub_database_url` and `instance_dir`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from vxp_adapter.codes import status_label
from vxp_adapter.edxml_parse import parse_message
from vxp_adapter.errors import InvalidMessage
from vxp_adapter.hub.auth import HubFailure
from vxp_adapter.model import Edoc, StatusMessage


def summarize(msg: Edoc | StatusMessage) -> dict[str, Any]:
    """Return what the adapter understood of a message, as JSON-ready data."""
    if isinstance(msg, StatusMessage):
        ref = msg.response_for
        number, _, notation = ref.code.partition("/")
        return {
            "kind": "status",
            "business_type": None,
            "document_id": ref.document_id,
            "from": msg.sender.organ_id,
            "to": [ref.organ_id],
            "code_number": number,
            "code_notation": notation,
            "subject": msg.description,
            "promulgation_date": ref.promulgation_date.isoformat()
            if ref.promulgation_date
            else None,
            "priority": None,
            "status_code": msg.status_code,
            "status_label": status_label(msg.status_code),
            "timestamp": msg.timestamp.isoformat() if msg.timestamp else None,
            "attachments": [],
            "warnings": list(msg.warnings),
        }
    return {
        "kind": "edoc",
        "business_type": int(msg.business.doc_type),
        "document_id": msg.document_id,
        "target_document_id": msg.target_document_id,
        "from": msg.sender.organ_id,
        "to": [r.organ_id for r in msg.recipients],
        "code_number": msg.code_number,
        "code_notation": msg.code_notation,
        "subject": msg.subject,
        "promulgation_date": msg.promulgation_date.isoformat(),
        "due_date": msg.due_date.isoformat() if msg.due_date else None,
        "priority": msg.other.priority,
        "status_code": None,
        "has_signature": msg.has_signature,
        "attachments": [
            {
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "zipped": a.transfer_zipped,
            }
            for a in msg.attachments
        ],
        "warnings": list(msg.warnings),
    }


def _human(summary: dict[str, Any]) -> list[str]:
    kind = "Gói tin trạng thái" if summary["kind"] == "status" else "Văn bản điện tử"
    lines = [
        f"Loại: {kind}",
        f"Mã văn bản (DocumentId): {summary['document_id']}",
        f"Nơi gửi: {summary['from']}",
        f"Nơi nhận: {', '.join(summary['to'])}",
        f"Số, ký hiệu: {summary['code_number']}/{summary['code_notation']}",
    ]
    if summary["promulgation_date"]:
        y, m, d = summary["promulgation_date"].split("-")
        lines.append(f"Ngày văn bản: {d}/{m}/{y}")
    if summary["kind"] == "status":
        label = summary["status_label"] or "không xác định"
        lines.append(f"Trạng thái: {summary['status_code']} ({label})")
        lines.append(f"Mô tả: {summary['subject']}")
    else:
        lines.append(f"Trích yếu: {summary['subject']}")
        lines.append(
            f"Nghiệp vụ: {summary['business_type']}  Độ khẩn (Priority): {summary['priority']}"
        )
    for att in summary["attachments"]:
        lines.append(
            f"Tệp: {att['name']} ({att['content_type']}, {att['size']} byte) {att['sha256']}"
        )
    lines += [f"Cảnh báo: {w}" for w in summary["warnings"]]
    return lines


def terminal_safe(text: str) -> str:
    """Return ``text`` with characters a terminal would act on written as escapes.

    XML 1.0 allows the C1 controls (U+0080–U+009F, U+009B is CSI): a sender could otherwise
    move the cursor or retitle the window of the admin reading a message.
    """
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


@click.group("vxp")
def vxp() -> None:
    """edXML và trục liên thông văn bản quốc gia (VXP)."""


@vxp.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def parse_command(file: Path, as_json: bool) -> None:
    """Đọc một tệp edXML như bộ chuyển đổi và in nội dung đọc được."""
    try:
        msg = parse_message(file.read_bytes())
    except InvalidMessage as e:
        raise click.ClickException(f"{e} [{e.code}]") from e
    summary = summarize(msg)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(terminal_safe(line) for line in _human(summary)))


def _database_url() -> str:
    found = click.get_current_context().find_object(dict)
    # Not `or {}`: eoffice's context is a dict that computes its values lazily and looks empty.
    obj: Any = found if found is not None else {}
    url = obj.get("vxp_hub_database_url")
    if url:
        return str(url)
    instance_dir = obj.get("instance_dir")
    if instance_dir:
        return f"sqlite:///{Path(instance_dir) / 'vxp_hub.sqlite3'}"
    raise click.ClickException("Thiếu cấu hình cơ sở dữ liệu của trục (vxp_hub_database_url)")


@click.group("vxp-hub", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe.")
@click.option("--port", default=8085, show_default=True, type=int, help="Cổng lắng nghe.")
@click.option("--threads", default=8, show_default=True, type=int, help="Số luồng xử lý.")
@click.pass_context
def vxp_hub(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Chạy trục liên thông cục bộ (cùng API với trục quốc gia)."""
    if ctx.invoked_subcommand is not None:
        return
    from vxp_adapter.hub import HubConfig, create_app, make_server
    from vxp_adapter.memory import tune_malloc

    tune_malloc()  # every sendEdoc parses a message: keep freed pages for the next one
    app = create_app(HubConfig(_database_url()))
    server = make_server(app, host, port, threads)
    click.echo(f"Trục liên thông cục bộ: http://{server.effective_host}:{server.effective_port}")
    try:
        server.run()
    finally:
        server.close()


def _names(pairs: tuple[str, ...], codes: tuple[str, ...]) -> dict[str, str]:
    names: dict[str, str] = {}
    for pair in pairs:
        code, sep, name = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"cần dạng MÃ=TÊN: {pair}", param_hint="--name-of")
        if code not in codes:
            raise click.BadParameter(f"{code} không có trong --agency", param_hint="--name-of")
        names[code] = name.strip()
    return names


@vxp_hub.command("add-system")
@click.argument("system_id")
@click.option("--agency", "agencies", multiple=True, required=True, help="Mã định danh đơn vị.")
@click.option("--name-of", "names", multiple=True, help="Tên đơn vị, dạng MÃ=TÊN.")
@click.option("--rotate-secret", is_flag=True, help="Hệ thống đã có: cấp khóa bí mật mới.")
def add_system_command(
    system_id: str, agencies: tuple[str, ...], names: tuple[str, ...], rotate_secret: bool
) -> None:
    """Đăng ký hệ thống được gửi, nhận thay cho các đơn vị; in khóa bí mật ở dòng cuối."""
    from vxp_adapter.hub import store
    from vxp_adapter.hub.app import HubApp, HubConfig

    labels = _names(names, agencies)
    app = HubApp(HubConfig(_database_url()))
    specs = [store.AgencySpec(code, labels.get(code, "")) for code in agencies]
    try:
        with app.sessions.begin() as session:
            secret = store.add_system(session, system_id, specs, rotate=rotate_secret)
    except HubFailure as e:
        raise click.ClickException(e.desc) from e
    finally:
        app.engine.dispose()
    click.echo(f"Đã đăng ký hệ thống {system_id} cho: {', '.join(agencies)}")
    click.echo(secret)
