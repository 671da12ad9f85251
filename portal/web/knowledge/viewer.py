"""Who is reading the knowledge base: the clearance every KB page, search and file download goes by."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from portal.search.documents import Clearance
from portal.services.kb_index import clearance_of


def clearance(connection: ASGIConnection[Any, Any, Any, Any]) -> Clearance:
    """Staff who must still set up two-factor authentication (settings.auth.require_staff_2fa) read as customers
    until they have: the back office refuses them, and internal articles are the back office's."""
    user = connection.scope.get("user")
    settings = connection.app.state.settings
    if user is not None and user.is_staff and settings.auth.require_staff_2fa and not user.two_factor_enabled:
        return "customer"
    return clearance_of(user)
