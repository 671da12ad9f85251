"""Knowledge-base categories: a tree (through `parent`), named in both languages, ordered by `position`.

Importable from `portal.services.knowledge` too, where the article services live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from portal.db.kb_tables import KbCategory
from portal.i18n import gettext as _
from portal.services.accounts import typed_text
from portal.services.refusals import is_unique_violation
from portal.services.registration import transaction

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CATEGORY_SLUG_MAX = 60
NAME_MAX = 200
DESCRIPTION_MAX = 2_000


class KbInputError(Exception):
    """What is wrong with an article or category, field by field, in the user's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class CategoryInputError(KbInputError):
    pass


class CategoryNotFound(LookupError):
    pass


def slug_error(slug: str, maximum: int) -> str | None:
    """Why `slug` cannot be an address (lower-case Latin words joined by single hyphens), or None."""
    if not slug:
        return _("This field is required.")
    if len(slug) > maximum:
        return _("Use at most %(count)d characters.") % {"count": maximum}
    if not SLUG.match(slug):
        return _("Use lowercase Latin letters, digits and single hyphens between words, such as reset-password.")
    return None


@dataclass(frozen=True)
class CategoryInput:
    slug: str
    name_en: str
    name_el: str
    description_en: str = ""
    description_el: str = ""
    parent: str | None = None  # the parent category's slug; None for a top-level one
    position: int = 0

    def validate(self) -> CategoryInput:
        """The input trimmed, or `CategoryInputError` naming each bad field."""
        clean = replace(
            self,
            slug=typed_text(self.slug).lower(),
            name_en=typed_text(self.name_en),
            name_el=typed_text(self.name_el),
            description_en=typed_text(self.description_en),
            description_el=typed_text(self.description_el),
            parent=typed_text(self.parent or "").lower() or None,
        )
        errors: dict[str, str] = {}
        if (problem := slug_error(clean.slug, CATEGORY_SLUG_MAX)) is not None:
            errors["slug"] = problem
        for field, text, maximum in (
            ("name_en", clean.name_en, NAME_MAX),
            ("name_el", clean.name_el, NAME_MAX),
            ("description_en", clean.description_en, DESCRIPTION_MAX),
            ("description_el", clean.description_el, DESCRIPTION_MAX),
        ):
            if field.startswith("name") and not text:
                errors[field] = _("This field is required.")
            elif len(text) > maximum:
                errors[field] = _("Use at most %(count)d characters.") % {"count": maximum}
        if clean.parent is not None and clean.parent == clean.slug:
            errors["parent"] = _("A category cannot be inside itself or one of its subcategories.")
        if errors:
            raise CategoryInputError(errors)
        return clean


async def category_id_of(slug: str) -> int | None:
    row = await KbCategory.select(KbCategory.id).where(KbCategory.slug == slug).first()
    return None if row is None else int(row["id"])


async def save_category(data: CategoryInput, *, category_id: int | None = None) -> int:
    """Create a category, or change the one of `category_id`; returns its id. `CategoryInputError` if invalid,
    including a slug in use or a parent that would make a loop."""
    clean = data.validate()
    async with transaction():
        if category_id is not None and not await KbCategory.exists().where(KbCategory.id == category_id):
            raise CategoryNotFound(category_id)
        parent_id = None
        if clean.parent is not None:
            parent_id = await category_id_of(clean.parent)
            if parent_id is None:
                raise CategoryInputError({"parent": _("Choose one of the categories offered.")})
            if category_id is not None and category_id in await _ancestors(parent_id):
                raise CategoryInputError(
                    {"parent": _("A category cannot be inside itself or one of its subcategories.")}
                )
        taken = KbCategory.exists().where(KbCategory.slug == clean.slug)
        if category_id is not None:
            taken = taken.where(KbCategory.id != category_id)
        if await taken:
            raise CategoryInputError({"slug": _("This address is already in use; choose another.")})
        values: dict[Any, Any] = {
            KbCategory.slug: clean.slug,
            KbCategory.parent: parent_id,
            KbCategory.name_en: clean.name_en,
            KbCategory.name_el: clean.name_el,
            KbCategory.description_en: clean.description_en,
            KbCategory.description_el: clean.description_el,
            KbCategory.position: clean.position,
        }
        try:
            if category_id is None:
                row = KbCategory(dict(values))
                rows = await KbCategory.insert(row).returning(KbCategory.id)
                return int(rows[0]["id"])
            await KbCategory.update(values).where(KbCategory.id == category_id)
            return category_id
        except Exception as exc:  # a concurrent save took the slug between the check and the write
            if is_unique_violation(exc):
                raise CategoryInputError({"slug": _("This address is already in use; choose another.")}) from exc
            raise


async def _ancestors(category_id: int) -> set[int]:
    """The category and every category above it."""
    parents = {row["id"]: row["parent"] for row in await KbCategory.select(KbCategory.id, KbCategory.parent)}
    found: set[int] = set()
    current: int | None = category_id
    while current is not None and current not in found:
        found.add(current)
        current = parents.get(current)
    return found


async def category_tree(language: str) -> list[dict[str, Any]]:
    """Every category as nested dicts (id, slug, name, description, position, parent, children), siblings in
    `position` order, names in `language` (English when it is not Greek)."""
    suffix = "el" if language == "el" else "en"
    rows = await KbCategory.select().order_by(KbCategory.position).order_by(KbCategory.id)
    nodes = {
        row["id"]: {
            "id": row["id"],
            "slug": row["slug"],
            "name": row[f"name_{suffix}"] or row["name_en"],
            "description": row[f"description_{suffix}"] or row["description_en"],
            "position": row["position"],
            "parent": row["parent"],
            "children": [],
        }
        for row in rows
    }
    roots: list[dict[str, Any]] = []
    for node in nodes.values():
        parent = nodes.get(node["parent"])
        (parent["children"] if parent is not None else roots).append(node)
    return roots
