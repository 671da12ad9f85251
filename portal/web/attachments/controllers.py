"""Downloading a case's attachments: only for those who may see the case; a 404 for everyone else."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import structlog
from litestar import Controller, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath

from portal.services import attachments
from portal.services.attachments import AttachmentInfo, AttachmentStore
from portal.web.auth.guards import requires_staff, signed_in_user

AnyRequest = Request[Any, Any, Any]

log = structlog.get_logger("portal.attachments")

# The file is never a page of ours: whatever a browser makes of it may run no script and load nothing.
FILE_POLICY = "default-src 'none'; sandbox"


def requires_user_or_enrolled_staff(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Customers and staff alike; staff under the same two-factor rule as in the back office."""
    if signed_in_user(connection).is_staff:
        requires_staff(connection, handler)


def store_of(request: AnyRequest) -> AttachmentStore:
    """The app's attachment store (built by `create_app`)."""
    return request.app.state.attachments  # type: ignore[no-any-return]


async def load_attachment(request: AnyRequest, attachment_id: FromPath[int]) -> AttachmentInfo:
    """An attachment `request.user` may see; anything else, existing or not, is a 404."""
    found = await attachments.visible_to(request.user, attachment_id)
    if found is None:
        raise NotFoundException()
    return found


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, and the real (UTF-8) name for the others."""
    fallback = "".join(
        char if char.isascii() and char.isprintable() and char not in '"\\' else "_" for char in filename
    )
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(data: bytes, content_type: str, filename: str, *, inline: bool) -> Response[bytes]:
    """A stored file as a download (or shown, for a safe image): never sniffed into a type, never run as a page."""
    return Response(
        content=data,
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition("inline" if inline else "attachment", filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": FILE_POLICY,
            "Cross-Origin-Resource-Policy": "same-origin",
            "Cache-Control": "private",
        },
    )


class AttachmentController(Controller):
    path = "/attachments"
    guards = [requires_user_or_enrolled_staff]
    include_in_schema = False
    dependencies = {"attachment": Provide(load_attachment)}

    # The name in the path is for the person saving the file; the id alone decides what is served.
    @get("/{attachment_id:int}/{filename:str}")
    async def download(self, request: AnyRequest, attachment: NamedDependency[AttachmentInfo]) -> Response[bytes]:
        try:
            data = await store_of(request).read(attachment.storage_key)
        except FileNotFoundError:
            log.error("attachment file missing", attachment_id=attachment.id, key=attachment.storage_key)
            raise NotFoundException() from None
        return file_response(data, attachment.content_type, attachment.filename, inline=attachment.inline)
