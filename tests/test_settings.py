from pathlib import Path

import pytest

from eoffice.settings import SettingsError, load_settings


def test_defaults_put_everything_under_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("EOFFICE_CONFIG", raising=False)
    s = load_settings(instance_dir=tmp_path / "inst")
    assert (
        s.effective_database_url == f"sqlite:///{(tmp_path / 'inst' / 'eoffice.sqlite3').resolve()}"
    )
    assert s.effective_blob_dir == tmp_path / "inst" / "blobs"
    assert s.timezone == "Asia/Ho_Chi_Minh"
    assert s.default_locale == "vi"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path):
    first = load_settings(instance_dir=tmp_path)
    second = load_settings(instance_dir=tmp_path)
    key = first.secret_key.get_secret_value()
    assert len(key) >= 32
    assert second.secret_key.get_secret_value() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_settings_are_frozen(tmp_path: Path):
    s = load_settings(instance_dir=tmp_path)
    with pytest.raises(Exception, match="frozen"):
        s.env = "production"


def test_file_then_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    config = tmp_path / "eoffice.toml"
    config.write_text(
        'base_url = "https://vanban.example.vn"\nmax_upload_mb = 10\n', encoding="utf-8"
    )
    monkeypatch.setenv("EOFFICE_CONFIG", str(config))
    monkeypatch.setenv("EOFFICE_MAX_UPLOAD_MB", "30")
    s = load_settings(instance_dir=tmp_path)
    assert s.base_url == "https://vanban.example.vn"  # from the file
    assert s.max_upload_mb == 30  # the environment wins over the file


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("EOFFICE_DATABASE_URL", "mysql://x", "EOFFICE_DATABASE_URL"),
        ("EOFFICE_TIMEZONE", "Mars/Olympus", "EOFFICE_TIMEZONE"),
        ("EOFFICE_SMTP_PORT", "99999", "EOFFICE_SMTP_PORT"),
        ("EOFFICE_ENV", "staging", "EOFFICE_ENV"),
        ("EOFFICE_SECRET_KEY", "short", "EOFFICE_SECRET_KEY"),
        ("EOFFICE_VXP_ENDPOINT", "ftp://axis", "EOFFICE_VXP_ENDPOINT"),
    ],
)
def test_invalid_settings_name_the_setting(monkeypatch, tmp_path, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings(instance_dir=tmp_path)
    assert expected in str(info.value)


def test_unknown_key_in_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    config = tmp_path / "c.toml"
    config.write_text('databse_url = "sqlite://"\n', encoding="utf-8")
    monkeypatch.setenv("EOFFICE_CONFIG", str(config))
    with pytest.raises(SettingsError, match="databse_url"):
        load_settings(instance_dir=tmp_path)


def test_missing_config_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EOFFICE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(SettingsError, match="EOFFICE_CONFIG"):
        load_settings(instance_dir=tmp_path)
