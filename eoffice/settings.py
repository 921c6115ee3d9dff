"""One frozen, validated settings object: defaults ← TOML file named by $EOFFICE_CONFIG ← EOFFICE_* env.

This is the only module that reads ``os.environ``. Invalid settings raise :class:`SettingsError`
with one line per problem, naming the setting (as its environment variable) and what is wrong.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "EOFFICE_"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


class SettingsError(Exception):
    """Settings are missing or invalid; the message names each bad setting."""


class Settings(BaseSettings):
    """Everything an eoffice process can be configured with (see config/eoffice.example.toml)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", case_sensitive=False
    )

    env: Literal["development", "production", "test"] = "development"
    instance_dir: Path = Path("instance")
    database_url: str = ""
    """SQLAlchemy URL; empty means an SQLite file under instance_dir."""
    blob_dir: Path | None = None
    """Content-addressed file store; default instance_dir/blobs."""
    secret_key: SecretStr | None = None
    """Signs session cookies; generated into instance_dir/secret_key when absent."""
    timezone: str = "Asia/Ho_Chi_Minh"
    default_locale: Literal["vi", "en"] = "vi"
    base_url: str = "http://127.0.0.1:5000"
    """Public address of this instance: links in e-mails and QR codes on printed documents."""
    session_cookie_secure: bool = False
    session_lifetime_minutes: int = Field(default=480, ge=5, le=7 * 24 * 60)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_ip_max_failures: int = Field(default=30, ge=0, le=10000)
    """Failed logins from one address within login_lockout_minutes before it must wait (0: off)."""
    api_token_ip_max_failures: int = Field(default=20, ge=0, le=10000)
    """Requests with a bad bearer token from one address within api_token_lockout_minutes (0: off)."""
    api_token_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    api_requests_per_minute: int = Field(default=600, ge=0, le=1_000_000)
    """Requests per API token per minute, counted in each web process (0: off)."""
    proxy_count: int = Field(default=0, ge=0, le=5)
    """Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (nginx: 1)."""
    metrics_token: SecretStr = SecretStr("")
    """Bearer token Prometheus sends to GET /metrics; empty turns the endpoint off (404)."""
    run_jobs_in_web: bool | None = None
    """Run background jobs inside `eoffice run`; default: only with the embedded SQLite database."""

    max_upload_mb: int = Field(default=50, ge=1, le=2048)
    max_attachment_mb: int = Field(default=20, ge=1, le=2048)

    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    mail_sender: str = "eoffice@localhost"

    vxp_endpoint: str = ""
    vxp_system_id: str = ""
    vxp_secret: SecretStr = SecretStr("")
    vxp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    vxp_poll_seconds: int = Field(default=30, ge=1, le=3600)
    """How often the worker sends the outbox and polls the axis."""
    vxp_retry_base_seconds: int = Field(default=30, ge=1, le=3600)
    """First wait after a failed send; each further failure doubles it (up to the maximum)."""
    vxp_retry_max_seconds: int = Field(default=7200, ge=1, le=86400)
    vxp_retry_attempts: int = Field(default=8, ge=1, le=100)
    """Failed sends before the message becomes a dead letter an admin can re-queue."""
    vxp_hub_database_url: str = ""
    """The local axis' own database; empty means an SQLite file under instance_dir."""

    signing_key_dir: Path | None = None
    """Where agencies' and users' PKCS#12 files live; default instance_dir/keys."""
    signing_trust_dir: Path | None = None
    """Directory of trusted PEM roots for validating arriving signatures; default instance_dir/trust."""
    signing_tsa_url: str = ""
    """RFC 3161 timestamp authority; the worker (never a web request) adds the timestamps."""
    signing_pkcs11_module: str = ""
    """PKCS#11 module through which the server reaches signing tokens and HSMs."""

    due_soon_working_days: int = Field(default=3, ge=0, le=30)
    task_extension_policy: Literal["in_force_at_request", "latest_approved", "original"] = (
        "in_force_at_request"
    )
    """Which deadline lateness is measured against when a task was extended."""
    lateness_rate_formula: Literal[
        "late_rate_due_base",
        "overdue_open_rate",
        "overdue_open_rate_all_assigned",
        "overdue_of_open_rate",
    ] = "late_rate_due_base"
    lateness_target_percent: float = Field(default=3.0, ge=0, le=100)
    lateness_alert_percent: float = Field(default=5.0, ge=0, le=100)
    reminder_send_time: str = "07:30"
    """Local time (HH:MM) at which planned reminders fall due."""
    reminder_before_working_days: list[int] = Field(default_factory=lambda: [3, 1])
    reminder_overdue_every_working_days: int = Field(default=1, ge=0, le=30)
    reminder_escalation_every_working_days: int = Field(default=5, ge=0, le=60)
    reminder_digest: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @field_validator("database_url", "vxp_hub_database_url")
    @classmethod
    def _check_db_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("phải là URL SQLAlchemy sqlite:/// hoặc postgresql+psycopg://")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"múi giờ không tồn tại: {value!r}") from e
        return value

    @field_validator("base_url", "vxp_endpoint", "signing_tsa_url")
    @classmethod
    def _check_http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("phải bắt đầu bằng http:// hoặc https://")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("khóa bí mật phải dài ít nhất 32 ký tự")
        return value

    @field_validator("reminder_send_time")
    @classmethod
    def _check_send_time(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError as e:
            raise ValueError("giờ gửi nhắc việc phải có dạng HH:MM") from e
        return value

    @field_validator("reminder_before_working_days")
    @classmethod
    def _check_before_days(cls, value: list[int]) -> list[int]:
        if any(not 1 <= n <= 30 for n in value):
            raise ValueError("mỗi mốc nhắc trước hạn phải từ 1 đến 30 ngày làm việc")
        return value

    @model_validator(mode="after")
    def _check_smtp_mode(self) -> Settings:
        if self.smtp_ssl and self.smtp_starttls:
            raise ValueError("smtp_ssl và smtp_starttls không thể cùng bật")
        if self.lateness_alert_percent < self.lateness_target_percent:
            raise ValueError("lateness_alert_percent phải không nhỏ hơn lateness_target_percent")
        return self

    # Derived values: one place decides the defaults that hang off instance_dir.
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.instance_dir / 'eoffice.sqlite3').resolve()}"

    @property
    def effective_hub_database_url(self) -> str:
        default = f"sqlite:///{(self.instance_dir / 'vxp-hub.sqlite3').resolve()}"
        return self.vxp_hub_database_url or default

    @property
    def effective_blob_dir(self) -> Path:
        return self.blob_dir or self.instance_dir / "blobs"

    @property
    def effective_key_dir(self) -> Path:
        return self.signing_key_dir or self.instance_dir / "keys"

    @property
    def effective_trust_dir(self) -> Path:
        return self.signing_trust_dir or self.instance_dir / "trust"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


