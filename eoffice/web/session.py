"""Per-request database session, the logged-in user, and session expiry."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, logout_user
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from eoffice import clock, wiring
from eoffice.documents.blobs import FilePolicy
from eoffice.documents.signatures import SignatureConfig
from eoffice.org.actor import Actor
from eoffice.org.delegations import active_delegations_for, actor_for
from eoffice.org.models import User
from eoffice.settings import Settings
from eoffice.web.extensions import login_manager

log = logging.getLogger(__name__)


def settings() -> Settings:
    return current_app.extensions["eoffice"]["settings"]


def file_policy() -> FilePolicy:
    """Return where uploads go and how large they may be, from the settings."""
    return wiring.file_policy(settings())


def signature_config() -> SignatureConfig:
    """Return the signing configuration (public URL, trust store, TSA) from the settings."""
    return wiring.signature_config(settings())


def db() -> Session:
    """Return this request's session (opened on first use, closed at teardown)."""
    if "db" not in g:
        g.db = current_app.extensions["eoffice"]["session_factory"]()
    return g.db


class LoginUser(UserMixin):
    """Flask-Login's view of a :class:`User`; attribute access falls through to the model."""

    def __init__(self, user: User) -> None:
        self.model = user

    def get_id(self) -> str:
        return str(self.model.id)

    @property
    def is_active(self) -> bool:
        return self.model.is_active

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)


ACTING_FOR = "acting_for"


def current_actor() -> Actor:
    """Return the actor of this request: the logged-in user (or the API token's user), acting for
    the delegator chosen in the top bar while that delegation is active."""
    if "actor" in g:
        return g.actor
    api_user = g.get("api_user")
    user = api_user or (current_user.model if current_user.is_authenticated else None)
    delegator_id = None if api_user is not None else session.get(ACTING_FOR)
    if user is None:
        actor = Actor(user=None, ip=client_ip())
    else:
        actor = actor_for(db(), user, delegator_id, client_ip())
    g.actor = actor
    return actor


def client_ip() -> str:
    # Behind a reverse proxy, ProxyFix (configured in deployment) rewrites remote_addr.
    return request.remote_addr or ""


@login_manager.user_loader
def _load_user(user_id: str) -> LoginUser | None:
    if not user_id.isdigit():
        return None
    user = db().get(User, int(user_id))
    return LoginUser(user) if user is not None and user.is_active else None


def init_app(app: Flask) -> None:
    @app.context_processor
    def _acting_options() -> dict[str, Any]:
        if request.blueprint in ("api", "health") or not current_user.is_authenticated:
            return {}
        return {
            "acting_options": active_delegations_for(db(), current_user.model),
            "acting_as": current_actor().on_behalf_of,
        }

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session_ = g.pop("db", None)
        if session_ is None:
            return
        try:
            session_.close()  # rolls back whatever the view did not commit
        except DBAPIError as e:
            # The server went away after the view's last statement: its connection is dropped from
            # the pool, and the answer already made (a 201, or a clean 503) goes out unchanged
            # instead of becoming a bare 500.
            log.warning("closing the request's database session failed: %s", e)

    @app.before_request
    def _expire_old_logins() -> Any:
        if request.blueprint in ("api", "health", "static") or not current_user.is_authenticated:
            return None
        started = session.get("auth_at")
        lifetime = timedelta(minutes=settings().session_lifetime_minutes)
        if started is None or clock.now().timestamp() - started > lifetime.total_seconds():
            logout_user()
            session.clear()
            flash(_("Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại."), "warning")
            return redirect(url_for("auth.login", next=request.full_path))
        return None
