from __future__ import annotations

from pathlib import Path

import pytest

from portal.app import create_app
from portal.settings import ConfigurationError, Settings


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("DATABASE_URL", "REDIS_URL", "PORTAL_CONFIG", "PORTAL_MODE", "PORTAL_SECURITY__SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_give_a_sqlite_file_in_the_data_directory(clean_environment: Path) -> None:
    settings = Settings()
    assert settings.database_url == "sqlite:///var/portal.sqlite3"
    assert settings.mode == "production"
    assert settings.cookie_secure is False  # http://127.0.0.1:8000


def test_environment_sets_sections_and_the_conventional_names(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PORTAL_LOG__FORMAT", "json")
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://support.example.com")
    settings = Settings()
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/test"
    assert settings.redis.url == "redis://127.0.0.1:6379/0"
    assert settings.log.format == "json"
    assert settings.cookie_secure is True


def test_portal_toml_is_read_and_the_environment_wins(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_environment / "portal.toml").write_text(
        'public_url = "https://from-file.example"\n[server]\nworkers = 4\nport = 8080\n'
    )
    monkeypatch.setenv("PORTAL_SERVER__PORT", "9090")
    settings = Settings()
    assert settings.public_url == "https://from-file.example"
    assert settings.server.workers == 4
    assert settings.server.port == 9090


def test_unknown_setting_is_an_error_not_silently_ignored(clean_environment: Path) -> None:
    (clean_environment / "portal.toml").write_text("[server]\nwokers = 4\n")
    with pytest.raises(ValueError, match="wokers"):
        Settings()


def test_production_refuses_to_start_without_a_secret(clean_environment: Path) -> None:
    with pytest.raises(ConfigurationError, match="PORTAL_SECURITY__SECRET_KEY"):
        create_app(Settings(data_dir=clean_environment))


def test_demo_mode_generates_a_secret_once_and_keeps_it(clean_environment: Path) -> None:
    settings = Settings(mode="demo", data_dir=clean_environment / "data")
    first = settings.secret_key()
    assert len(first) >= 32
    assert Settings(mode="demo", data_dir=clean_environment / "data").secret_key() == first
    assert (clean_environment / "data" / "secret_key").stat().st_mode & 0o077 == 0
