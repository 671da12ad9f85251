"""Guards for controllers: signed in, a customer, staff, or a minimum role."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.db.tables import Role
from portal.services.users import CurrentUser
from portal.web.errors.handlers import EMAIL_NOT_VERIFIED

_RANK = {role: rank for rank, role in enumerate(Role)}


def signed_in_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    return user  # type: ignore[no-any-return]


def requires_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    signed_in_user(connection)


def requires_verified(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Signed in with a confirmed email address: for actions that email the user or act in their name
    (opening a case). Unverified users may sign in and look around, and are told to confirm their address."""
    if not signed_in_user(connection).email_verified:
        raise PermissionDeniedException(detail=EMAIL_NOT_VERIFIED)


def requires_customer(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if signed_in_user(connection).is_staff:
        raise PermissionDeniedException()


class TwoFactorEnrolmentRequired(Exception):
    """Staff must set up two-factor authentication before they may work (settings.auth.require_staff_2fa)."""


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = signed_in_user(connection)
    if not user.is_staff:
        raise PermissionDeniedException()
    if connection.app.state.settings.auth.require_staff_2fa and not user.two_factor_enabled:
        raise TwoFactorEnrolmentRequired()


def requires_role(minimum: Role) -> Any:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if _RANK[signed_in_user(connection).role] < _RANK[minimum]:
            raise PermissionDeniedException()

    return guard
