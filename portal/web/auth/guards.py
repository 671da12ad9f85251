"""Guards for controllers: signed in, a customer, staff, or a minimum role."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.db.tables import Role
from portal.services.users import CurrentUser

_RANK = {role: rank for rank, role in enumerate(Role)}


def signed_in_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    return user  # type: ignore[no-any-return]


def requires_user(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    signed_in_user(connection)


def requires_customer(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if signed_in_user(connection).is_staff:
        raise PermissionDeniedException()


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not signed_in_user(connection).is_staff:
        raise PermissionDeniedException()


def requires_role(minimum: Role) -> Any:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if _RANK[signed_in_user(connection).role] < _RANK[minimum]:
            raise PermissionDeniedException()

    return guard
