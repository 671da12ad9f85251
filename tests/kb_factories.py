"""Knowledge-base test data made through the services, and a look into the real search index."""

from __future__ import annotations

import itertools
from typing import Any

from portal.search.documents import Clearance, SearchQuery
from portal.services import knowledge
from portal.services.kb_index import KnowledgeSearch

_sequence = itertools.count(1)


async def make_category(slug: str = "general", **overrides: Any) -> int:
    values: dict[str, Any] = {"slug": slug, "name_en": slug.title(), "name_el": "Γενικά"} | overrides
    return await knowledge.save_category(knowledge.CategoryInput(**values))


def article_input(**overrides: Any) -> knowledge.ArticleInput:
    number = next(_sequence)
    values: dict[str, Any] = {
        "slug": f"article-{number}",
        "language": "en",
        "title": f"Article {number}",
        "summary": "A short summary.",
        "body": "## Steps\n\nSome text.\n",
    } | overrides
    return knowledge.ArticleInput(**values)


async def make_article(
    *, published: bool = True, search: KnowledgeSearch | None = None, actor_id: int | None = None, **overrides: Any
) -> int:
    """An article saved (and by default published) through the services; returns its id."""
    article_id = await knowledge.save(article_input(**overrides), actor_id=actor_id, search=search)
    if published:
        await knowledge.publish(article_id, actor_id=actor_id, search=search)
    return article_id


async def found(search: KnowledgeSearch, text: str, clearance: Clearance = "staff") -> set[str]:
    """The keys of the articles a search for `text` finds."""
    results = await search.search(SearchQuery(text, clearance, "en", page_size=100))
    return {hit.id for hit in results.hits}
