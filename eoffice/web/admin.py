"""Quản trị: agencies, units, users, roles and delegations (admins of an agency and below)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from eoffice.clock import LOCAL_TZ
from eoffice.errors import EofficeError, NotFound
from eoffice.org import delegations as delegation_services
from eoffice.org import services as org
from eoffice.org.models import Role, User
from eoffice.web.forms import AgencyForm, DelegationForm, EmptyForm, RolesForm, UnitForm, UserForm
from eoffice.web.session import current_actor, db

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.model.has_role(Role.ADMIN):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _show_field_errors(form: Any, error: EofficeError) -> None:
    """Put a service's per-field messages next to the fields; the rest goes to a flash."""
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, _(message)]
    flash(error.render(_), "danger")


def _managed_ids() -> set[int]:
    return {a.id for a in org.list_managed_agencies(db(), current_actor())}


def managed_user(user_id: int) -> User:
    """Return the user if the admin administers their agency; a user of another agency is as
    unknown as one that does not exist (the same 404, so ids reveal nothing)."""
    user_ = db().get(User, user_id)
    if user_ is None or user_.agency_id not in _managed_ids():
        abort(404)
    return user_


@bp.get("/")
@admin_required
def index() -> Response:
    return redirect(url_for("admin.agencies"))


@bp.route("/agencies", methods=["GET", "POST"])
@admin_required
def agencies() -> Any:
    managed = org.list_managed_agencies(db(), current_actor())
    form = AgencyForm()
    form.parent_code.choices = [(a.code, f"{a.code} — {a.name}") for a in managed]
    if form.validate_on_submit():
        data = org.AgencyInput(
            code=form.code.data.strip(),
            name=form.name.data,
            short_name=form.short_name.data.strip(),
            level=form.level.data,
            parent_code=form.parent_code.data or None,
            exchanges_via_vxp=form.exchanges_via_vxp.data,
            address=form.address.data or "",
            email=form.email.data or "",
        )
        try:
            agency, warnings = org.create_agency(db(), current_actor(), data)
        except EofficeError as e:
            db().rollback()
            _show_field_errors(form, e)
            return render_template(
                "admin/agencies.html", agencies=managed, form=form
            ), e.http_status
        db().commit()
        for warning in warnings:
            flash(_(warning) if "{" not in warning else warning, "warning")
        flash(_("Đã thêm cơ quan %(name)s.", name=agency.name), "success")
        return redirect(url_for("admin.agency", agency_id=agency.id))
    status = 422 if form.errors else 200
    return render_template("admin/agencies.html", agencies=managed, form=form), status


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@admin_required
def agency(agency_id: int) -> Any:
    if agency_id not in _managed_ids():
        abort(404)
    agency_ = org.get_agency_or_raise(db(), agency_id)
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = org.create_unit(
                db(), current_actor(), agency_, form.name.data, form.short_name.data.strip()
            )
        except EofficeError as e:
            db().rollback()
            _show_field_errors(form, e)
            return render_template("admin/agency.html", agency=agency_, form=form), e.http_status
        db().commit()
        flash(_("Đã thêm đơn vị %(name)s.", name=unit.name), "success")
        return redirect(url_for("admin.agency", agency_id=agency_id))
    return render_template(
        "admin/agency.html", agency=agency_, form=form
    ), 422 if form.errors else 200


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> Any:
    managed = org.list_managed_agencies(db(), current_actor())
    form = UserForm()
    form.agency_code.choices = [(a.code, f"{a.code} — {a.short_name} {a.name}") for a in managed]
    form.unit_short_name.choices = [
        ("", "—"),
        *sorted({(u.short_name, u.short_name) for a in managed for u in a.units}),
    ]
    listing = org.list_users(db(), [a.id for a in managed])
    if form.validate_on_submit():
        data = org.UserInput(
            username=form.username.data,
            full_name=form.full_name.data,
            agency_code=form.agency_code.data,
            roles=tuple(form.roles.data or ()),
            password=form.password.data,
            position=form.position.data or "",
            email=form.email.data or "",
            unit_short_name=form.unit_short_name.data or None,
        )
        try:
            user = org.create_user(db(), current_actor(), data)
        except EofficeError as e:
            db().rollback()
            _show_field_errors(form, e)
            return render_template("admin/users.html", users=listing, form=form), e.http_status
        db().commit()
        flash(_("Đã tạo người dùng %(username)s.", username=user.username), "success")
        return redirect(url_for("admin.user", user_id=user.id))
    return render_template(
        "admin/users.html", users=listing, form=form
    ), 422 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id: int) -> Any:
    user_ = managed_user(user_id)
    form = RolesForm(data={"roles": sorted(r.value for r in user_.roles)})
    if form.validate_on_submit():
        try:
            org.set_user_roles(db(), current_actor(), user_, form.roles.data or [])
        except EofficeError as e:
            db().rollback()
            _show_field_errors(form, e)
            return render_template(
                "admin/user.html", user=user_, form=form, toggle=EmptyForm()
            ), e.http_status
        db().commit()
        flash(_("Đã cập nhật vai trò."), "success")
        return redirect(url_for("admin.user", user_id=user_id))
    return render_template("admin/user.html", user=user_, form=form, toggle=EmptyForm())


