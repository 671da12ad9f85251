"""The knowledge base's inputs: the search page's query string and the "was this helpful?" form."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from markupsafe import Markup, escape
from pydantic import BaseModel, BeforeValidator, Field

from portal.i18n import gettext as _
from portal.search.documents import LANGUAGES, Clearance, Language, SearchQuery
from portal.services.kb_pages import COMMENT_MAX

QUERY_MAX = 200
PAGE_MAX = 1000
PAGE_SIZE = 10
LIVE_SIZE = 5
SLUG_SHAPE = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
_MARK = re.compile(r"(<mark(?:\s[^<>]*)?>|</mark>)")
# Markdown's punctuation in a snippet of the article's source: link targets, emphasis, table rules, list marks.
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)?")
_MARKUP = re.compile(r"\*\*|__|`|\[|\]|(?<=\n)[ \t]*(?:#+|[-*+]|\d+\.)[ \t]+|\|[-:| ]*\|?|\|")


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str:
    return str(_one(value) or "").replace("\x00", "")


def _answer(value: Any) -> str:
    answer = _text(value).strip()
    if answer not in ("yes", "no"):
        raise ValueError(_("Please answer yes or no."))
    return answer


class FeedbackForm(BaseModel):
    helpful: Annotated[Literal["yes", "no"], BeforeValidator(_answer)]
    comment: Annotated[str, BeforeValidator(_text), Field(max_length=COMMENT_MAX)] = ""


def plausible_slug(value: str) -> bool:
    """Slugs are lower-case letters, digits and hyphens; anything else is a miss before any query."""
    return bool(SLUG_SHAPE.match(value))


@dataclass(frozen=True)
class SearchParams:
    """The search page's query string. Junk (a hand-edited URL) falls back to the default, never a failure."""

    q: str = ""
    page: int = 1
    category: str | None = None
    language: Language | None = None
    product: str | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> SearchParams:
        page = params.get("page", "1").strip()
        language = params.get("language", "")
        category = params.get("category", "").strip()
        product = params.get("product", "").strip()[:50]
        return cls(
            q=" ".join(params.get("q", "").replace("\x00", "").split())[:QUERY_MAX],
            page=min(int(page), PAGE_MAX) if page.isascii() and page.isdigit() and int(page) >= 1 else 1,
            category=category if plausible_slug(category) else None,
            language=language if language in LANGUAGES else None,
            product=product or None,
        )

    def query(self, clearance: Clearance, viewer_language: str, page_size: int = PAGE_SIZE) -> SearchQuery:
        return SearchQuery(
            text=self.q,
            clearance=clearance,
            language="el" if viewer_language == "el" else "en",
            page=self.page,
            page_size=page_size,
            category=self.category,
            product=self.product,
            languages=(self.language,) if self.language else (),
            facets=page_size != LIVE_SIZE,
        )

    def url(self, **changes: Any) -> str:
        """This search with some parameters changed (a facet chosen or cleared: back to page 1)."""
        changed = replace(self, **({"page": 1} | changes))
        pairs = [
            ("q", changed.q),
            ("category", changed.category),
            ("language", changed.language),
            ("product", changed.product),
            ("page", changed.page if changed.page > 1 else None),
        ]
        return "/kb/search?" + urlencode([(name, value) for name, value in pairs if value])


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", _MARKUP.sub(" ", _LINK_TARGET.sub("", text)))


def safe_snippet(snippet: str) -> Markup:
    """A search snippet with only its highlight marks as markup: whatever else looks like a tag is shown as text,
    escaped once whether or not the backend escaped it already; Markdown's punctuation is left out."""
    parts = _MARK.split(snippet)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(Markup("<mark>") if not part.startswith("</") else Markup("</mark>"))
        else:
            out.append(escape(_plain(html.unescape(part))))
    return Markup("").join(out)
