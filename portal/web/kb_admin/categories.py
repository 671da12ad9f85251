"""Back office: the knowledge base's category tree, named in English and Greek."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.services import kb_backoffice, knowledge
from portal.web.auth.guards import requires_staff
from portal.web.kb_admin import forms
from portal.web.team.forms import FormData

AnyRequest = Request[Any, Any, Any]
Category = dict[str, Any]
NEW = {"position": "0"}
LIST = "/backoffice/kb/categories"


async def load_category(category_id: FromPath[int]) -> Category:
    category = await kb_backoffice.category(category_id)
    if category is None:
        raise NotFoundException()
    return category


async def categories_page(
    category: Category | None = None, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Template:
    """The tree with a form: a new category's, or (with `category`) that one's."""
    rows = await kb_backoffice.categories()
    slugs = {row["id"]: row["slug"] for row in rows}
    if values is None:
        values = NEW if category is None else forms.category_values(category, slugs.get(category["parent"], ""))
    parents = [("", _("None: a top-level category"))] + [
        (row["slug"], "\u2003" * row["depth"] + (row["name_el"] if current_locale() == "el" else row["name_en"]))
        for row in rows
        if category is None or row["id"] != category["id"]
    ]
    context = {
        "categories": rows,
        "counts": await kb_backoffice.article_counts_by_category(),
        "category": category,
        "parents": parents,
        "values": values,
        "errors": errors or {},
    }
    name = "kb_admin/categories.html" if category is None else "kb_admin/category.html"
    return Template(name, context=context, status_code=422 if errors else 200)


async def save(request: AnyRequest, category: Category | None, data: dict[str, Any]) -> Template | Redirect:
    values = forms.typed(data, forms.CATEGORY_FIELDS)
    given = forms.category_input(values)
    if given is None:
        return await categories_page(category, values, {"position": _("Enter a whole number, such as 10.")})
    try:
        await knowledge.save_category(given, category_id=None if category is None else category["id"])
    except knowledge.CategoryInputError as refused:
        return await categories_page(category, values, refused.errors)
    except knowledge.CategoryNotFound:
        raise NotFoundException() from None
    flash(request, _("Category %(name)s saved.") % {"name": given.name_en.strip()}, "success")
    return Redirect(LIST, status_code=303)


class KbCategoriesController(Controller):
    path = LIST
    guards = [requires_staff]
    include_in_schema = False
    dependencies = {"category": Provide(load_category)}

    @get("/")
    async def list_categories(self) -> Template:
        return await categories_page()

    @post("/", status_code=303)
    async def create(self, request: AnyRequest, data: FormData) -> Template | Redirect:
        return await save(request, None, data)

    @get("/{category_id:int}")
    async def show(self, category: NamedDependency[Category]) -> Template:
        return await categories_page(category)

    @post("/{category_id:int}", status_code=303)
    async def update(
        self, request: AnyRequest, category: NamedDependency[Category], data: FormData
    ) -> Template | Redirect:
        return await save(request, category, data)
