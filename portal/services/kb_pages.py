"""What the public knowledge-base pages read: the category tree, popular and related articles, an article with
its breadcrumbs and translation, view counts, "was this helpful?" answers and the sitemap's entries.

Every function takes the viewer's `Clearance` and returns only published articles of the audiences it may see;
anything else is `None` or absent, never an error that would tell an article exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from portal.db import engine as db_engine
from portal.db.kb_tables import Article, ArticleAudience, ArticleFeedback, ArticleStatus, KbCategory
from portal.db.tables import Product
from portal.search.documents import LANGUAGES, Clearance, visible_audiences

COMMENT_MAX = 2000
POPULAR_LIMIT = 8
RELATED_LIMIT = 5
RELATED_CANDIDATES = 200  # the most viewed articles of the language, scored by shared category and tags


@dataclass(frozen=True)
class ArticleLink:
    """An article as a list shows it."""

    id: int
    slug: str
    language: str
    title: str
    summary: str
    views: int = 0

    @property
    def url(self) -> str:
        return article_url(self.slug, self.language)


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str


@dataclass
class CategoryNode:
    id: int
    slug: str
    name: str
    description: str
    articles: int = 0  # visible articles here and below, one per slug
    children: list[CategoryNode] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"/kb/category/{self.slug}"


@dataclass(frozen=True)
class CategoryPage:
    category: CategoryNode
    breadcrumbs: list[Crumb]
    articles: list[ArticleLink]  # the viewer's language where there is one; others marked by their language


@dataclass(frozen=True)
class ArticlePage:
    article: dict[str, Any]
    breadcrumbs: list[Crumb]
    translation: ArticleLink | None
    related: list[ArticleLink]
    updated: datetime


@dataclass(frozen=True)
class SitemapEntry:
    path: str
    lastmod: datetime


def article_url(slug: str, language: str) -> str:
    return f"/kb/article/{slug}/{language}"


def _visible(clearance: Clearance) -> Any:
    return (Article.status == ArticleStatus.published) & Article.audience.is_in(list(visible_audiences(clearance)))


def _link(row: dict[str, Any]) -> ArticleLink:
    return ArticleLink(
        id=row["id"],
        slug=row["slug"],
        language=row["language"],
        title=row["title"],
        summary=row.get("summary") or "",
        views=row.get("views") or 0,
    )


def _one_per_slug(rows: Iterable[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Keep each article once, in `language` when it has that translation; the order of first appearance."""
    chosen: dict[str, dict[str, Any]] = {}
    for row in rows:
        held = chosen.get(row["slug"])
        if held is None or (held["language"] != language and row["language"] == language):
            chosen[row["slug"]] = row
    return list(chosen.values())


def _name(row: dict[str, Any], language: str) -> str:
    return str(row["name_el"] if language == "el" and row.get("name_el") else row["name_en"])


def _description(row: dict[str, Any], language: str) -> str:
    return str(row["description_el"] if language == "el" and row.get("description_el") else row["description_en"])


def _json_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(item) for item in value or []]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- Categories -----------------------------------------------------------------------------------------------


async def category_tree(clearance: Clearance, language: str) -> list[CategoryNode]:
    """The categories holding articles the viewer may read (here or below), names in `language`."""
    categories = await KbCategory.select().order_by(KbCategory.position).order_by(KbCategory.id)
    counted = await Article.select(Article.slug, Article.category).where(_visible(clearance))
    slugs: dict[int, set[str]] = {}
    for row in counted:
        if row["category"] is not None:
            slugs.setdefault(row["category"], set()).add(row["slug"])
    nodes = {
        row["id"]: CategoryNode(row["id"], row["slug"], _name(row, language), _description(row, language))
        for row in categories
    }
    roots: list[CategoryNode] = []
    for row in categories:
        parent = nodes.get(row["parent"]) if row["parent"] is not None else None
        (parent.children if parent is not None else roots).append(nodes[row["id"]])

    def count(node: CategoryNode) -> set[str]:
        found = set(slugs.get(node.id, set()))
        for child in node.children:
            found |= count(child)
        node.articles = len(found)
        node.children = [child for child in node.children if child.articles]
        return found

    for root in roots:
        count(root)
    return [root for root in roots if root.articles]


def _find(nodes: list[CategoryNode], slug: str) -> CategoryNode | None:
    for node in nodes:
        if node.slug == slug:
            return node
        if (found := _find(node.children, slug)) is not None:
            return found
    return None


async def breadcrumbs(category_id: int | None, language: str, home: str) -> list[Crumb]:
    """From the knowledge base's home (labelled `home`) down to the category, each a link."""
    trail: list[Crumb] = []
    seen: set[int] = set()
    while category_id is not None and category_id not in seen:
        seen.add(category_id)
        row = await KbCategory.select().where(KbCategory.id == category_id).first()
        if row is None:
            break
        trail.insert(0, Crumb(_name(row, language), f"/kb/category/{row['slug']}"))
        category_id = row["parent"]
    return [Crumb(home, "/kb"), *trail]


