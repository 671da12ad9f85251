"""The back office's article and category forms: what was typed, as shown again, and as service input."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from portal.i18n import gettext as _
from portal.services.knowledge import ArticleInput, CategoryInput, category_tree

ARTICLE_FIELDS = ("slug", "language", "title", "summary", "body", "category", "tags", "products", "audience", "note")
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
CATEGORY_FIELDS = ("slug", "parent", "name_en", "name_el", "description_en", "description_el", "position")
NEW_ARTICLE = {"language": "en", "audience": "public"}


def typed(data: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """The form's text fields as typed (a repeated field counts once), to save or to show again."""
    values = {}
    for name in names:
        value = data.get(name, "")
        values[name] = str(value[0] if isinstance(value, list) and value else value or "")
    return values


def words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


def article_input(values: Mapping[str, str]) -> ArticleInput:
    return ArticleInput(
        slug=values.get("slug", ""),
        language=values.get("language", ""),
        title=values.get("title", ""),
        summary=values.get("summary", ""),
        body=values.get("body", ""),
        category=values.get("category") or None,
        tags=words(values.get("tags", "")),
        products=words(values.get("products", "")),
        audience=values.get("audience", ""),
    )


def article_values(article: Mapping[str, Any]) -> dict[str, str]:
    """A saved article as its form shows it."""
    return {
        "slug": article["slug"],
        "language": article["language"],
        "title": article["title"],
        "summary": article["summary"],
        "body": article["body"],
        "category": article.get("category_slug") or "",
        "tags": ", ".join(_list(article["tags"])),
        "products": ", ".join(_list(article["products"])),
        "audience": article["audience"],
        "note": "",
    }


def _list(value: Any) -> list[str]:
    if isinstance(value, str):  # JSON columns come back as text unless loaded
        value = json.loads(value or "[]")
    return [str(item) for item in value or []]


def new_article_values(query: Mapping[str, Any]) -> dict[str, str]:
    """A blank form, or one prefilled from the query string ("write the translation")."""
    values = NEW_ARTICLE | {key: value for key, value in typed(query, ARTICLE_FIELDS).items() if value}
    return values


def translation_query(article: Mapping[str, Any]) -> dict[str, str]:
    """What "write the translation" prefills: the same slug, category, tags, products and audience."""
    values = article_values(article)
    other = "el" if article["language"] == "en" else "en"
    shared = ("slug", "category", "tags", "products", "audience")
    return {key: values[key] for key in shared if values[key]} | {"language": other}


async def category_choices(language: str) -> list[tuple[str, str]]:
    """The category select: none, then every category in tree order, indented by depth."""
    choices = [("", _("No category"))]

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            choices.append((node["slug"], "\u2003" * depth + node["name"]))
            walk(node["children"], depth + 1)

    walk(await category_tree(language), 0)
    return choices


async def category_filter_choices(language: str) -> list[tuple[str, str]]:
    return [("", _("Any category")), *(await category_choices(language))[1:]]


def category_input(values: Mapping[str, str]) -> CategoryInput | None:
    """The input, or None when the position is not a whole number (the only check made here)."""
    position = values.get("position", "").strip() or "0"
    if not WHOLE_NUMBER.fullmatch(position) or len(position) > 6:  # not isdigit: "²" is a digit to it, not to int
        return None
    return CategoryInput(
        slug=values.get("slug", ""),
        name_en=values.get("name_en", ""),
        name_el=values.get("name_el", ""),
        description_en=values.get("description_en", ""),
        description_el=values.get("description_el", ""),
        parent=values.get("parent") or None,
        position=int(position),
    )


def category_values(row: Mapping[str, Any], parent_slug: str) -> dict[str, str]:
    return {name: str(row[name]) for name in CATEGORY_FIELDS if name != "parent"} | {"parent": parent_slug}
