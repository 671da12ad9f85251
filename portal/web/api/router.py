"""The `/api/v1` router and the OpenAPI document that describes it (and nothing else)."""

from __future__ import annotations

from litestar import Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from portal.web.api.auth import requires_token
from portal.web.api.controllers import AttachmentApiController, CaseApiController
from portal.web.api.errors import API_EXCEPTION_HANDLERS

API_PATH = "/api/v1"
DESCRIPTION = """\
Cases of the customer portal, for integrations. Every request carries an API token that an administrator
created in the back office (`Authorization: Bearer ptl_...`). A token has scopes (`cases:read`,
`cases:write`) and acts as one staff user: it sees what that user sees, and what it writes is theirs.

Errors always have the same shape:
`{"error": {"status": 422, "code": "invalid", "message": "...", "fields": {"subject": "..."}}}`.
Messages are in the language of `Accept-Language` (English or Greek).
"""


def api_router() -> Router:
    # The API has no cookies to protect: only the bearer token authenticates, so CSRF checks are off here.
    return Router(
        API_PATH,
        route_handlers=[CaseApiController, AttachmentApiController],
        guards=[requires_token],
        exception_handlers=API_EXCEPTION_HANDLERS,
        include_in_schema=True,
        security=[{"bearer": []}],
        opt={"exclude_from_csrf": True},
    )


def openapi_config() -> OpenAPIConfig:
    """JSON and YAML only: the interactive viewers load scripts from CDNs, which the portal's CSP forbids."""
    return OpenAPIConfig(
        title="Portal API",
        version="1",
        description=DESCRIPTION,
        # Its own router, so that fetching the document sets no CSRF cookie: it is for machines, not a form.
        openapi_router=Router(f"{API_PATH}/schema", route_handlers=[], opt={"exclude_from_csrf": True}),
        render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"]), YamlRenderPlugin(path="/openapi.yaml")],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", description="An API token: `ptl_...`.")
            }
        ),
        security=[{"bearer": []}],
    )
