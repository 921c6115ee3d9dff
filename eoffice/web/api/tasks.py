"""/api/v1/tasks and /api/v1/reports/lateness: the same services as the pages, in JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from eoffice import clock
from eoffice.errors import InvalidInput
from eoffice.tasks import queries
from eoffice.tasks import services as tasks
from eoffice.tasks import services_work as work
from eoffice.tasks.access import get_visible_task
from eoffice.tasks.inputs import parse_date, parse_int, parse_task_input
from eoffice.tasks.models import Task, TaskExtension, TaskUpdate
from eoffice.tasks.queries import Queue, TaskFilter
from eoffice.tasks.reports import make_spec
from eoffice.tasks.services_calendar import load_calendar
from eoffice.tasks.services_extensions import decide_extension, request_extension
from eoffice.tasks.snapshots import report_for
from eoffice.tasks.statuses import evaluate_task
from eoffice.web.api import bp
from eoffice.web.session import current_actor, db
from eoffice.web.tasks import policy


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Nội dung yêu cầu phải là một đối tượng JSON", code="invalid_json")
    return body


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _update_json(update: TaskUpdate) -> dict[str, Any]:
    return {
        "kind": update.kind,
        "percent": update.percent,
        "text": update.text,
        "by": update.author.username if update.author else None,
        "on_behalf_of": update.on_behalf_of.username if update.on_behalf_of else None,
        "at": _iso(update.at),
    }


def _extension_json(ext: TaskExtension) -> dict[str, Any]:
    return {
        "id": ext.id,
        "old_date": _iso(ext.old_date),
        "new_date": _iso(ext.new_date),
        "reason": ext.reason,
        "requested_at": _iso(ext.requested_at),
        "decision": ext.decision,
        "decided_at": _iso(ext.decided_at),
        "decision_note": ext.decision_note,
    }


def task_json(task: Task, *, full: bool = False) -> dict[str, Any]:
    """Return the API's view of a task (``full`` adds children, history and extensions)."""
    view = evaluate_task(task, clock.now(), load_calendar(db()), policy().status)
    data: dict[str, Any] = {
        "id": task.id,
        "title": task.title,
        "state": task.state,
        "status": view.status.value,
        "due_soon": view.due_soon,
        "priority": task.priority,
        "lead": {
            "kind": task.lead_kind,
            "agency": task.lead_agency.code,
            "unit": task.lead_unit.short_name if task.lead_unit else None,
            "user": task.lead_user.username if task.lead_user else None,
            "name": task.lead_name,
        },
        "assigner": {"username": task.assigner.username, "full_name": task.assigner.full_name},
        "parent_id": task.parent_id,
        "original_due_date": _iso(task.original_due_date),
        "due_date": _iso(task.due_date),
        "measured_due_date": _iso(task.measured_due_date),
        "progress_percent": task.progress_percent,
        "assigned_at": _iso(task.assigned_at),
        "submitted_at": _iso(task.submitted_at),
        "done_at": _iso(task.done_at),
        "confirmed_at": _iso(task.confirmed_at),
    }
    if full:
        data |= {
            "content": task.content,
            "source": {
                "kind": task.source_kind,
                "document_id": task.source_document_id,
                "reference": task.source_reference,
            },
            "cooperators": [c.name for c in task.cooperators],
            "result": task.result,
            "rework_count": task.rework_count,
            "children": [
                {
                    "id": c.id,
                    "title": c.title,
                    "state": c.state,
                    "progress_percent": c.progress_percent,
                }
                for c in task.children
            ],
            "extensions": [_extension_json(e) for e in task.extensions],
            "updates": [_update_json(u) for u in task.updates],
            "attachments": [
                {"id": a.id, "filename": a.filename, "size": a.size} for a in task.attachments
            ],
        }
    return data


@bp.post("/tasks")
def create_task() -> tuple[Response, int]:
    task = tasks.create_task(db(), current_actor(), parse_task_input(_body()), load_calendar(db()))
    db().commit()
    return jsonify(task_json(task, full=True)), 201


