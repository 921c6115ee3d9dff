"""Click commands for the ``eoffice`` CLI: ``pki init-demo``, ``pki serve`` and ``verify-pdf``.

Defaults that depend on the application come from ``click.get_current_context().obj``
(a dict with ``instance_dir``, a :class:`pathlib.Path`) when the eoffice CLI provides it:
the demo PKI goes to ``INSTANCE/pki`` and the trust store is ``INSTANCE/trust``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from signing.errors import SigningError
from signing.pki import DEFAULT_BASE_URL, DemoPki, build_demo_pki
from signing.report import BottomLine, ValidationReport
from signing.trust import SigningServices, load_trust_dir
from signing.validation import validate_pdf

__all__ = ["pki", "verify_pdf"]

EXIT_RED = 1
EXIT_UNREADABLE = 2


def _instance_dir() -> Path | None:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    value = obj.get("instance_dir") if isinstance(obj, dict) else None
    return Path(value) if value is not None else None


@click.group()
def pki() -> None:
    """Hạ tầng khóa công khai (PKI) thử nghiệm."""


@pki.command("init-demo")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Thư mục PKI.")
@click.option("--leader", "leaders", multiple=True, help="Họ tên lãnh đạo (lặp lại được).")
@click.option("--agency", "agencies", multiple=True, help="Tên cơ quan (lặp lại được).")
@click.option(
    "--base-url",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="Địa chỉ dịch vụ TSA/OCSP/CRL ghi vào chứng thư.",
)
@click.option(
    "--passphrase",
    prompt="Mật khẩu bảo vệ các tệp khóa",
    hide_input=True,
    confirmation_prompt=True,
    help="Mật khẩu cho mọi tệp PKCS#12.",
)
def init_demo(
    out: Path | None,
    leaders: tuple[str, ...],
    agencies: tuple[str, ...],
    base_url: str,
    passphrase: str,
) -> None:
    """Tạo CA gốc, CA trung gian, TSA, chứng thư lãnh đạo và con dấu cơ quan để thử nghiệm."""
    instance = _instance_dir()
    if out is None:
        if instance is None:
            raise click.UsageError("Cần chỉ định --out (không có thư mục instance).")
        out = instance / "pki"
    try:
        built = build_demo_pki(
            out,
            leaders=leaders or ("Nguyễn Văn An",),
            agencies=agencies or ("Ủy ban nhân dân tỉnh Thử Nghiệm",),
            passphrase=passphrase,
            base_url=base_url,
        )
    except SigningError as e:
        raise click.ClickException(e.vi) from e
    if instance is not None and out == instance / "pki":
        # the default demo should verify out of the box: trust its root
        trust = instance / "trust"
        trust.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built.root_cert_path, trust / "demo-root-ca.pem")
    click.echo(f"Đã tạo PKI thử nghiệm tại {out}")
    click.echo(f"Chứng thư gốc: {built.root_cert_path}")
    for ident in built.identities:
        click.echo(f"  {ident.kind}: {ident.name} -> {built.path(ident.p12_path)}")


@pki.command("serve")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--passphrase", prompt="Mật khẩu các tệp khóa", hide_input=True)
def serve(directory: Path | None, passphrase: str) -> None:
    """Chạy dịch vụ TSA, OCSP và CRL cục bộ cho PKI thử nghiệm (theo địa chỉ trong chứng thư)."""
    from signing.services import start_local_services

    instance = _instance_dir()
    directory = directory or (instance / "pki" if instance else None)
    if directory is None:
        raise click.UsageError("Cần chỉ định --dir.")
    try:
        demo = DemoPki.load(directory)
    except SigningError as e:
        raise click.ClickException(e.vi) from e
    url = urlsplit(demo.base_url)
    services = start_local_services(
        directory, passphrase, host=url.hostname or "127.0.0.1", port=url.port or 80, serve=False
    )
    click.echo(f"Dịch vụ PKI thử nghiệm: {services.base_url} (Ctrl+C để dừng)")
    try:
        services.server.serve_forever()
    except KeyboardInterrupt:
        services.server.server_close()


def _print_report(report: ValidationReport) -> None:
    labels = {
        BottomLine.GREEN: "HỢP LỆ",
        BottomLine.AMBER: "CẦN LƯU Ý",
        BottomLine.RED: "KHÔNG HỢP LỆ",
    }
    click.echo(f"Kết luận: {labels[report.bottom_line]} ({report.bottom_line.value})")
    for sig in report.signatures:
        when = f"{sig.signing_time:%d/%m/%Y %H:%M:%S}" if sig.signing_time else "-"
        click.echo(f"- {sig.field} [{sig.kind}] {sig.signer} ({when}): {sig.bottom_line.value}")
        click.echo(
            f"    toàn vẹn={sig.intact} tin cậy={sig.trusted} thu hồi={sig.revocation.value} "
            f"thay đổi sau ký={sig.modification_level.value}"
        )
        for reason in sig.reasons:
            click.echo(f"    * {reason}")
    if not report.signatures:
        for reason in report.reasons:
            click.echo(f"* {reason}")


@click.command("verify-pdf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--trust",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục chứng thư gốc tin cậy (PEM).",
)
@click.option("--json", "as_json", is_flag=True, help="In báo cáo dạng JSON.")
@click.option(
    "--online/--offline", default=False, show_default=True, help="Tra cứu OCSP/CRL qua mạng."
)
def verify_pdf(file: Path, trust: Path | None, as_json: bool, online: bool) -> None:
    """Kiểm tra mọi chữ ký số trong tệp PDF; mã thoát khác 0 khi kết luận là đỏ."""
    instance = _instance_dir()
    trust = trust or (instance / "trust" if instance else None)
    try:
        roots = load_trust_dir(trust) if trust else ()
        report = validate_pdf(
            file.read_bytes(), SigningServices(trust_roots=roots, allow_fetching=online)
        )
    except SigningError as e:
        click.echo(e.vi, err=True)
        sys.exit(EXIT_UNREADABLE)
    if as_json:
        click.echo(report.to_json(indent=2))
    else:
        _print_report(report)
    if report.bottom_line is BottomLine.RED:
        sys.exit(EXIT_RED)