@bp.post("/users/<int:user_id>/active")
@admin_required
def toggle_user(user_id: int) -> Response:
    user_ = managed_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(404)
    try:
        org.set_user_active(db(), current_actor(), user_, not user_.is_active)
    except EofficeError as e:
        db().rollback()
        flash(e.render(_), "danger")
    else:
        db().commit()
        flash(_("Đã mở khóa tài khoản.") if user_.is_active else _("Đã khóa tài khoản."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/delegations", methods=["GET", "POST"])
@admin_required
def delegations() -> Any:
    managed_ids = _managed_ids()
    people = org.list_users(db(), managed_ids)
    form = DelegationForm()
    choices = [(u.id, f"{u.full_name} ({u.username})") for u in people]
    form.delegator_id.choices = choices
    form.delegate_id.choices = choices
    listing = delegation_services.list_delegations(db(), managed_ids)
    if form.validate_on_submit():
        by_id = {u.id: u for u in people}
        delegator, delegate = by_id.get(form.delegator_id.data), by_id.get(form.delegate_id.data)
        if delegator is None or delegate is None:
            abort(404)
        try:
            delegation_services.create_delegation(
                db(),
                current_actor(),
                delegator,
                delegate,
                form.powers.data or [],
                _local(form.starts_at.data),
                _local(form.ends_at.data),
                form.note.data or "",
            )
        except EofficeError as e:
            db().rollback()
            _show_field_errors(form, e)
            return render_template(
                "admin/delegations.html", delegations=listing, form=form, revoke=EmptyForm()
            ), e.http_status
        db().commit()
        flash(_("Đã tạo ủy quyền."), "success")
        return redirect(url_for("admin.delegations"))
    return render_template(
        "admin/delegations.html", delegations=listing, form=form, revoke=EmptyForm()
    ), 422 if form.errors else 200


@bp.post("/delegations/<int:delegation_id>/revoke")
@admin_required
def revoke_delegation(delegation_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        delegation = delegation_services.get_delegation_or_raise(db(), delegation_id)
    except NotFound:
        abort(404)  # the same answer as for another agency's delegation
    if delegation.delegator.agency_id not in _managed_ids():
        abort(404)
    delegation_services.revoke_delegation(db(), current_actor(), delegation_id)
    db().commit()
    flash(_("Đã thu hồi ủy quyền."), "success")
    return redirect(url_for("admin.delegations"))


def _local(value: datetime) -> datetime:
    """Form datetimes are typed in Vietnam time."""
    return value.replace(tzinfo=LOCAL_TZ)
