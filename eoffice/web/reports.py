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


DRILL_STATUSES = ("DONE_ON_TIME", "DONE_LATE", "OPEN_IN_TERM", "OPEN_OVERDUE", "NO_DEADLINE")
"""The statuses a report row's numbers drill down to (``TaskStatus`` names, URL-safe)."""


@bp.app_template_filter("drill_links")
def drill_links(base: str, key: str | None) -> dict[str, str]:
    """Return the drill-down URLs of one report row: ``""`` for all its tasks, and one per
    status. ``base`` is ``reports.tasks`` with the report's arguments.

    The links differ only in the row and status: the route is built once per table and the row's
    key quoted once per row, far cheaper than a ``url_for`` per number of the table.
    """
    row = f"{base}{'&' if '?' in base else '?'}{urlencode({'key': key})}" if key else base
    sep = "&" if "?" in row else "?"
    return {"": row, **{status: f"{row}{sep}status={status}" for status in DRILL_STATUSES}}


def _chart(report: LatenessReport) -> Any:
    base = url_for("reports.tasks", **spec_args(report.spec))
    rows = [(r.name, r.late_rate, r.rag, drill_links(base, r.key)[""]) for r in report.rows]
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