@bp.get("/tasks")
def list_tasks() -> Response:
    errors: dict[str, str] = {}
    args = request.args
    queue = args.get("queue", Queue.ALL.value)
    if queue not in {q.value for q in Queue}:
        errors["queue"] = "Chọn " + ", ".join(q.value for q in Queue)
    flt = TaskFilter(
        queue=Queue(queue) if queue in {q.value for q in Queue} else Queue.ALL,
        lead_agency=args.get("lead_agency") or None,
        state=args.get("state") or None,
        due_from=parse_date(args.get("due_from"), "due_from", errors),
        due_to=parse_date(args.get("due_to"), "due_to", errors),
        q=args.get("q", "")[:200],
        parent_id=parse_int(args.get("parent_id"), "parent_id", errors),
        after_id=parse_int(args.get("after"), "after", errors),
        limit=parse_int(args.get("limit"), "limit", errors) or 50,
    )
    if errors:
        raise InvalidInput("Tham số lọc chưa hợp lệ", fields=errors)
    page = queries.list_tasks(db(), current_actor(), flt, load_calendar(db()), policy().status)
    return jsonify({"items": [task_json(t) for t in page.items], "next_after": page.next_after_id})


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> Response:
    return jsonify(task_json(get_visible_task(db(), current_actor(), task_id), full=True))


def _done(task: Task, status: int = 200) -> tuple[Response, int]:
    db().commit()
    return jsonify(task_json(task, full=True)), status


@bp.post("/tasks/<int:task_id>/progress")
def report_task_progress(task_id: int) -> tuple[Response, int]:
    body = _body()
    task = get_visible_task(db(), current_actor(), task_id)
    percent = body.get("percent")
    if not isinstance(percent, int) or isinstance(percent, bool):
        raise InvalidInput("Báo cáo tiến độ chưa hợp lệ", fields={"percent": "Nhập số từ 0 đến 99"})
    work.report_progress(db(), current_actor(), task, percent, str(body.get("text") or ""))
    return _done(task)


@bp.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int) -> tuple[Response, int]:
    body = _body()
    task = get_visible_task(db(), current_actor(), task_id)
    work.submit_completion(db(), current_actor(), task, str(body.get("result") or ""))
    return _done(task)


@bp.post("/tasks/<int:task_id>/confirm")
def confirm_task(task_id: int) -> tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    task = get_visible_task(db(), current_actor(), task_id)
    work.confirm_completion(db(), current_actor(), task, str(body.get("note") or ""))
    return _done(task)


@bp.post("/tasks/<int:task_id>/reject")
def reject_task(task_id: int) -> tuple[Response, int]:
    body = _body()
    task = get_visible_task(db(), current_actor(), task_id)
    work.reject_completion(db(), current_actor(), task, str(body.get("reason") or ""))
    return _done(task)


@bp.post("/tasks/<int:task_id>/extensions")
def request_task_extension(task_id: int) -> tuple[Response, int]:
    body = _body()
    task = get_visible_task(db(), current_actor(), task_id)
    errors: dict[str, str] = {}
    new_date = parse_date(body.get("new_date"), "new_date", errors)
    if errors:
        raise InvalidInput("Đề nghị gia hạn chưa hợp lệ", fields=errors)
    ext = request_extension(db(), current_actor(), task, new_date, str(body.get("reason") or ""))
    db().commit()
    return jsonify(_extension_json(ext)), 201


@bp.post("/tasks/<int:task_id>/extensions/<int:extension_id>/decision")
def decide_task_extension(task_id: int, extension_id: int) -> tuple[Response, int]:
    body = _body()
    task = get_visible_task(db(), current_actor(), task_id)
    approve = body.get("approve")
    if not isinstance(approve, bool):
        raise InvalidInput("Quyết định gia hạn chưa hợp lệ", fields={"approve": "true hoặc false"})
    decide_extension(
        db(),
        current_actor(),
        task,
        extension_id,
        approve,
        str(body.get("note") or ""),
        policy=policy(),
    )
    return _done(task)


@bp.get("/reports/lateness")
def lateness_report() -> Response:
    errors: dict[str, str] = {}
    args = request.args
    date_from = parse_date(args.get("date_from"), "date_from", errors)
    date_to = parse_date(args.get("date_to"), "date_to", errors)
    as_of = parse_date(args.get("as_of"), "as_of", errors)
    if errors:
        raise InvalidInput("Tham số báo cáo chưa hợp lệ", fields=errors)
    spec = make_spec(date_from, date_to, args.get("group_by", "agency"), as_of)
    return jsonify(report_for(db(), current_actor(), spec, policy()).to_json())
