"""Báo cáo pages: the leadership dashboard, the lateness report, its drill-down and exports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from eoffice import clock
from eoffice.errors import InvalidInput
from eoffice.tasks.charts import bar_chart, trend_chart
from eoffice.tasks.exports import to_pdf, to_xlsx
from eoffice.tasks.inputs import parse_date
from eoffice.tasks.queries import due_between
from eoffice.tasks.reports import (
    BUCKET_LABELS,
    GroupBy,
    LatenessReport,
    ReportSpec,
    drill_down,
    make_spec,
)
from eoffice.tasks.rules import TaskStatus, format_percent
from eoffice.tasks.snapshots import month_trend, report_for
from eoffice.web import files
from eoffice.web.session import current_actor, db
from eoffice.web.tasks import policy

bp = Blueprint("reports", __name__, url_prefix="/reports")


def spec_from_args() -> ReportSpec:
    """Read date_from, date_to, group_by and as_of from the query string.

    :raises InvalidInput: bad dates or values (see ``reports.make_spec``).
    """
    errors: dict[str, str] = {}
    today = clock.today()
    args = request.args
    date_from = parse_date(args.get("date_from") or date(today.year, 1, 1), "date_from", errors)
    date_to = parse_date(args.get("date_to") or today, "date_to", errors)
    as_of = parse_date(args.get("as_of"), "as_of", errors)
    if errors:
        raise InvalidInput("Tham số báo cáo chưa hợp lệ", fields=errors)
    return make_spec(date_from, date_to, args.get("group_by", "agency"), as_of)


def spec_args(spec: ReportSpec, **extra: Any) -> dict[str, Any]:
    """Return the query arguments naming ``spec`` (for links)."""
    args = {
        "date_from": spec.date_from.isoformat(),
        "date_to": spec.date_to.isoformat(),
        "group_by": spec.group_by.value,
    }
    if spec.as_of:
        args["as_of"] = spec.as_of.isoformat()
    return {**args, **extra}


@bp.app_template_filter("with_query")
def with_query(base: str, **params: Any) -> str:
    """Return ``base`` (a URL) with ``params`` added to its query string (None values left out).

    The report's drill-down links differ only in the row and status: building the route once and
    appending them is far cheaper than a ``url_for`` per number of the table.
    """
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    if not extra:
        return base
    return f"{base}{'&' if '?' in base else '?'}{extra}"


def _chart(report: LatenessReport) -> Any:
    base = url_for("reports.tasks", **spec_args(report.spec))
    rows = [(r.name, r.late_rate, r.rag, with_query(base, key=r.key)) for r in report.rows]
    return bar_chart(rows, policy().target_rate)


@bp.get("/")
@login_required
def dashboard() -> str:
    actor = current_actor()
    today = clock.today()
    spec = make_spec(date(today.year, 1, 1), today, "agency")
    report = report_for(db(), actor, spec, policy())
    months = month_trend(db(), actor, today.year, policy(), current=report)
    trend = trend_chart(
        [(f"{p.month:02d}/{p.year}", p.rate, p.frozen) for p in months], policy().target_rate
    )
    monday = today - timedelta(days=today.weekday())
    due = due_between(db(), actor, monday, monday + timedelta(days=6))
    return render_template(
        "reports/dashboard.html",
        report=report,
        chart=_chart(report),
        trend=trend,
        months=months,
        due=due,
        week=(monday, monday + timedelta(days=6)),
        args=spec_args(spec),
        goal=format_percent(policy().target_rate, 0),
    )


@bp.get("/lateness")
@login_required
def lateness() -> Any:
    spec = spec_from_args()
    report = report_for(db(), current_actor(), spec, policy())
    return render_template(
        "reports/lateness.html",
        report=report,
        chart=_chart(report),
        spec=spec,
        args=spec_args(spec),
        groupings=list(GroupBy),
    )


@bp.get("/lateness.<fmt>")
@login_required
def export(fmt: str) -> Response:
    if fmt not in ("xlsx", "pdf"):
        return Response(status=404)
    spec = spec_from_args()
    report = report_for(db(), current_actor(), spec, policy())
    name = f"bao-cao-nhiem-vu-{spec.date_from:%Y%m%d}-{spec.date_to:%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        data = to_xlsx(report)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data, mimetype = to_pdf(report), "application/pdf"
    return files.download(data, name, mimetype)


@bp.get("/tasks")
@login_required
def tasks() -> str:
    spec = spec_from_args()
    status_arg = request.args.get("status") or None
    if status_arg is not None and status_arg not in {s.value for s in TaskStatus}:
        raise InvalidInput("Trạng thái không hợp lệ", fields={"status": "Không hợp lệ"})
    status = TaskStatus(status_arg) if status_arg else None
    key = request.args.get("key") or None
    rows = drill_down(db(), current_actor(), spec, key, status, policy())
    return render_template(
        "reports/tasks.html",
        rows=rows,
        spec=spec,
        key=key,
        status=status,
        args=spec_args(spec),
        statuses=list(TaskStatus),
        bucket_labels=BUCKET_LABELS,
    )