class _TomlFileSource(PydanticBaseSettingsSource):
    """Settings from the TOML file named by $EOFFICE_CONFIG (flat keys, same names as the fields)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns the whole mapping

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get(f"{ENV_PREFIX}CONFIG")
        if not path:
            return {}
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as e:
            raise SettingsError(f"EOFFICE_CONFIG: không đọc được tệp {path}: {e.strerror}") from e
        except tomllib.TOMLDecodeError as e:
            raise SettingsError(f"EOFFICE_CONFIG: tệp {path} không phải TOML hợp lệ: {e}") from e
        unknown = sorted(set(data) - set(self.settings_cls.model_fields))
        if unknown:
            raise SettingsError(
                f"EOFFICE_CONFIG: tệp {path} có khóa không biết: {', '.join(unknown)}"
            )
        return data


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from defaults, the config file, the environment and ``overrides``.

    Generates and stores a secret key under the instance directory when none is configured.

    :raises SettingsError: with one line per invalid setting.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as e:
        raise SettingsError(_describe(e)) from None
    if settings.secret_key is None:
        key = _read_or_create_secret_key(settings.instance_dir)
        settings = settings.model_copy(update={"secret_key": SecretStr(key)})
    return settings


def _describe(error: ValidationError) -> str:
    lines = ["Cấu hình không hợp lệ (invalid settings):"]
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "?"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {ENV_PREFIX}{name.upper()}: {message}")
    return "\n".join(lines)


def _read_or_create_secret_key(instance_dir: Path) -> str:
    path = instance_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    try:
        instance_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # O_EXCL: two processes starting together must not overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise SettingsError(
            f"EOFFICE_INSTANCE_DIR: không tạo được khóa bí mật trong {instance_dir}: {e.strerror}"
        ) from e
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    return key


def prometheus_multiproc_dir() -> str:
    """prometheus_client's multiprocess directory (set for gunicorn with several workers)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def test_postgres_url() -> str:
    """Return the PostgreSQL URL the test suite uses (EOFFICE_TEST_POSTGRES_URL)."""
    return os.environ.get(
        "EOFFICE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


def postgres_required() -> bool:
    """Return whether a missing PostgreSQL must fail the tests instead of skipping (CI)."""
    return os.environ.get("EOFFICE_TEST_REQUIRE_POSTGRES", "") == "1"
