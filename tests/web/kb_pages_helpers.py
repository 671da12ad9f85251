"""Knowledge-base rows for the public pages' tests, written straight to the tables, and the index rebuilt."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar

from portal.db.kb_tables import Article, KbCategory

_sequence = itertools.count(1)


async def make_category(slug: str | None = None, *, parent: int | None = None, **overrides: Any) -> int:
    number = next(_sequence)
    slug = slug or f"category-{number}"
    values: dict[str, Any] = {
        "slug": slug,
        "parent": parent,
        "name_en": f"Category {slug}",
        "name_el": f"Κατηγορία {slug}",
        "position": number,
    } | overrides
    rows = await KbCategory.insert(KbCategory(**values)).returning(KbCategory.id)
    return int(rows[0]["id"])


async def make_article(
    slug: str | None = None, language: str = "en", *, category: int | None = None, **overrides: Any
) -> int:
    """A published public article unless told otherwise; `body_html` as kbcore's renderer would leave it."""
    number = next(_sequence)
    slug = slug or f"article-{number}"
    title = overrides.pop("title", f"Article {number} about routers")
    values: dict[str, Any] = {
        "key": f"{slug}:{language}",
        "slug": slug,
        "language": language,
        "title": title,
        "summary": f"Summary of {title}",
        "body": f"How to restart the router, step {number}.",
        "body_html": f"<p>How to restart the router, step {number}.</p>",
        "category": category,
        "tags": [],
        "products": [],
        "audience": "public",
        "status": "published",
        "updated_at": datetime(2026, 11, 5, 9, 30, tzinfo=UTC),
        "published_at": datetime(2026, 11, 5, 9, 30, tzinfo=UTC),
    } | overrides
    rows = await Article.insert(Article(**values)).returning(Article.id)
    return int(rows[0]["id"])


async def reindex(app: Litestar) -> None:
    """The search index as the portal would have it after these articles were published."""
    await app.state.search.rebuild()


async def counts(article_id: int) -> dict[str, int]:
    row = (
        await Article.select(Article.views, Article.helpful_yes, Article.helpful_no)
        .where(Article.id == article_id)
        .first()
    )
    assert row is not None
    return dict(row)
