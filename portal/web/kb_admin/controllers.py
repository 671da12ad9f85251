"""Back office: writing knowledge-base articles (list, editor with live preview, status changes, files)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from portal.i18n import current_locale, ngettext
from portal.i18n import gettext as _
from portal.services import deflection, kb_article_files, kb_backoffice, knowledge
from portal.services.attachments import AttachmentRejected
from portal.services.kb_markdown import render
from portal.web.auth.guards import requires_staff
from portal.web.kb_admin import forms
from portal.web.kb_files.controllers import files_store
from portal.web.team.forms import FormData
from portal.web.uploads import uploads_from_request

AnyRequest = Request[Any, Any, Any]
Article = dict[str, Any]


async def load_article(article_id: FromPath[int]) -> Article:
    article = await kb_backoffice.article(article_id)
    if article is None:
        raise NotFoundException()
    return article


@contextmanager
def existing() -> Iterator[None]:
    """An article deleted by a colleague meanwhile is a 404, as if it had never been there."""
    try:
        yield
    except knowledge.ArticleNotFound:
        raise NotFoundException() from None


def edit_url(article_id: int, anchor: str = "") -> str:
    return f"/backoffice/kb/{article_id}/edit{anchor}"


def preview_of(body: str) -> str:
    return render(body[: knowledge.BODY_MAX]) if body.strip() else ""


async def editor_page(
    article: Article | None,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    preview: str | None = None,
    file_error: str | None = None,
) -> Template:
    context: dict[str, Any] = {
        "article": article,
        "values": values,
        "errors": errors or {},
        "category_choices": await forms.category_choices(current_locale()),
        "preview_html": preview if preview is not None else (article or {}).get("body_html", ""),
        "file_error": file_error,
    }
    if article is not None:
        context["translation"] = await knowledge.translation_of(article)
        context["translate_query"] = forms.translation_query(article)
        context["files"] = await kb_article_files.of_article(article["id"])
    status = 422 if errors or file_error else 200
    return Template("kb_admin/edit.html", context=context, status_code=status)


async def submit(request: AnyRequest, article: Article | None, data: dict[str, Any]) -> Template | Redirect:
    """Save draft, save and publish, or (without JavaScript) show the preview of what was typed."""
    values = forms.typed(data, forms.ARTICLE_FIELDS)
    action = data.get("action")
    if action == "preview":
        return await editor_page(article, values, preview=preview_of(values["body"]))
    search = request.app.state.search
    try:
        with existing():
            article_id = await knowledge.save(
                forms.article_input(values),
                actor_id=request.user.id,
                article_id=None if article is None else article["id"],
                note=values["note"],
                search=search,
            )
            if action == "publish":
                await knowledge.publish(article_id, actor_id=request.user.id, search=search)
    except knowledge.ArticleInputError as refused:
        return await editor_page(article, values, errors=refused.errors)
    message = _("Article saved and published.") if action == "publish" else _("Article saved.")
    flash(request, message, "success")
    return Redirect(edit_url(article_id), status_code=303)


class KbArticlesController(Controller):
    path = "/backoffice/kb"
    guards = [requires_staff]
    include_in_schema = False
    dependencies = {"article": Provide(load_article)}

    @get("/", name="backoffice_kb")
    async def list_articles(self, request: AnyRequest) -> Template:
        page = await kb_backoffice.list_articles(kb_backoffice.ArticleFilters.of(request.query_params))
        context = {
            "page": page,
            "category_options": await forms.category_filter_choices(current_locale()),
            "deflection": await deflection.article_deflection_figures(),
        }
        return Template("kb_admin/list.html", context=context)

    @get("/new")
    async def new(self, request: AnyRequest) -> Template:
        return await editor_page(None, forms.new_article_values(request.query_params))

    @post("/new", status_code=303)
    async def create(self, request: AnyRequest, data: FormData) -> Template | Redirect:
        return await submit(request, None, data)

    @get("/{article_id:int}/edit")
    async def edit(self, article: NamedDependency[Article]) -> Template:
        return await editor_page(article, forms.article_values(article))

    @post("/{article_id:int}/edit", status_code=303)
    async def update(
        self, request: AnyRequest, article: NamedDependency[Article], data: FormData
    ) -> Template | Redirect:
        return await submit(request, article, data)

    @post("/preview", status_code=200)
    async def preview(self, data: FormData) -> Template:
        """The htmx live preview: the body as readers will see it."""
        body = forms.typed(data, ("body",))["body"]
        return Template("kb_admin/_preview.html", context={"preview_html": preview_of(body)})

    @post("/{article_id:int}/publish", status_code=303)
    async def publish(self, request: AnyRequest, article: NamedDependency[Article]) -> Redirect:
        with existing():
            await knowledge.publish(article["id"], actor_id=request.user.id, search=request.app.state.search)
        flash(request, _("Article published."), "success")
        return Redirect(edit_url(article["id"]), status_code=303)

    @post("/{article_id:int}/unpublish", status_code=303)
    async def unpublish(self, request: AnyRequest, article: NamedDependency[Article]) -> Redirect:
        with existing():
            await knowledge.unpublish(article["id"], actor_id=request.user.id, search=request.app.state.search)
        flash(request, _("Article unpublished: it is a draft again."), "success")
        return Redirect(edit_url(article["id"]), status_code=303)

    @post("/{article_id:int}/archive", status_code=303)
    async def archive(self, request: AnyRequest, article: NamedDependency[Article]) -> Redirect:
        with existing():
            await knowledge.archive(article["id"], actor_id=request.user.id, search=request.app.state.search)
        flash(request, _("Article archived."), "success")
        return Redirect(edit_url(article["id"]), status_code=303)

    @get("/{article_id:int}/delete")
    async def confirm_delete(self, article: NamedDependency[Article]) -> Template:
        return Template("kb_admin/delete.html", context={"article": article})

    @post("/{article_id:int}/delete", status_code=303)
    async def delete(self, request: AnyRequest, article: NamedDependency[Article]) -> Redirect:
        with existing():
            await kb_article_files.delete_article(
                files_store(request), article["id"], actor_id=request.user.id, search=request.app.state.search
            )
        flash(request, _("Article %(title)s deleted.") % {"title": article["title"]}, "success")
        return Redirect("/backoffice/kb", status_code=303)

    @post("/{article_id:int}/files", status_code=303)
    async def upload(self, request: AnyRequest, article: NamedDependency[Article]) -> Template | Redirect:
        uploads = await uploads_from_request(request, field="files")
        values = forms.article_values(article)
        if not uploads:
            return await editor_page(article, values, file_error=_("Choose one or more files to upload."))
        try:
            added = await kb_article_files.add(
                files_store(request),
                article["id"],
                uploads,
                limits=request.app.state.settings.cases,
                uploaded_by=request.user.id,
            )
        except AttachmentRejected as rejected:
            return await editor_page(article, values, file_error=rejected.message)
        count = len(added)
        message = ngettext(
            "%(count)d file added: paste its Markdown into the body.",
            "%(count)d files added: paste their Markdown into the body.",
            count,
        )
        flash(request, message % {"count": count}, "success")
        return Redirect(edit_url(article["id"], "#files-title"), status_code=303)

    @post("/{article_id:int}/files/{file_id:int}/delete", status_code=303)
    async def remove_file(
        self, request: AnyRequest, article: NamedDependency[Article], file_id: FromPath[int]
    ) -> Redirect:
        if not await kb_article_files.remove(files_store(request), article["id"], file_id):
            raise NotFoundException()
        flash(request, _("File removed."), "success")
        return Redirect(edit_url(article["id"], "#files-title"), status_code=303)
