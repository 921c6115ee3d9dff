"""Log in, log out, switch language."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from eoffice import clock
from eoffice.errors import AuthenticationFailed, TooManyAttempts
from eoffice.org.auth import authenticate, end_sessions
from eoffice.web.extensions import LOCALES
from eoffice.web.forms import EmptyForm, LoginForm
from eoffice.web.session import (
    ACTING_FOR,
    SESSION_EPOCH,
    LoginUser,
    client_ip,
    current_actor,
    db,
    settings,
)

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template(
            "auth/login.html", form=form
        ), 400 if request.method == "POST" else 200
    conf = settings()
    try:
        user = authenticate(
            db(),
            form.username.data or "",
            form.password.data or "",
            ip=client_ip(),
            max_failures=conf.login_max_failures,
            lockout=timedelta(minutes=conf.login_lockout_minutes),
            ip_max_failures=conf.login_ip_max_failures,
            refuse_demo_passwords=conf.is_production,
        )
    except (AuthenticationFailed, TooManyAttempts) as e:
        db().commit()  # keep the failure count
        flash(e.render(_), "danger")
        response = make_response(render_template("auth/login.html", form=form), e.http_status)
        if isinstance(e, TooManyAttempts):
            response.headers["Retry-After"] = str(e.retry_after)
        return response
    db().commit()
    lang = session.get("lang")
    session.clear()  # a fresh session on login: nothing from before survives (fixation)
    if lang:
        session["lang"] = lang
    session.permanent = True
    session["auth_at"] = clock.now().timestamp()
    session[SESSION_EPOCH] = user.session_epoch  # logout raises it: this cookie then dies
    login_user(LoginUser(user))
    return redirect(_safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str:
    """Only follow a local path, never another site."""
    if (
        target
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("home.index")


@bp.post("/logout")
@login_required
def logout() -> Response:
    form = EmptyForm()
    if form.validate_on_submit():
        end_sessions(db(), current_user.model)  # a copy of this cookie is worth nothing now
        db().commit()
        logout_user()
        session.clear()
        flash(_("Đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
def set_language(code: str) -> Response:
    form = EmptyForm()
    if form.validate_on_submit() and code in LOCALES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/act-as")
@login_required
def act_as() -> Response:
    """Choose whom to act for: oneself, or a delegator whose delegation is active now."""
    form = EmptyForm()
    if form.validate_on_submit():
        chosen = request.form.get("delegator_id", "")
        session.pop(ACTING_FOR, None)
        if chosen.isdigit():
            session[ACTING_FOR] = int(chosen)
            actor = current_actor()
            if actor.on_behalf_of is None:
                session.pop(ACTING_FOR, None)
                flash(_("Ủy quyền không còn hiệu lực."), "warning")
            else:
                flash(
                    _("Đang làm việc thay mặt %(name)s.", name=actor.on_behalf_of.full_name), "info"
                )
    return redirect(_safe_next(request.form.get("next")))
