"""Where a request came from, for the audit log."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from portal.services.audit import Origin


def origin_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Origin:
    client = connection.client
    return Origin(ip=client.host if client else None, user_agent=connection.headers.get("user-agent"))
