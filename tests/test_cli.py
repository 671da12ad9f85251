"""The `portal` command, run as a user runs it: a separate process with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.db.tables import Role
from portal.services import users

PORTAL = str(Path(sys.executable).parent / "portal")


def run_portal(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "DATABASE_URL"))}
    return subprocess.run(
        [PORTAL, *args],
        env=clean | {"COLUMNS": "200"} | env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> dict[str, str]:
    return {"PORTAL_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}


def test_help_lists_the_commands() -> None:
    result = run_portal("--help", env={})
    assert result.returncode == 0
    for command in ("serve", "migrate", "demo", "createuser", "check"):
        assert command in result.stdout


def test_check_reports_the_configuration_and_fails_on_what_cannot_run(fresh_sqlite: dict[str, str]) -> None:
    result = run_portal("check", env=fresh_sqlite)
    assert result.returncode == 1
    assert "cli.sqlite3" in result.stdout
    assert "PORTAL_SECURITY__SECRET_KEY must be set" in result.stderr
    assert "migration(s) not applied" in result.stderr


def test_migrate_then_check_passes(fresh_sqlite: dict[str, str]) -> None:
    env = fresh_sqlite | {
        "PORTAL_SECURITY__SECRET_KEY": "x" * 40,
        "PORTAL_PUBLIC_URL": "https://portal.example",
    }
    migrated = run_portal("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "migration(s) applied" in migrated.stderr
    assert run_portal("migrate", env=env).stderr.strip().endswith("Database is up to date.")
    checked = run_portal("check", env=env)
    assert checked.returncode == 0, checked.stderr
    assert "Database reachable, migrations applied." in checked.stderr
    assert "secret key" in checked.stdout


def test_check_redacts_database_passwords(fresh_sqlite: dict[str, str]) -> None:
    env = fresh_sqlite | {"DATABASE_URL": "postgresql://portal:s3cret-pw@127.0.0.1:1/portal"}
    result = run_portal("check", env=env)
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert "portal:***@127.0.0.1:1/portal" in result.stdout


async def test_createuser_makes_staff_who_can_sign_in(fresh_sqlite: dict[str, str]) -> None:
    env = fresh_sqlite | {
        "PORTAL_SECURITY__SECRET_KEY": "x" * 40,
        "PORTAL_NEW_USER_PASSWORD": "a long enough password",
    }
    assert run_portal("migrate", env=env).returncode == 0
    created = run_portal("createuser", "--email", "Boss@Example.com", "--name", "Big Boss", "--role", "admin", env=env)
    assert created.returncode == 0, created.stderr
    assert "Created admin boss@example.com" in created.stderr
    again = run_portal("createuser", "--email", "boss@example.com", "--name", "Other", env=env)
    assert again.returncode == 1
    assert "already exists" in again.stderr

    from portal.db import engine as db_engine

    db_engine.bind(fresh_sqlite["DATABASE_URL"])
    user = await users.authenticate("boss@example.com", "a long enough password")
    assert user is not None
    assert user.role is Role.admin


def test_createuser_offers_only_staff_roles(fresh_sqlite: dict[str, str]) -> None:
    result = run_portal("createuser", "--email", "a@b.c", "--name", "A", "--role", "contact", env=fresh_sqlite)
    assert result.returncode == 2
    assert "'contact' is not one of" in result.stderr


def test_demo_builds_a_fresh_database_and_prints_the_logins(fresh_sqlite: dict[str, str]) -> None:
    result = run_portal("demo", "--no-serve", env=fresh_sqlite)
    assert result.returncode == 0, result.stderr
    assert "admin@portal.example" in result.stdout
    assert "portal-demo" in result.stdout
    assert "Loading demo data" in result.stderr
    again = run_portal("demo", "--no-serve", env=fresh_sqlite)  # --fresh by default: starts over, no duplicates
    assert again.returncode == 0, again.stderr
