"""The seed knowledge base on disk, read into plain values: no database, no search index.

Layout (see tests/test_knowledge_base_content.py, which keeps the repository's copy in shape):

    knowledge_base/categories.yaml                 the categories, in display order
    knowledge_base/<category>/<slug>.<lang>.md     one article in one language: YAML front matter
                                                   between `---` lines, then the Markdown body
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs installed

from portal.search.documents import AUDIENCES, LANGUAGES, Audience, Language, SearchDocument

CATEGORIES_FILE = "categories.yaml"
FILE_NAME = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<language>[a-z]{2})\.md$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED_KEYS = ("slug", "title", "language", "category", "audience", "summary", "tags", "products", "updated")
FENCE = "---\n"
# The columns' sizes (portal/db/kb_tables.py): PostgreSQL refuses longer values, so they are refused here, per file.
SLUG_MAX, TITLE_MAX, SUMMARY_MAX, CATEGORY_SLUG_MAX, NAME_MAX = 120, 200, 500, 60, 200


@dataclass(frozen=True, slots=True)
class SeedArticle:
    slug: str
    language: Language
    title: str
    summary: str
    body: str  # Markdown, without the front matter
    category: str  # the folder's slug
    audience: Audience
    tags: list[str]
    products: list[str]
    updated: datetime.date
    path: Path

    @property
    def key(self) -> str:
        """The upsert key in the database and the id in the search index: "<slug>:<language>"."""
        return f"{self.slug}:{self.language}"


@dataclass(frozen=True, slots=True)
class SeedCategory:
    slug: str
    name_en: str
    name_el: str
    description_en: str
    description_el: str
    position: int
    parent: str | None


class KbFileError(ValueError):
    """A seed file that cannot be read; the message names the file and what is wrong with it."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


# --- Articles ---------------------------------------------------------------------------------------------


def article_paths(root: Path) -> list[Path]:
    """Every `<category>/<file>.md` under `root`, sorted, without reading them."""
    if not root.is_dir():
        raise KbFileError(root, "no such folder")
    return sorted(path for path in root.glob("*/*.md") if path.is_file())


def read_articles(root: Path) -> list[SeedArticle]:
    """Every article under `root`, sorted by path. Raises KbFileError on the first bad file or on two files
    with the same slug and language; an importer that wants to skip bad files calls `read_article` per path."""
    articles = [read_article(path) for path in article_paths(root)]
    seen: dict[str, Path] = {}
    for article in articles:
        if article.key in seen:
            raise KbFileError(article.path, f"same slug and language as {seen[article.key]}")
        seen[article.key] = article.path
    return articles


