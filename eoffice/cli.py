"""The `eoffice` command (also `python -m eoffice`). A boundary: it commits, and wires the parts."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session, sessionmaker

from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.errors import EofficeError
from eoffice.org.actor import Actor
from eoffice.settings import Settings, SettingsError, load_settings
from eoffice.wiring import file_policy, signature_config

ROLE_CHOICES = ("admin", "clerk", "leader", "unit_head", "specialist")


class AppContext(dict):
    """Loads settings and the database lazily, so `--help` works without a valid configuration.

    A dict, because the click commands of signing/ and vxp_adapter/ (which may not import
    eoffice) read their application defaults from ``ctx.obj`` as a mapping.
    """

    def __init__(self) -> None:
        super().__init__()
        self._settings: Settings | None = None
        self._factory: sessionmaker[Session] | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings()
            except SettingsError as e:
                click.echo(str(e), err=True)
                sys.exit(2)
        return self._settings

    @property
    def factory(self) -> sessionmaker[Session]:
        if self._factory is None:
            self._factory = make_session_factory(make_engine(self.settings.effective_database_url))
        return self._factory

    def get(self, key: str, default: Any = None) -> Any:
        getters = {
            "instance_dir": lambda: self.settings.instance_dir,
            "vxp_hub_database_url": lambda: self.settings.effective_hub_database_url,
            "settings": lambda: self.settings,
        }
        return getters[key]() if key in getters else default

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, KeyError)
        if value is KeyError:
            raise KeyError(key)
        return value


pass_app = click.make_pass_decorator(AppContext, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """eoffice — Hệ thống quản lý văn bản và điều hành."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("eoffice").setLevel(logging.INFO)
    ctx.obj = AppContext()


def fail(message: str) -> None:
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(1)


@main.command("init-db")
@pass_app
def init_db(app: AppContext) -> None:
    """Migrate the database to the newest schema."""
    from eoffice.migrate import upgrade_to_head

    app.settings.instance_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(app.factory.kw["bind"])
    click.echo("Cơ sở dữ liệu đã ở phiên bản mới nhất.")


@main.command("load-demo")
@pass_app
def load_demo_command(app: AppContext) -> None:
    """Create the demo province (Khánh Hòa) and a second province, and print the demo logins."""
    from eoffice.org.demo import load_demo

    if app.settings.is_production:
        fail("không nạp dữ liệu demo khi EOFFICE_ENV=production")
    with transaction(app.factory) as session:
        result = load_demo(session)
    if result.loaded:
        click.echo(f"Đã nạp dữ liệu demo: {result.agencies} cơ quan, {result.users} người dùng.")
    else:
        click.echo("Dữ liệu demo đã có sẵn.")
    _demo_calendar(app)
    _demo_signing_and_document(app, result.password)
    click.echo(f"Tài khoản demo (mật khẩu chung: {result.password}):")
    for username, full_name, roles, agency in result.logins:
        click.echo(f"  {username:<28} {full_name:<24} {agency:<6} {roles}")


def _demo_calendar(app: AppContext) -> None:
    """Load the shipped yearly calendars unless the table already has entries."""
    from eoffice.tasks.calendar import load_override_dir
    from eoffice.tasks.services_calendar import import_calendar

    calendar_dir = Path(__file__).resolve().parent.parent / "config" / "calendar"
    with transaction(app.factory) as session:
        count = import_calendar(
            session, Actor.system(), load_override_dir(calendar_dir), replace=True
        )
    click.echo(f"Lịch làm việc: {count} ngày đặc biệt (Tết, hoán đổi, nghỉ bù).")


