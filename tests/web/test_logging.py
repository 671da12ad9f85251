from __future__ import annotations

import httpx
import pytest


def access_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [record.msg for record in caplog.records if record.name == "portal.access" and isinstance(record.msg, dict)]


async def test_every_request_is_logged_with_its_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    response = await client.get("/no/such/page", headers={"X-Request-ID": "lb-7f3a-42"})
    assert response.headers["x-request-id"] == "lb-7f3a-42"  # a load balancer's id is kept end to end
    [record] = access_records(caplog)
    assert record["request_id"] == "lb-7f3a-42"
    assert record["path"] == "/no/such/page"
    assert record["status"] == 404


async def test_an_unsafe_request_id_is_replaced(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    response = await client.get("/", headers={"X-Request-ID": "x\nforged log line"})
    request_id = response.headers["x-request-id"]
    assert "\n" not in request_id
    assert len(request_id) == 32
    assert access_records(caplog)[0]["request_id"] == request_id
