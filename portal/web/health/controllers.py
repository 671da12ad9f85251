"""Probes for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Controller, MediaType, Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from portal.db import engine

log = structlog.get_logger("portal.health")


class HealthController(Controller):
    include_in_schema = False
    opt = {"skip_session": True}

    @get("/healthz", media_type=MediaType.JSON)
    async def alive(self) -> dict[str, str]:
        """The process answers: restart it if this fails."""
        return {"status": "ok"}

    @get("/readyz", media_type=MediaType.JSON)
    async def ready(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """The database answers and every migration is applied: send traffic here only if this passes."""
        database = request.app.state.db
        settings = request.app.state.settings
        try:
            await engine.start(
                database, pool_min_size=settings.db.pool_min_size, pool_max_size=settings.db.pool_max_size
            )
            await engine.ping(database)
            pending = await engine.pending_migrations()
        except Exception as exc:  # any failure to reach the database means "not ready", never a 500
            log.warning("database not reachable", error=str(exc))
            return Response(
                {"status": "unavailable", "database": "unreachable"}, status_code=HTTP_503_SERVICE_UNAVAILABLE
            )
        if pending:
            body = {"status": "unavailable", "database": "ok", "pending_migrations": pending}
            return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"status": "ok", "database": "ok"}, status_code=HTTP_200_OK)
