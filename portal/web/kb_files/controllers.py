"""Serving knowledge-base images and attachments: as visible as their article, never run as a page of ours."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from portal.services import kb_article_files
from portal.services.attachment_store import AttachmentStore
from portal.services.kb_article_files import ArticleFileInfo
from portal.web.attachments.controllers import file_response
from portal.web.knowledge.viewer import clearance

AnyRequest = Request[Any, Any, Any]

log = structlog.get_logger("portal.kb_files")


def files_store(request: AnyRequest) -> AttachmentStore:
    return kb_article_files.article_store(request.app.state.attachments)


async def load_file(request: AnyRequest, file_id: FromPath[int]) -> ArticleFileInfo:
    """A file of an article the visitor may read; anything else, existing or not, is a 404."""
    found = await kb_article_files.visible_to(clearance(request), file_id)
    if found is None:
        raise NotFoundException()
    return found


class ArticleFilesController(Controller):
    path = "/kb/files"
    include_in_schema = False
    dependencies = {"article_file": Provide(load_file)}

    # The name in the path is for the reader and the Markdown; the id alone decides what is served.
    @get("/{file_id:int}/{filename:str}")
    async def download(self, request: AnyRequest, article_file: NamedDependency[ArticleFileInfo]) -> Response[bytes]:
        try:
            data = await files_store(request).read(article_file.storage_key)
        except FileNotFoundError:
            log.error("article file missing", file_id=article_file.id, key=article_file.storage_key)
            raise NotFoundException() from None
        return file_response(data, article_file.content_type, article_file.filename, inline=article_file.inline)
