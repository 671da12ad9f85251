"""Searching the knowledge base: the full results page (facets, paging, "did you mean"), the live fragment the
search box fetches as the visitor types, and word completions. Without JavaScript the box submits to the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from markupsafe import Markup

from portal.i18n import current_locale, locale_name
from portal.search.documents import SearchHit, SearchResults
from portal.services import kb_pages
from portal.services.kb_index import KnowledgeSearch
from portal.web.knowledge.forms import LIVE_SIZE, PAGE_SIZE, SearchParams, safe_snippet
from portal.web.knowledge.viewer import clearance as viewer_clearance

AnyRequest = Request[Any, Any, Any]
SUGGESTIONS = 8


@dataclass(frozen=True)
class FacetValue:
    label: str
    count: int
    url: str
    selected: bool


@dataclass(frozen=True)
class ResultRow:
    title: str
    url: str
    snippet: Markup
    category: str
    language: str  # the article's
    other_language: str | None  # its language's name when it differs from the viewer's


def search_box_context(q: str) -> dict[str, Any]:
    return {"q": q}


def _search(request: AnyRequest) -> KnowledgeSearch:
    return request.app.state.search  # type: ignore[no-any-return]


def _rows(hits: list[SearchHit], categories: dict[str, str], language: str) -> list[ResultRow]:
    return [
        ResultRow(
            title=hit.title,
            url=kb_pages.article_url(hit.slug, hit.language),
            snippet=safe_snippet(hit.snippet_html),
            category=categories.get(hit.category, ""),
            language=hit.language,
            other_language=locale_name(hit.language) if hit.language != language else None,
        )
        for hit in hits
    ]


def _facets(
    results: SearchResults, params: SearchParams, categories: dict[str, str], products: dict[str, str]
) -> dict[str, list[FacetValue]]:
    labels = {
        "category": categories,
        "language": {code: locale_name(code) for code in ("el", "en")},
        "product": products,
    }
    chosen = {"category": params.category, "language": params.language, "product": params.product}
    facets: dict[str, list[FacetValue]] = {}
    for kind, counts in results.facets.items():
        values = []
        for value, count in counts.items():
            if not value:  # articles without a category: nothing to narrow to
                continue
            selected = chosen.get(kind) == value
            url = params.url(**{kind: None if selected else value})
            values.append(FacetValue(labels.get(kind, {}).get(value, value), count, url, selected))
        if values:
            facets[kind] = values
    return facets


async def results_context(request: AnyRequest, params: SearchParams, page_size: int) -> dict[str, Any]:
    clearance = viewer_clearance(request)
    language = current_locale()
    context: dict[str, Any] = {"params": params, "q": params.q, "results": None, "rows": [], "facets": {}}
    if not params.q:
        return context
    search = _search(request)
    results = await search.search(params.query(clearance, language, page_size))
    categories = await kb_pages.category_names(language)
    context |= {"results": results, "rows": _rows(results.hits, categories, language)}
    if page_size != LIVE_SIZE:
        context["facets"] = _facets(results, params, categories, await kb_pages.product_names(language))
        suggestion = await search.did_you_mean(params.q, clearance) if params.page == 1 else None
        if suggestion and suggestion.casefold() != params.q.casefold():
            context["did_you_mean"] = (suggestion, SearchParams(q=suggestion).url())
    return context


class KnowledgeSearchController(Controller):
    path = "/kb"
    include_in_schema = False

    @get("/search", name="kb-search")
    async def search(self, request: AnyRequest) -> Template:
        params = SearchParams.from_query(request.query_params)
        return Template("knowledge/search.html", context=await results_context(request, params, PAGE_SIZE))

    @get("/search/live")
    async def live(self, request: HTMXRequest) -> Template | Redirect:
        params = SearchParams.from_query(request.query_params)
        if not request.htmx:  # a browser without JavaScript gets the full page
            return Redirect(params.url(), status_code=302)
        context = await results_context(request, params, LIVE_SIZE)
        context["suggestions"] = await _search(request).suggest(params.q, viewer_clearance(request), SUGGESTIONS)
        return Template("knowledge/_live.html", context=context, headers={"Vary": "HX-Request"})

    @get("/suggest")
    async def suggest(self, request: AnyRequest) -> Template:
        q = SearchParams.from_query(request.query_params).q
        words = await _search(request).suggest(q, viewer_clearance(request), SUGGESTIONS) if q else []
        return Template("knowledge/_suggest.html", context={"suggestions": words})
