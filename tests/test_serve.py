"""`portal serve` with each supported server and several workers, as an operator runs it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.harness import serving


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_serve_answers_with_two_workers(server: str, migrated_database: str, data_dir: Path) -> None:
    with (
        serving(database_url=migrated_database, data_dir=data_dir, args=("--server", server, "--workers", "2")) as live,
        httpx.Client(base_url=live.url, timeout=30.0) as client,
    ):
        # The second worker may still be importing when the first answers /readyz: a generous timeout.
        home = client.get("/", headers={"Accept-Language": "el"})
        assert home.status_code == 200
        assert "Πώς μπορούμε να σας βοηθήσουμε σήμερα;" in home.text
        assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}
        assert client.get("/static/vendor/htmx.min.js").status_code == 200
