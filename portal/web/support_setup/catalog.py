"""Back office: products and case categories, kept by managers and administrators."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.db.tables import Role
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.services import catalog
from portal.web.auth.guards import requires_role, requires_staff
from portal.web.forms import parse_form
from portal.web.support_setup.forms import CategoryForm, ProductForm
from portal.web.support_setup.saving import attempt
from portal.web.team.forms import FormData, values_of

FIELDS = ("code", "name_en", "name_el", "is_active")
NEW = {"is_active": "on"}


def _values(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in FIELDS} | {"product_id": str(row.get("product") or "")}


# --- Products ---------------------------------------------------------------------------------------------


async def load_product(product_id: FromPath[int]) -> dict[str, Any]:
    product = await catalog.get_product(product_id)
    if product is None:
        raise NotFoundException()
    return product


async def products_page(values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> Template:
    context = {"products": await catalog.all_products(), "values": values or NEW, "errors": errors or {}}
    return Template("support_setup/products.html", context=context, status_code=422 if errors else 200)


def product_page(
    product: dict[str, Any], values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> Template:
    context = {"product": product, "values": values or _values(product), "errors": errors or {}}
    return Template("support_setup/product.html", context=context, status_code=422 if errors else 200)


class ProductsController(Controller):
    path = "/backoffice/products"
    guards = [requires_staff, requires_role(Role.manager)]
    include_in_schema = False
    dependencies = {"product": Provide(load_product)}

    @get("/", name="backoffice_products")
    async def list_products(self) -> Template:
        return await products_page()

    @post("/", status_code=303)
    async def create(self, request: HTMXRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(ProductForm, data)
        if form is not None:
            _id, errors = await attempt(
                catalog.create_product(code=form.code, name_en=form.name_en, name_el=form.name_el)
            )
        if form is None or errors:
            return await products_page(values_of(data, *FIELDS), errors)
        flash(request, _("Product %(name)s created.") % {"name": form.name_en}, "success")
        return Redirect("/backoffice/products", status_code=303)

    @get("/{product_id:int}")
    async def show(self, product: NamedDependency[dict[str, Any]]) -> Template:
        return product_page(product)

    @post("/{product_id:int}", status_code=303)
    async def update(
        self, request: HTMXRequest, product: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(ProductForm, data)
        if form is not None:
            _none, errors = await attempt(
                catalog.update_product(
                    product["id"], code=form.code, name_en=form.name_en, name_el=form.name_el, is_active=form.is_active
                )
            )
        if form is None or errors:
            return product_page(product, values_of(data, *FIELDS), errors)
        flash(request, _("Product %(name)s saved.") % {"name": form.name_en}, "success")
        return Redirect("/backoffice/products", status_code=303)


# --- Categories -------------------------------------------------------------------------------------------


async def load_category(category_id: FromPath[int]) -> dict[str, Any]:
    category = await catalog.get_category(category_id)
    if category is None:
        raise NotFoundException()
    return category


async def product_options() -> list[tuple[str, str]]:
    """The category form's product choice: none (every product) or one, in the reader's language."""
    locale = current_locale()
    choices = [(str(row["id"]), catalog.display_name(row, locale)) for row in await catalog.all_products()]
    return [("", _("Every product")), *choices]


async def categories_page(values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> Template:
    context = {
        "categories": await catalog.all_categories(),
        "product_options": await product_options(),
        "values": values or NEW,
        "errors": errors or {},
    }
    return Template("support_setup/categories.html", context=context, status_code=422 if errors else 200)


async def category_page(
    category: dict[str, Any], values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> Template:
    context = {
        "category": category,
        "product_options": await product_options(),
        "values": values or _values(category),
        "errors": errors or {},
    }
    return Template("support_setup/category.html", context=context, status_code=422 if errors else 200)


class CategoriesController(Controller):
    path = "/backoffice/categories"
    guards = [requires_staff, requires_role(Role.manager)]
    include_in_schema = False
    dependencies = {"category": Provide(load_category)}

    @get("/", name="backoffice_categories")
    async def list_categories(self) -> Template:
        return await categories_page()

    @post("/", status_code=303)
    async def create(self, request: HTMXRequest, data: FormData) -> Template | Redirect:
        form, errors = parse_form(CategoryForm, data)
        if form is not None:
            _id, errors = await attempt(
                catalog.create_category(
                    code=form.code, name_en=form.name_en, name_el=form.name_el, product_id=form.product_id
                )
            )
        if form is None or errors:
            return await categories_page(values_of(data, *FIELDS, "product_id"), errors)
        flash(request, _("Category %(name)s created.") % {"name": form.name_en}, "success")
        return Redirect("/backoffice/categories", status_code=303)

    @get("/{category_id:int}")
    async def show(self, category: NamedDependency[dict[str, Any]]) -> Template:
        return await category_page(category)

    @post("/{category_id:int}", status_code=303)
    async def update(
        self, request: HTMXRequest, category: NamedDependency[dict[str, Any]], data: FormData
    ) -> Template | Redirect:
        form, errors = parse_form(CategoryForm, data)
        if form is not None:
            _none, errors = await attempt(
                catalog.update_category(
                    category["id"],
                    code=form.code,
                    name_en=form.name_en,
                    name_el=form.name_el,
                    product_id=form.product_id,
                    is_active=form.is_active,
                )
            )
        if form is None or errors:
            return await category_page(category, values_of(data, *FIELDS, "product_id"), errors)
        flash(request, _("Category %(name)s saved.") % {"name": form.name_en}, "success")
        return Redirect("/backoffice/categories", status_code=303)
