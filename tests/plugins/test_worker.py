"""`portal worker` and `portal plugins list`, run as an operator runs them: separate processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from portal.db.tables import EventDelivery
from portal.plugins import outbox
from portal.settings import PluginSettings, Settings
from tests.harness import SERVER_SECRET
from tests.plugins.conftest import dispatcher_for, make_due
from tests.plugins.sample import SLOW_STARTED, CaseNoted, Recorder
from tests.test_cli import PORTAL, run_portal

pytestmark = pytest.mark.usefixtures("migrated_database")

ROOT = Path(__file__).parent.parent.parent
SLOW = "tests.plugins.sample:SlowPlugin"
SHOP = "tests.plugins.sample:ShopPlugin"


def environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_SECURITY__SECRET_KEY": SERVER_SECRET,
        "PYTHONPATH": str(ROOT),  # so that the worker can import the test plugins by name
        **extra,
    }


def wait_until(condition, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"`portal worker` exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            pytest.fail(f"`portal worker` did not get there in {timeout:.0f} s:\n{log.read_text(errors='replace')}")
        time.sleep(0.02)  # the interval between polls of the condition


def kill_worker_once_handling(env: dict[str, str], started: Path, log: Path) -> None:
    """Start `portal worker`, wait until its (slow) handler has begun, then kill -9 it."""
    with log.open("wb") as output:
        worker = subprocess.Popen([PORTAL, "worker"], env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until(started.exists, worker, log)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)


async def test_a_worker_killed_mid_delivery_loses_nothing(
    settings: Settings, database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    event = CaseNoted(case_id=1, note="survives")
    await outbox.record(event)
    started = tmp_path / "started"
    log = tmp_path / "worker.log"
    env = os.environ | environment(
        database_url,
        data_dir,
        PORTAL_PLUGINS__EXTRA=SLOW,
        PORTAL_PLUGINS__POLL_INTERVAL="0.05",
        **{SLOW_STARTED: str(started)},
    )
    kill_worker_once_handling(env, started, log)
    assert started.read_text() == str(event.id)
    [row] = await EventDelivery.select()
    assert (row["subscriber"], row["status"], row["attempts"]) == (SLOW, "delivering", 1)

    # Another dispatcher leaves the claim alone while it lasts, and delivers the event once it has expired.
    survivor = Recorder()
    dispatcher = dispatcher_for(settings, **{SLOW: survivor})
    assert not (await dispatcher.drain()).busy
    await make_due()
    assert (await dispatcher.drain()).delivered == 1
    assert survivor.events == [event]
    [row] = await EventDelivery.select()
    assert (row["status"], row["attempts"]) == ("delivered", 2)


async def test_worker_once_delivers_what_is_due_and_exits(database_url: str, data_dir: Path) -> None:
    await outbox.record(CaseNoted(case_id=1))
    env = environment(database_url, data_dir, PORTAL_PLUGINS__EXTRA=SHOP)
    result = run_portal("worker", "--once", env=env)
    assert result.returncode == 0, result.stderr
    assert f"delivering events to {SHOP}" in result.stderr
    assert "0 delivered, 1 failed, 0 dead." in result.stderr  # ShopPlugin's handler always raises
    [row] = await EventDelivery.select()
    assert (row["status"], row["last_error"]) == ("pending", "RuntimeError: cannot handle test.case_noted")


async def test_plugins_list_shows_plugins_versions_hooks_and_health(
    settings_factory, database_url: str, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    await outbox.record(CaseNoted(case_id=1))
    failing = Recorder(failures=1)
    await dispatcher_for(settings_factory(plugins=PluginSettings(outbox_max_attempts=1)), **{SHOP: failing}).drain()

    result = run_portal("plugins", "list", env=environment(database_url, data_dir, PORTAL_PLUGINS__EXTRA=SHOP))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    core = next(line for line in lines if "portal.web.navigation" in line)
    assert "core" in core
    assert "portal_nav_items" in core
    assert " ok " in core
    shop = next(line for line in lines if SHOP in line)
    assert "extra" in shop
    assert "portal_cli, portal_handle_event, portal_nav_items" in shop
    assert "0 delivered, 0 pending, 0 delivering, 1 dead" in shop
    assert next(line for line in lines if "portal.plugins.commands" in line)