async def category_page(slug: str, clearance: Clearance, language: str, home: str) -> CategoryPage | None:
    """A category with its visible articles and subcategories; `None` when it has none the viewer may read."""
    node = _find(await category_tree(clearance, language), slug)
    if node is None:
        return None
    rows = (
        await Article.select(Article.id, Article.slug, Article.language, Article.title, Article.summary)
        .where(_visible(clearance) & (Article.category == node.id))
        .order_by(Article.title)
    )
    articles = _one_per_slug(rows, language)
    articles.sort(key=lambda row: (row["language"] != language, row["title"].casefold()))
    crumbs = await breadcrumbs(node.id, language, home)
    return CategoryPage(category=node, breadcrumbs=crumbs[:-1], articles=[_link(row) for row in articles])


# --- Articles -------------------------------------------------------------------------------------------------


async def popular(clearance: Clearance, language: str, limit: int = POPULAR_LIMIT) -> list[ArticleLink]:
    """The most viewed articles the viewer may read, each once, in their language where it exists."""
    rows = (
        await Article.select(Article.id, Article.slug, Article.language, Article.title, Article.summary, Article.views)
        .where(_visible(clearance))
        .order_by(Article.views, ascending=False)
        .order_by(Article.id)
        .limit(limit * 4)
    )
    return [_link(row) for row in _one_per_slug(rows, language)[:limit]]


async def find_article(slug: str, language: str | None, clearance: Clearance, preferred: str) -> dict[str, Any] | None:
    """The published article `slug` in `language` (or, without one, in `preferred`, else the other language)
    if the viewer may read it."""
    if language is not None and language not in LANGUAGES:
        return None
    query = Article.select().where(_visible(clearance) & (Article.slug == slug))
    if language is not None:
        query = query.where(Article.language == language)
    rows = await query.output(load_json=True)
    rows.sort(key=lambda row: row["language"] != preferred)
    return rows[0] if rows else None


async def article_page(article: dict[str, Any], clearance: Clearance, language: str, home: str) -> ArticlePage:
    """Everything around a readable article (from `find_article`): trail, translation, related articles."""
    translation = (
        await Article.select(Article.id, Article.slug, Article.language, Article.title, Article.summary)
        .where(_visible(clearance) & (Article.slug == article["slug"]) & (Article.language != article["language"]))
        .first()
    )
    return ArticlePage(
        article=article,
        breadcrumbs=await breadcrumbs(article["category"], language, home),
        translation=_link(translation) if translation else None,
        related=await related(article, clearance),
        updated=_aware(article["updated_at"]),
    )


async def related(article: dict[str, Any], clearance: Clearance, limit: int = RELATED_LIMIT) -> list[ArticleLink]:
    """Readable articles in the same language sharing the category or tags, the most shared first."""
    tags = set(_json_list(article.get("tags")))
    rows = (
        await Article.select(
            Article.id, Article.slug, Article.language, Article.title, Article.summary, Article.category, Article.tags
        )
        .where(_visible(clearance) & (Article.language == article["language"]) & (Article.slug != article["slug"]))
        .order_by(Article.views, ascending=False)
        .order_by(Article.id)
        .limit(RELATED_CANDIDATES)
        .output(load_json=True)
    )
    scored = []
    for position, row in enumerate(rows):
        score = 2 * len(tags & set(_json_list(row["tags"])))
        if article["category"] is not None and row["category"] == article["category"]:
            score += 3
        if score:
            scored.append((-score, position, row))
    scored.sort(key=lambda item: item[:2])
    return [_link(row) for _, _, row in scored[:limit]]


async def count_view(article_id: int) -> None:
    """One more view, in a single UPDATE so that concurrent readers never lose one."""
    await Article.update({Article.views: Article.views + 1}).where(Article.id == article_id)


async def record_feedback(article_id: int, *, helpful: bool, comment: str, user_id: int | None) -> None:
    """Keep an answer to "was this helpful?" and add it to the article's counts, together."""
    engine = db_engine.current()
    assert engine is not None, "the database is bound by create_app"
    counter = Article.helpful_yes if helpful else Article.helpful_no
    async with db_engine.write_transaction(engine):
        await ArticleFeedback.insert(
            ArticleFeedback(
                article=article_id, helpful=helpful, comment=comment.replace("\x00", "")[:COMMENT_MAX], user=user_id
            )
        )
        await Article.update({counter: counter + 1}).where(Article.id == article_id)


# --- Sitemap --------------------------------------------------------------------------------------------------


async def sitemap_entries() -> list[SitemapEntry]:
    """Every published public article, in each of its languages."""
    rows = (
        await Article.select(Article.slug, Article.language, Article.updated_at)
        .where((Article.status == ArticleStatus.published) & (Article.audience == ArticleAudience.public))
        .order_by(Article.slug)
        .order_by(Article.language)
    )
    return [SitemapEntry(article_url(row["slug"], row["language"]), _aware(row["updated_at"])) for row in rows]


async def sitemap_categories() -> list[str]:
    """The paths of the categories an anonymous visitor finds articles in."""
    paths: list[str] = []

    def walk(nodes: list[CategoryNode]) -> None:
        for node in nodes:
            paths.append(node.url)
            walk(node.children)

    walk(await category_tree("anonymous", "en"))
    return paths


# --- Names for search facets ----------------------------------------------------------------------------------


async def category_names(language: str) -> dict[str, str]:
    """Category slug -> name in `language`, for labelling facets and results."""
    return {row["slug"]: _name(row, language) for row in await KbCategory.select()}


async def product_names(language: str) -> dict[str, str]:
    """Product code -> name in `language`."""
    return {
        row["code"]: _name(row, language)
        for row in await Product.select(Product.code, Product.name_en, Product.name_el)
    }