def _demo_signing_and_document(app: AppContext, password: str) -> None:
    """Install demo keys, then take one document of the first agency through the whole flow."""
    from eoffice.documents.demo import has_issued_document, init_demo_signing, issue_demo_document
    from eoffice.org.demo import read_demo
    from eoffice.org.services import get_agency_by_code_or_raise

    settings = app.settings
    with transaction(app.factory) as session:
        init_demo_signing(
            session, _pki_dir(app), settings.effective_trust_dir, password, out_dir=_pki_dir(app)
        )
    _, records = read_demo()
    with transaction(app.factory) as session:
        sender = get_agency_by_code_or_raise(session, records[0]["code"])
        recipient = get_agency_by_code_or_raise(session, records[1]["code"])
        if has_issued_document(session, sender):
            return
        document = issue_demo_document(
            session, sender, recipient, password, file_policy(settings), signature_config(settings)
        )
        click.echo(f"Văn bản mẫu đã phát hành: {document.code} — {document.subject}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@pass_app
def run(app: AppContext, host: str, port: int, threads: int) -> None:
    """Serve the web app (with the embedded database, also the background jobs)."""
    import waitress

    from eoffice.web import create_app
    from eoffice.worker import build_scheduler

    settings = app.settings
    web = create_app(settings)
    run_jobs = (
        settings.run_jobs_in_web if settings.run_jobs_in_web is not None else settings.uses_sqlite
    )
    if run_jobs:
        build_scheduler(settings, background=True, factory=app.factory).start()
    click.echo(f"eoffice đang phục vụ tại http://{host}:{port}/")
    waitress.serve(web, host=host, port=port, threads=threads, ident="eoffice")


@main.command()
@pass_app
def worker(app: AppContext) -> None:
    """Run the background jobs only (reminders, VXP exchange, heartbeats)."""
    from eoffice.worker import build_scheduler
    from vxp_adapter.memory import tune_malloc

    tune_malloc()  # edXML messages move megabyte buffers: keep freed pages for the next one
    click.echo("eoffice worker started.")
    build_scheduler(app.settings, background=False, factory=app.factory).start()


@main.command("create-user")
@click.argument("username")
@click.option("--full-name", required=True)
@click.option("--agency", "agency_code", required=True, help="Electronic ID of the agency.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLE_CHOICES))
@click.option("--position", default="")
@click.option("--unit", "unit_short_name", default=None, help="Short name of the unit.")
@click.option("--email", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def create_user_command(
    app: AppContext,
    username: str,
    full_name: str,
    agency_code: str,
    roles: tuple[str, ...],
    position: str,
    unit_short_name: str | None,
    email: str,
    password_stdin: bool,
) -> None:
    """Create a user with one or more roles."""
    from eoffice.org.services import UserInput, create_user

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password is None:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    data = UserInput(
        username=username,
        full_name=full_name,
        agency_code=agency_code,
        roles=roles,
        password=password,
        position=position,
        email=email,
        unit_short_name=unit_short_name,
    )
    try:
        with transaction(app.factory) as session:
            user = create_user(session, Actor.system(), data)
    except EofficeError as e:
        details = "; ".join(f"{k}: {v}" for k, v in e.fields.items())
        fail(e.render() + (f" ({details})" if details else ""))
    click.echo(f"Đã tạo người dùng {user.username} (id {user.id}).")


@main.command("create-api-token")
@click.argument("username")
@click.option("--name", default="", help="What the token is for.")
@pass_app
def create_api_token_command(app: AppContext, username: str, name: str) -> None:
    """Create an API token; it is printed once, as the last line."""
    from eoffice.org.auth import create_api_token
    from eoffice.org.services import get_user_by_username

    with transaction(app.factory) as session:
        user = get_user_by_username(session, username)
        if user is None:
            fail(f"không có người dùng {username}")
        _token, plaintext = create_api_token(session, Actor.system(), user, name)
    click.echo(f"Mã truy cập của {username} (chỉ hiện một lần):")
    click.echo(plaintext)


@main.group()
def agencies() -> None:
    """Agencies (cơ quan)."""


@agencies.command("list")
@pass_app
def agencies_list(app: AppContext) -> None:
    """Print one agency per line: electronic ID, short name, name."""
    from eoffice.org.services import list_agencies

    with transaction(app.factory) as session:
        for agency in list_agencies(session):
            click.echo(f"{agency.code}\t{agency.short_name}\t{agency.name}")


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@pass_app
def audit_verify(app: AppContext) -> None:
    """Check the audit trail's hash chain; exit 1 if it was tampered with."""
    from eoffice.audit.services import verify_chain

    with transaction(app.factory) as session:
        report = verify_chain(session)
    if report.ok:
        click.echo(f"Nhật ký toàn vẹn: {report.checked} bản ghi đã kiểm tra.")
        return
    fail(f"nhật ký bị can thiệp tại bản ghi {report.first_bad_id}: {report.reason}")


@main.group()
def pki() -> None:
    """Demo PKI (hạ tầng khóa công khai thử nghiệm)."""


@pki.command("init-demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the root certificate as OUT/root-ca.pem.",
)
@click.option(
    "--passphrase",
    default=None,
    help="Passphrase of every demo key file (default: the demo password).",
)
@pass_app
def pki_init_demo(app: AppContext, out: Path | None, passphrase: str | None) -> None:
    """Build the demo PKI and install keys and images for every demo leader and agency."""
    from eoffice.documents.demo import init_demo_signing
    from eoffice.org.demo import read_demo

    if app.settings.is_production:
        fail("không tạo PKI thử nghiệm khi EOFFICE_ENV=production")
    secret = passphrase or read_demo()[0]
    with transaction(app.factory) as session:
        result = init_demo_signing(
            session,
            _pki_dir(app),
            app.settings.effective_trust_dir,
            secret,
            out_dir=out or _pki_dir(app),
        )
    click.echo(
        f"PKI thử nghiệm: {result.pki_dir} ({result.leaders} lãnh đạo, {result.agencies} cơ quan)."
    )
    click.echo(f"Chứng thư gốc: {(out or _pki_dir(app)) / 'root-ca.pem'}")


def _pki_dir(app: AppContext) -> Path:
    return app.settings.instance_dir / "pki"


def _register_part_commands() -> None:
    """Commands that signing/ and vxp_adapter/ provide (they read ctx.obj for defaults), and
    backup/restore, kept in their own module."""
    from eoffice.cli_backup import backup_command, restore_command
    from signing.cli import verify_pdf
    from vxp_adapter.cli import vxp, vxp_hub

    main.add_command(backup_command)
    main.add_command(restore_command)
    main.add_command(verify_pdf)
    main.add_command(vxp)
    main.add_command(vxp_hub)


_register_part_commands()


@main.group()
def calendar() -> None:
    """The working-day calendar (Tết, swapped Saturdays, substitute days off)."""


@calendar.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--replace", is_flag=True, help="Empty the years the files cover first.")
@pass_app
def calendar_import(app: AppContext, files: tuple[Path, ...], replace: bool) -> None:
    """Load yearly calendar files (config/calendar/YYYY.yaml) into the calendar table."""
    from eoffice.tasks.calendar import load_overrides
    from eoffice.tasks.services_calendar import import_calendar

    try:
        entries = [entry for path in files for entry in load_overrides(path)]
        with transaction(app.factory) as session:
            count = import_calendar(session, Actor.system(), entries, replace=replace)
    except (ValueError, EofficeError) as e:
        fail(str(e) if not isinstance(e, EofficeError) else e.render())
    click.echo(f"Đã nạp {count} ngày vào lịch làm việc.")
