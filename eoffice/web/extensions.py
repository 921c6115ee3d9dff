"""Flask extensions, created once and bound in the app factory."""

from __future__ import annotations

from flask import current_app, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"

LOCALES = ("vi", "en")


def select_locale() -> str:
    """Use the language the user picked, else the deployment default (Vietnamese)."""
    chosen = session.get("lang") or request.args.get("lang")
    if chosen in LOCALES:
        return chosen
    return current_app.extensions["eoffice"]["settings"].default_locale
