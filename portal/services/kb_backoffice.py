"""What the back office reads about articles and categories: the filtered article list, one article for its
edit form, the category choices. Writing goes through `portal.services.knowledge`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from piccolo.query.functions.aggregate import Count

from portal.db import engine as db_engine
from portal.db.kb_tables import Article, ArticleAudience, ArticleStatus, KbCategory

PAGE_SIZE = 50
TEXT_MAX = 200


@dataclass(frozen=True)
class ArticleFilters:
    status: str = ""
    language: str = ""
    category: str = ""  # a category slug
    audience: str = ""
    text: str = ""
    page: int = 1

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> ArticleFilters:
        """Filters from a query string: anything unknown is ignored rather than refused (they are links)."""

        def pick(name: str, allowed: tuple[str, ...]) -> str:
            value = str(values.get(name) or "")
            return value if value in allowed else ""

        page = str(values.get("page") or "1")
        return cls(
            status=pick("status", tuple(ArticleStatus)),
            language=pick("language", ("el", "en")),
            category=str(values.get("category") or "").replace("\x00", "")[:60],
            audience=pick("audience", tuple(ArticleAudience)),
            text=" ".join(str(values.get("text") or "").replace("\x00", "").split())[:TEXT_MAX],
            page=min(int(page), 10_000) if page.isascii() and page.isdigit() and int(page) > 0 else 1,
        )

    def query(self, **changes: Any) -> dict[str, Any]:
        """The filters as query parameters (for paging links), without the empty ones."""
        values: dict[str, Any] = {"status": self.status, "language": self.language, "category": self.category}
        values |= {"audience": self.audience, "text": self.text, "page": self.page} | changes
        return {key: value for key, value in values.items() if value and not (key == "page" and value == 1)}


@dataclass(frozen=True)
class ArticlePage:
    items: list[dict[str, Any]]
    number: int
    total: int
    filters: ArticleFilters = field(default_factory=ArticleFilters)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _contains(column: Any, text: str) -> Any:
    """Case-insensitive "contains": ILIKE on PostgreSQL (every alphabet); SQLite's LIKE ignores ASCII case."""
    pattern = "%" + text.replace("%", "").replace("_", "") + "%"  # Piccolo has no ESCAPE clause
    engine = db_engine.current()
    return column.like(pattern) if engine is not None and db_engine.is_sqlite(engine) else column.ilike(pattern)


def _where(filters: ArticleFilters) -> Any:
    conditions: list[Any] = []
    if filters.status:
        conditions.append(Article.status == filters.status)
    if filters.language:
        conditions.append(Article.language == filters.language)
    if filters.audience:
        conditions.append(Article.audience == filters.audience)
    if filters.category:
        conditions.append(Article.category.slug == filters.category)
    if filters.text:
        text = filters.text
        conditions.append(
            _contains(Article.title, text) | _contains(Article.slug, text) | _contains(Article.summary, text)
        )
    where = None
    for condition in conditions:
        where = condition if where is None else where & condition
    return where


_LIST_COLUMNS = (
    Article.id,
    Article.slug,
    Article.language,
    Article.title,
    Article.status,
    Article.audience,
    Article.version,
    Article.views,
    Article.helpful_yes,
    Article.helpful_no,
    Article.updated_at,
    Article.author.name.as_alias("author_name"),
    Article.category.slug.as_alias("category_slug"),
)


async def list_articles(filters: ArticleFilters) -> ArticlePage:
    """The articles matching `filters`, most recently updated first, a page of PAGE_SIZE at a time."""
    where = _where(filters)
    query = Article.select(*_LIST_COLUMNS).order_by(Article.updated_at, ascending=False).order_by(Article.id)
    counting = Article.select(Count(alias="n"))
    if where is not None:
        query = query.where(where)
        counting = counting.where(where)
    total = (await counting.first() or {"n": 0})["n"]
    rows = await query.limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)
    return ArticlePage(items=rows, number=filters.page, total=total, filters=filters)


async def article(article_id: int) -> dict[str, Any] | None:
    """One article with its category's slug and its author's name, for the edit page."""
    return await (
        Article.select(
            *Article.all_columns(),
            Article.category.slug.as_alias("category_slug"),
            Article.author.name.as_alias("author_name"),
        )
        .where(Article.id == article_id)
        .first()
    )


# --- Categories ---------------------------------------------------------------------------------------------------


async def categories() -> list[dict[str, Any]]:
    """Every category in tree order (parents before their children, siblings by position), with its `depth`."""
    rows = await KbCategory.select().order_by(KbCategory.position).order_by(KbCategory.slug)
    children: dict[int | None, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent"], []).append(row)
    ordered: list[dict[str, Any]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for row in children.get(parent, []):
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            ordered.append(row | {"depth": depth})
            walk(row["id"], depth + 1)

    walk(None, 0)
    ordered.extend(row | {"depth": 0} for row in rows if row["id"] not in seen)  # a loop made by hand in SQL
    return ordered


async def category(category_id: int) -> dict[str, Any] | None:
    return await KbCategory.select().where(KbCategory.id == category_id).first()


async def article_counts_by_category() -> dict[int, int]:
    rows = await Article.select(Article.category, Count(alias="n")).group_by(Article.category)
    return {row["category"]: row["n"] for row in rows if row["category"] is not None}


__all__ = [
    "PAGE_SIZE",
    "ArticleFilters",
    "ArticlePage",
    "article",
    "article_counts_by_category",
    "categories",
    "category",
    "list_articles",
]
