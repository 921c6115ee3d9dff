"""Sổ đăng ký văn bản đến / đi: pick a register and a period, preview it, download PDF or XLSX."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from eoffice import clock
from eoffice.documents import exports, registers
from eoffice.errors import EofficeError
from eoffice.web import files
from eoffice.web.session import current_actor, db

bp = Blueprint("registers", __name__, url_prefix="/registers")

PREVIEW_ROWS = 50
"""Rows shown on the page; the files hold them all."""


class RegisterForm(FlaskForm):
    """What to print. A GET form: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Loại sổ"), validate_choice=False)
    series = SelectField(_l("Sổ văn bản"), validate_choice=False)
    date_from = StringField(_l("Từ ngày"))
    date_to = StringField(_l("Đến ngày"))
    volume = StringField(_l("Quyển số"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, _l(k.label)) for k in registers.RegisterKind]


def _series_choices() -> list[tuple[str, str]]:
    series = registers.list_register_series(db(), current_actor())
    return [("", _("Sổ chính của loại sổ đã chọn"))] + [
        (code, f"{_(name)} ({code})") for _kind, code, name in series
    ]


def _show_field_errors(form: RegisterForm, error: EofficeError) -> None:
    """Put the service's per-field messages next to the fields; the summary goes to a flash."""
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, _(message)]
    flash(error.render(_), "danger")


@bp.get("")
@login_required
def index() -> Any:
    form = RegisterForm(request.args)
    form.series.choices = _series_choices()
    if not request.args:
        today = clock.today()
        form.kind.data = registers.RegisterKind.INCOMING.value
        form.date_from.data = today.replace(day=1).isoformat()
        form.date_to.data = today.isoformat()
        return render_template("registers/index.html", form=form, report=None)
    try:
        query = registers.parse_query(
            form.kind.data or "",
            form.date_from.data,
            form.date_to.data,
            form.series.data,
            form.volume.data,
        )
        report = registers.build_register(db(), current_actor(), query)
    except EofficeError as e:
        _show_field_errors(form, e)
        return render_template("registers/index.html", form=form, report=None), e.http_status
    return render_template(
        "registers/index.html",
        form=form,
        report=report,
        preview=report.rows[:PREVIEW_ROWS],
        downloads={fmt: _download_url(query, fmt) for fmt in ("pdf", "xlsx")},
        cell_text=exports.cell_text,
    )


def _download_url(query: registers.RegisterQuery, fmt: str) -> str:
    return url_for(
        "registers.download",
        kind=query.kind.value,
        fmt=fmt,
        series=query.series_code,
        date_from=query.date_from.isoformat(),
        date_to=query.date_to.isoformat(),
        volume=query.volume,
    )


@bp.get("/<kind>.<any(pdf, xlsx):fmt>")
@login_required
def download(kind: str, fmt: str) -> Response:
    args = request.args
    query = registers.parse_query(
        kind, args.get("date_from"), args.get("date_to"), args.get("series"), args.get("volume")
    )
    report = registers.build_register(db(), current_actor(), query)
    name = exports.register_filename(report, fmt)
    if fmt == "pdf":
        return files.download(exports.register_pdf(report), name, exports.PDF_MEDIA_TYPE)
    return files.download(exports.register_xlsx(report), name, exports.XLSX_MEDIA_TYPE)
