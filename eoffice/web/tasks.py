"""Nhắc việc pages: work queues, giving and splitting tasks, the task page and its actions,
notifications, and the working-day calendar table (admins)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from eoffice import clock
from eoffice.documents.blobs import Upload
from eoffice.errors import EofficeError, InvalidInput, NotFound
from eoffice.notifications import services as notifications
from eoffice.org.models import Role
from eoffice.tasks import services as tasks
from eoffice.tasks import services_work as work
from eoffice.tasks.access import (
    can_assign_root,
    can_read_reports,
    get_visible_task,
    is_assigner,
    is_lead_handler,
)
from eoffice.tasks.calendar import OverrideKind, WorkingCalendar
from eoffice.tasks.inputs import parse_date, parse_int, parse_task_input
from eoffice.tasks.models import UPDATE_LABELS, Priority, SourceKind, Task, TaskState
from eoffice.tasks.policy import TaskPolicy
from eoffice.tasks.queries import Queue, TaskFilter, children_progress, list_tasks, queue_counts
from eoffice.tasks.rules import format_percent
from eoffice.tasks.services_calendar import (
    add_calendar_entries,
    delete_calendar_entry,
    list_calendar_entries,
    load_calendar,
)
from eoffice.tasks.services_extensions import decide_extension, pending_extension, request_extension
from eoffice.tasks.statuses import evaluate_task
from eoffice.tasks.targets import assignable_targets
from eoffice.web import files
from eoffice.web.session import current_actor, db, file_policy, settings

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def register_pages(app: Flask) -> None:
    """Register the Nhắc việc and Báo cáo pages once (idempotent)."""
    from eoffice.web.reports import bp as reports_bp

    for blueprint in (bp, reports_bp):
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)


def policy() -> TaskPolicy:
    return TaskPolicy.from_settings(settings())


def _calendar() -> WorkingCalendar:
    """Return the working-day calendar, read once per request (a list evaluates every row with
    it, and the menu counts need it too)."""
    if "calendar" not in g:
        g.calendar = load_calendar(db())
    return g.calendar


class _MenuCounts:
    """The live counts of the menu, computed only when a page shows the menu."""

    def __init__(self) -> None:
        self._counts: dict[str, int] | None = None

    def __getitem__(self, key: str) -> int:
        if self._counts is None:
            actor = current_actor()
            counts = queue_counts(db(), actor, _calendar(), policy().status)
            self._counts = {q.value: n for q, n in counts.items()}
            self._counts["unread"] = notifications.unread_count(db(), current_user.model)
        return self._counts.get(key, 0)


@bp.app_template_filter("percent_vn")
def _percent_vn(rate: Fraction | None) -> str:
    return format_percent(rate)


@bp.app_context_processor
def _menu() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {}
    actor = current_actor()
    return {
        "task_counts": _MenuCounts(),
        "can_assign_tasks": can_assign_root(actor),
        "can_read_reports": can_read_reports(actor),
    }


def _uploads() -> list[Upload]:
    files = request.files.getlist("attachments")
    return [Upload(f.filename or "", f.mimetype or "", f.read()) for f in files if f and f.filename]


def _view(task: Task) -> Any:
    return evaluate_task(task, clock.now(), _calendar(), policy().status)


# --- Lists -------------------------------------------------------------------------------------------


@bp.get("/")
@login_required
def queue() -> str:
    name = request.args.get("queue", Queue.LEADING.value)
    if name not in {q.value for q in Queue}:
        abort(404)
    errors: dict[str, str] = {}
    flt = TaskFilter(
        queue=Queue(name),
        q=request.args.get("q", "")[:200],
        due_from=parse_date(request.args.get("due_from"), "due_from", errors),
        due_to=parse_date(request.args.get("due_to"), "due_to", errors),
        after_id=parse_int(request.args.get("after"), "after", errors),
    )
    if errors:
        raise InvalidInput("Bộ lọc chưa hợp lệ", fields=errors)
    page = list_tasks(db(), current_actor(), flt, _calendar(), policy().status)
    views = {t.id: _view(t) for t in page.items}
    return render_template("tasks/list.html", page=page, views=views, flt=flt, queues=list(Queue))


# --- Giving a task -----------------------------------------------------------------------------------


def _form_context(
    parent: Task | None, form: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    user = current_actor().principal
    assert user is not None
    choices = assignable_targets(db(), user, as_leader=user.has_role(Role.LEADER))
    return {
        "parent": parent,
        "form": form,
        "errors": errors,
        "choices": choices,
        "priorities": list(Priority),
        "sources": list(SourceKind),
        "today": clock.today(),
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    parent_id = request.values.get("parent_id", type=int)
    parent = get_visible_task(db(), current_actor(), parent_id) if parent_id else None
    if request.method == "GET":
        return render_template("tasks/new.html", **_form_context(parent, {}, {}))
    form = request.form.to_dict()
    data = dict(form, cooperators=request.form.getlist("cooperators"))
    try:
        task = tasks.create_task(
            db(),
            current_actor(),
            parse_task_input(data),
            _calendar(),
            uploads=_uploads(),
            files=file_policy(),
        )
    except EofficeError as e:
        db().rollback()
        flash(e.render(_), "danger")
        context = _form_context(parent, form, {k: _(v) for k, v in e.fields.items()})
        return render_template("tasks/new.html", **context), e.http_status
    db().commit()
    flash(_("Đã giao nhiệm vụ “%(title)s”.", title=task.title), "success")
    return redirect(url_for("tasks.detail", task_id=task.id))


# --- The task page and its actions -------------------------------------------------------------------


def _detail(task: Task, *, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    actor = current_actor()
    context = {
        "task": task,
        "view": _view(task),
        "children": [(c, _view(c)) for c in task.children],
        "progress": children_progress(task),
        "pending": pending_extension(task),
        "is_lead": is_lead_handler(actor, task),
        "is_assigner": is_assigner(actor, task),
        "can_split": is_lead_handler(actor, task) and actor.has_role(Role.LEADER, Role.UNIT_HEAD),
        "errors": errors or {},
        "form": request.form if request.method == "POST" else {},
        "me": actor.principal,
        "update_labels": UPDATE_LABELS,
        "open": TaskState.OPEN.value,
        "submitted": TaskState.SUBMITTED.value,
    }
    return render_template("tasks/detail.html", **context), status


@bp.get("/<int:task_id>")
@login_required
def detail(task_id: int) -> Any:
    return _detail(get_visible_task(db(), current_actor(), task_id))


def _act(task_id: int, action: Any, done_message: str) -> Any:
    """Run one action on a task: commit and redirect, or show the page again with the errors."""
    task = get_visible_task(db(), current_actor(), task_id)
    try:
        action(task)
    except EofficeError as e:
        db().rollback()
        task = get_visible_task(db(), current_actor(), task_id)
        flash(e.render(_), "danger")
        return _detail(task, errors={k: _(v) for k, v in e.fields.items()}, status=e.http_status)
    db().commit()
    flash(done_message, "success")
    return redirect(url_for("tasks.detail", task_id=task_id))


@bp.post("/<int:task_id>/progress")
@login_required
def progress(task_id: int) -> Any:
    percent = request.form.get("percent", type=int)

    def action(task: Task) -> None:
        if percent is None:
            raise InvalidInput(
                "Báo cáo tiến độ chưa hợp lệ", fields={"percent": "Nhập số từ 0 đến 99"}
            )
        work.report_progress(
            db(),
            current_actor(),
            task,
            percent,
            request.form.get("text", ""),
            uploads=_uploads(),
            files=file_policy(),
        )

    return _act(task_id, action, _("Đã báo cáo tiến độ."))


@bp.post("/<int:task_id>/complete")
@login_required
def complete(task_id: int) -> Any:
    def action(task: Task) -> None:
        work.submit_completion(
            db(),
            current_actor(),
            task,
            request.form.get("result", ""),
            uploads=_uploads(),
            files=file_policy(),
        )

    return _act(task_id, action, _("Đã báo cáo hoàn thành, chờ người giao xác nhận."))


@bp.post("/<int:task_id>/confirm")
@login_required
def confirm(task_id: int) -> Any:
    def action(task: Task) -> None:
        work.confirm_completion(db(), current_actor(), task, request.form.get("note", ""))

    return _act(task_id, action, _("Đã xác nhận hoàn thành."))


@bp.post("/<int:task_id>/reject")
@login_required
def reject(task_id: int) -> Any:
    def action(task: Task) -> None:
        work.reject_completion(db(), current_actor(), task, request.form.get("reason", ""))

    return _act(task_id, action, _("Đã yêu cầu thực hiện lại."))


@bp.post("/<int:task_id>/extensions")
@login_required
def extension(task_id: int) -> Any:
    errors: dict[str, str] = {}
    new_date = parse_date(request.form.get("new_date"), "new_date", errors)

    def action(task: Task) -> None:
        if errors:
            raise InvalidInput("Đề nghị gia hạn chưa hợp lệ", fields=errors)
        request_extension(db(), current_actor(), task, new_date, request.form.get("reason", ""))

    return _act(task_id, action, _("Đã gửi đề nghị gia hạn."))


@bp.post("/<int:task_id>/extensions/<int:extension_id>")
@login_required
def decide(task_id: int, extension_id: int) -> Any:
    approve = request.form.get("decision") == "approve"

    def action(task: Task) -> None:
        decide_extension(
            db(),
            current_actor(),
            task,
            extension_id,
            approve,
            request.form.get("note", ""),
            policy=policy(),
        )

    return _act(
        task_id, action, _("Đã đồng ý gia hạn.") if approve else _("Đã không đồng ý gia hạn.")
    )


@bp.get("/<int:task_id>/files/<int:file_id>")
@login_required
def attachment(task_id: int, file_id: int) -> Response:
    task = get_visible_task(db(), current_actor(), task_id)
    row = next((a for a in task.attachments if a.id == file_id), None)
    if row is None:
        raise NotFound("Không tìm thấy tệp đính kèm")
    data = file_policy().store.get(row.sha256)
    return files.download(data, row.filename, row.content_type)


# --- Notifications -----------------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def inbox() -> str:
    rows = notifications.list_notifications(db(), current_user.model, limit=100)
    return render_template("tasks/notifications.html", rows=rows)


@bp.post("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int) -> Response:
    row = notifications.mark_read(db(), current_actor(), notification_id)
    db().commit()
    target = row.link if row.link.startswith("/") and not row.link.startswith("//") else None
    return redirect(target or url_for("tasks.inbox"))


@bp.post("/notifications/read-all")
@login_required
def read_all() -> Response:
    notifications.mark_all_read(db(), current_actor())
    db().commit()
    return redirect(url_for("tasks.inbox"))


# --- The working-day calendar (admins) ---------------------------------------------------------------


def _admin_only() -> None:
    if not current_user.model.has_role(Role.ADMIN):
        abort(403)


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def calendar_table() -> Any:
    _admin_only()
    year = request.args.get("year", type=int) or clock.today().year
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        first = parse_date(request.form.get("first_day"), "first_day", errors)
        last = parse_date(request.form.get("last_day"), "last_day", errors) or first
        try:
            if errors or first is None or last is None:
                raise InvalidInput("Ngày chưa hợp lệ", fields=errors or {"first_day": "Bắt buộc"})
            rows = add_calendar_entries(
                db(),
                current_actor(),
                first,
                last,
                request.form.get("kind", ""),
                request.form.get("name", ""),
            )
        except EofficeError as e:
            db().rollback()
            flash(e.render(_), "danger")
            errors, status = {k: _(v) for k, v in e.fields.items()}, e.http_status
        else:
            db().commit()
            flash(_("Đã thêm %(n)s ngày vào bảng lịch.", n=len(rows)), "success")
            return redirect(url_for("tasks.calendar_table", year=first.year))
    context = {
        "year": year,
        "entries": list_calendar_entries(db(), year),
        "days_off": _calendar().holidays_in(year),
        "kinds": list(OverrideKind),
        "kinds_by_value": {k.value: k for k in OverrideKind},
        "errors": errors,
        "form": request.form,
    }
    return render_template("tasks/calendar.html", **context), status


@bp.post("/calendar/<int:entry_id>/delete")
@login_required
def calendar_delete(entry_id: int) -> Response:
    _admin_only()
    delete_calendar_entry(db(), current_actor(), entry_id)
    db().commit()
    flash(_("Đã xóa ngày khỏi bảng lịch."), "success")
    return redirect(url_for("tasks.calendar_table", year=request.form.get("year", type=int)))
