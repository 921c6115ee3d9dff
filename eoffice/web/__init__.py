"""The web app: the only package that imports Flask. Views validate, call one service, commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.db import make_engine, make_session_factory
from eoffice.settings import Settings, load_settings
from eoffice.web.extensions import babel, csrf, login_manager, select_locale


def create_app(
    settings: Settings | None = None,
    session_factory: Callable[[], Session] | None = None,
) -> Flask:
    """Build the Flask app for ``settings`` (default: loaded from file and environment).

    ``session_factory`` lets tests bind every request to one rolled-back connection.
    """
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key.get_secret_value() if settings.secret_key else None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_lifetime_minutes),
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        TESTING=settings.env == "test",
    )
    if session_factory is None:
        engine = make_engine(settings.effective_database_url)
        session_factory = make_session_factory(engine)
    app.extensions["eoffice"] = {"settings": settings, "session_factory": session_factory}

    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    _register_blueprints(app)
    _register_template_helpers(app)
    from eoffice.web import errors, input_guard, metrics, security_headers, session

    metrics.init_app(app)
    session.init_app(app)
    errors.init_app(app)
    input_guard.init_app(app)
    security_headers.init_app(app)
    if settings.proxy_count:
        # Client address, scheme and host as the reverse proxy saw them (audit IPs, Secure links).
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app


def _register_blueprints(app: Flask) -> None:
    from eoffice.web.admin import bp as admin_bp
    from eoffice.web.admin_exchange import bp as admin_exchange_bp
    from eoffice.web.admin_signing import bp as admin_signing_bp
    from eoffice.web.api import bp as api_bp
    from eoffice.web.auth import bp as auth_bp
    from eoffice.web.documents import bp as documents_bp
    from eoffice.web.health import bp as health_bp
    from eoffice.web.home import bp as home_bp
    from eoffice.web.metrics import bp as metrics_bp
    from eoffice.web.registers import bp as registers_bp
    from eoffice.web.tasks import register_pages as register_task_pages
    from eoffice.web.verify import bp as verify_bp

    for blueprint in (
        auth_bp,
        home_bp,
        admin_bp,
        health_bp,
        api_bp,
        verify_bp,
        documents_bp,
        registers_bp,
        admin_signing_bp,
        admin_exchange_bp,
        metrics_bp,
    ):
        app.register_blueprint(blueprint)
    register_task_pages(app)  # Nhắc việc and Báo cáo
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens only, never cookies
    csrf.exempt(health_bp)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["date_vn"] = clock.format_date
    app.jinja_env.filters["datetime_vn"] = clock.format_datetime
    app.jinja_env.filters["number_vn"] = lambda n: f"{n:,}".replace(",", ".")
