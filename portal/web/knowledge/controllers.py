"""The knowledge base's pages: home, a category, an article with "was this helpful?", and the sitemap.

Audience is enforced where an article or category is loaded: what the viewer may not read (a draft, an
archived article, an internal one for a customer) is a 404 like one that does not exist.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape as xml_escape

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.services import kb_pages
from portal.settings import Settings
from portal.web.auth.throttling import client_address, enforce, forms_per_ip
from portal.web.forms import parse_form
from portal.web.knowledge.forms import FeedbackForm, plausible_slug
from portal.web.knowledge.search import search_box_context
from portal.web.knowledge.viewer import clearance

AnyRequest = Request[Any, Any, Any]


def _home_label() -> str:
    return _("Knowledge base")


async def readable_article(request: AnyRequest, slug: str, language: str | None) -> dict[str, Any]:
    """The published article the viewer may read, else a 404 that says nothing of whether it exists."""
    if not plausible_slug(slug):
        raise NotFoundException()
    article = await kb_pages.find_article(slug, language, clearance(request), current_locale())
    if article is None:
        raise NotFoundException()
    return article


async def article_response(
    request: AnyRequest,
    article: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    page = await kb_pages.article_page(article, clearance(request), current_locale(), _home_label())
    context = {"page": page, "article": article, "values": values or {}, "errors": errors or {}, "thanks": False}
    return Template("knowledge/article.html", context=context, status_code=status)


def feedback_fragment(
    article: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    thanks: bool = False,
    status: int = 200,
) -> Template:
    """The "was this helpful?" section alone, as htmx swaps it in: the thanks, or the form with its errors."""
    context = {"article": article, "values": values or {}, "errors": errors or {}, "thanks": thanks}
    return Template("knowledge/_feedback.html", context=context, status_code=status)


class KnowledgeController(Controller):
    path = "/kb"
    include_in_schema = False

    @get("/", name="kb")
    async def home(self, request: AnyRequest) -> Template:
        language = current_locale()
        context = {
            "categories": await kb_pages.category_tree(clearance(request), language),
            "popular": await kb_pages.popular(clearance(request), language),
            **search_box_context(""),
        }
        return Template("knowledge/index.html", context=context)

    @get("/category/{slug:str}")
    async def category(self, request: AnyRequest, slug: FromPath[str]) -> Template:
        page = None
        if plausible_slug(slug):
            page = await kb_pages.category_page(slug, clearance(request), current_locale(), _home_label())
        if page is None:
            raise NotFoundException()
        return Template("knowledge/category.html", context={"page": page, **search_box_context("")})

    @get("/article/{slug:str}")
    async def article_any_language(self, request: AnyRequest, slug: FromPath[str]) -> Redirect:
        article = await readable_article(request, slug, None)
        return Redirect(kb_pages.article_url(article["slug"], article["language"]), status_code=302)

    @get("/article/{slug:str}/{language:str}")
    async def article(self, request: AnyRequest, slug: FromPath[str], language: FromPath[str]) -> Template:
        article = await readable_article(request, slug, language)
        await kb_pages.count_view(article["id"])
        return await article_response(request, article)

    @post("/article/{slug:str}/{language:str}/feedback", status_code=303)
    async def feedback(self, request: HTMXRequest, slug: FromPath[str], language: FromPath[str]) -> Template | Redirect:
        article = await readable_article(request, slug, language)
        await enforce(request, forms_per_ip(request.app.state.settings), client_address(request))
        data = dict(await request.form())
        form, errors = parse_form(FeedbackForm, data)
        fragment = bool(request.htmx) and not request.htmx.boosted
        if form is None:
            values = {"comment": str(data.get("comment", ""))}
            if fragment:
                return feedback_fragment(article, values=values, errors=errors, status=422)
            return await article_response(request, article, values, errors, status=422)
        user = request.scope.get("user")
        await kb_pages.record_feedback(
            article["id"], helpful=form.helpful == "yes", comment=form.comment.strip(), user_id=user and user.id
        )
        if fragment:
            return feedback_fragment(article, thanks=True)
        flash(request, _("Thank you for your feedback."), "success")
        return Redirect(kb_pages.article_url(article["slug"], article["language"]) + "#feedback", status_code=303)


class SitemapController(Controller):
    path = "/sitemap.xml"
    include_in_schema = False

    @get("/", opt={"skip_session": True})
    async def sitemap(self, request: AnyRequest) -> Response[str]:
        settings: Settings = request.app.state.settings
        base = settings.public_url.rstrip("/")
        urls = [
            f"  <url><loc>{xml_escape(base + path)}</loc></url>"
            for path in ["/kb", *await kb_pages.sitemap_categories()]
        ]
        for entry in await kb_pages.sitemap_entries():
            loc = xml_escape(base + entry.path)
            urls.append(f"  <url><loc>{loc}</loc><lastmod>{entry.lastmod.date().isoformat()}</lastmod></url>")
        body = "\n".join(
            [
                '<?xml version="1.0" encoding="UTF-8"?>',
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
                *urls,
                "</urlset>",
                "",
            ]
        )
        return Response(body, media_type="application/xml")