def read_article(path: Path) -> SeedArticle:
    """One article file, checked against its name and folder."""
    match = FILE_NAME.match(path.name)
    if match is None:
        raise KbFileError(path, "the file name must be <slug>.<language>.md, in lower case")
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")  # -sig: an editor's BOM is no error
    except (OSError, UnicodeDecodeError) as exc:
        raise KbFileError(path, f"cannot be read ({exc})") from exc
    meta, body = _split_front_matter(path, text)
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        raise KbFileError(path, f"front matter lacks {', '.join(missing)}")
    if len(match["slug"]) > SLUG_MAX:
        raise KbFileError(path, f"the slug is longer than {SLUG_MAX} characters")
    if meta["slug"] != match["slug"]:
        raise KbFileError(path, f"slug {meta['slug']!r} differs from the file name")
    if meta["language"] != match["language"]:
        raise KbFileError(path, f"language {meta['language']!r} differs from the file name")
    if meta["language"] not in LANGUAGES:
        raise KbFileError(path, f"language {meta['language']!r} is not one of {', '.join(LANGUAGES)}")
    if meta["category"] != path.parent.name:
        raise KbFileError(path, f"category {meta['category']!r} differs from the folder {path.parent.name!r}")
    if meta["audience"] not in AUDIENCES:
        raise KbFileError(path, f"audience {meta['audience']!r} is not one of {', '.join(AUDIENCES)}")
    return SeedArticle(
        slug=match["slug"],
        language=meta["language"],
        title=_line(path, meta, "title", TITLE_MAX),
        summary=_line(path, meta, "summary", SUMMARY_MAX),
        body=body.strip("\n") + "\n",
        category=path.parent.name,
        audience=meta["audience"],
        tags=_words(path, meta, "tags"),
        products=_words(path, meta, "products"),
        updated=_date(path, meta["updated"]),
        path=path,
    )


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    if not text.endswith("\n"):  # a file that ends right after its closing --- (or its last word)
        text += "\n"
    if not text.startswith(FENCE):
        raise KbFileError(path, "the file must open with a --- line before the front matter")
    end = text.find("\n" + FENCE, len(FENCE) - 1)
    if end < 0:
        raise KbFileError(path, "the front matter must close with a --- line")
    try:
        meta = yaml.safe_load(text[len(FENCE) : end + 1])
    except yaml.YAMLError as exc:
        raise KbFileError(path, f"the front matter is not valid YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise KbFileError(path, "the front matter must be a mapping of keys to values")
    return meta, text[end + 1 + len(FENCE) :]


def _line(path: Path, meta: dict[str, Any], key: str, maximum: int) -> str:
    value = meta[key]
    if not isinstance(value, str) or not value.strip():
        raise KbFileError(path, f"{key} must be a non-empty text")
    if "\n" in value.strip():
        raise KbFileError(path, f"{key} must be one line")
    if len(value.strip()) > maximum:
        raise KbFileError(path, f"{key} is longer than {maximum} characters")
    return value.strip()


def _words(path: Path, meta: dict[str, Any], key: str) -> list[str]:
    value = meta[key] if meta[key] is not None else []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise KbFileError(path, f"{key} must be a list of non-empty texts, e.g. [one, two]")
    if any("," in item or len(item.strip()) > 100 for item in value) or len(value) > 20:
        raise KbFileError(path, f"{key}: at most 20, each at most 100 characters and without commas")
    return list(dict.fromkeys(item.strip() for item in value))  # duplicates dropped, order kept


def _date(path: Path, value: object) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise KbFileError(path, f"updated must be a date like 2026-01-31, not {value!r}")


# --- Categories -------------------------------------------------------------------------------------------


def read_categories(root: Path) -> list[SeedCategory]:
    """The categories of `root/categories.yaml`, parents before their children, positions in file order."""
    path = root / CATEGORIES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise KbFileError(path, f"cannot be read ({exc})") from exc
    except yaml.YAMLError as exc:
        raise KbFileError(path, f"not valid YAML ({exc})") from exc
    if not isinstance(data, list) or not data:
        raise KbFileError(path, "must be a list of categories")
    categories = [_category(path, number, entry) for number, entry in enumerate(data, start=1)]
    slugs = [category.slug for category in categories]
    for category in categories:
        if slugs.count(category.slug) > 1:
            raise KbFileError(path, f"category {category.slug!r} appears more than once")
        if category.parent is not None and category.parent not in slugs:
            raise KbFileError(path, f"category {category.slug!r}: no parent category {category.parent!r}")
    return _parents_first(path, categories)


def _category(path: Path, number: int, entry: object) -> SeedCategory:
    where = f"entry {number}"
    if not isinstance(entry, dict):
        raise KbFileError(path, f"{where} must be a mapping with slug, name and description")
    slug = entry.get("slug")
    if not isinstance(slug, str) or not SLUG.match(slug) or len(slug) > CATEGORY_SLUG_MAX:
        raise KbFileError(path, f"{where}: slug must be lower-case words joined by hyphens, at most 60 characters")
    where = f"category {slug!r}"
    texts: dict[str, str] = {}
    for key in ("name", "description"):
        value = entry.get(key)
        for language in LANGUAGES:
            text = value.get(language) if isinstance(value, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise KbFileError(path, f"{where}: {key}.{language} must be a non-empty text")
            if key == "name" and len(text.strip()) > NAME_MAX:
                raise KbFileError(path, f"{where}: {key}.{language} is longer than {NAME_MAX} characters")
            texts[f"{key}_{language}"] = text.strip()
    parent = entry.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise KbFileError(path, f"{where}: parent must be the slug of another category")
    return SeedCategory(
        slug=slug,
        name_en=texts["name_en"],
        name_el=texts["name_el"],
        description_en=texts["description_en"],
        description_el=texts["description_el"],
        position=number,
        parent=parent,
    )


def _parents_first(path: Path, categories: list[SeedCategory]) -> list[SeedCategory]:
    ordered: list[SeedCategory] = []
    placed: set[str] = set()
    pending = list(categories)
    while pending:
        ready = [c for c in pending if c.parent is None or c.parent in placed]
        if not ready:
            raise KbFileError(path, f"categories {', '.join(c.slug for c in pending)} are their own ancestors")
        ordered.extend(ready)
        placed.update(c.slug for c in ready)
        pending = [c for c in pending if c.slug not in placed]
    return ordered


# --- Search -----------------------------------------------------------------------------------------------


def seed_document(article: SeedArticle) -> SearchDocument:
    """The article as the search index takes it, without a database (relevance tests, benchmarks)."""
    return SearchDocument(
        id=article.key,
        slug=article.slug,
        language=article.language,
        title=article.title,
        summary=article.summary,
        body=article.body,
        tags=list(article.tags),
        products=list(article.products),
        category=article.category,
        audience=article.audience,
        updated=datetime.datetime.combine(article.updated, datetime.time(), tzinfo=datetime.UTC),
    )
