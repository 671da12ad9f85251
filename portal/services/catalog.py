"""Products and case categories, as staff managers keep them and as the case forms offer them.

Nothing here is ever deleted: cases reference products and categories (ON DELETE RESTRICT), so a product that
is no longer sold is deactivated, which hides it from new cases and keeps old ones readable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from piccolo.columns import Boolean

from portal.db.tables import Category, Product
from portal.i18n import gettext as _
from portal.services.accounts import valid_id
from portal.services.refusals import FieldRefused, refusing_duplicates

CODE_MAX = 50
NAME_MAX = 200
CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def normalise_code(value: str) -> str:
    """`  Cloud-PBX ` -> `cloud-pbx`. Raises ValueError, with a message for the user, for anything else."""
    code = value.strip().lower()
    if not code:
        raise ValueError(_("This field is required."))
    if len(code) > CODE_MAX or not CODE_PATTERN.match(code):
        raise ValueError(
            _("Use up to %(count)d lowercase Latin letters, digits and single hyphens, such as cloud-pbx.")
            % {"count": CODE_MAX}
        )
    return code


def _is_true(column: Any) -> Any:
    """`column = true`, for a column reached through a join (which Piccolo does not type precisely)."""
    return cast(Boolean, column).eq(True)


def display_name(row: Mapping[str, Any], locale: str) -> str:
    """The name in `locale`: Greek for "el", English otherwise (and when the Greek one is missing)."""
    if locale == "el" and row.get("name_el"):
        return str(row["name_el"])
    return str(row["name_en"])


def _checked(code: str, name_en: str, name_el: str) -> tuple[str, str, str]:
    try:
        code = normalise_code(code)
    except ValueError as exc:
        raise FieldRefused("code", str(exc)) from exc
    names = []
    for field, name in (("name_en", name_en), ("name_el", name_el)):
        name = name.strip()
        if not name:
            raise FieldRefused(field, _("This field is required."))
        if len(name) > NAME_MAX:
            raise FieldRefused(field, _("Use at most %(count)d characters.") % {"count": NAME_MAX})
        names.append(name)
    return code, names[0], names[1]


def _unique_code() -> Any:
    return refusing_duplicates("code", _("This code is already in use; choose another."))


# --- Products ---------------------------------------------------------------------------------------------


async def active_products() -> list[dict[str, Any]]:
    """The products a new case may name, by English name."""
    return await Product.select().where(Product.is_active.eq(True)).order_by(Product.name_en)


async def all_products() -> list[dict[str, Any]]:
    """Every product, active first, for the managers' page."""
    return await Product.select().order_by(Product.is_active, ascending=False).order_by(Product.name_en)


async def get_product(product_id: int) -> dict[str, Any] | None:
    if not valid_id(product_id):
        return None
    return await Product.select().where(Product.id == product_id).first()


async def create_product(*, code: str, name_en: str, name_el: str) -> int:
    code, name_en, name_el = _checked(code, name_en, name_el)
    with _unique_code():
        rows = await Product.insert(Product(code=code, name_en=name_en, name_el=name_el)).returning(Product.id)
    return int(rows[0]["id"])


async def update_product(product_id: int, *, code: str, name_en: str, name_el: str, is_active: bool) -> None:
    """Change a product; `is_active=False` hides it from new cases (and its own categories with it)."""
    code, name_en, name_el = _checked(code, name_en, name_el)
    if await get_product(product_id) is None:
        raise FieldRefused("code", _("This product does not exist."))
    changes: dict[Any, Any] = {
        Product.code: code,
        Product.name_en: name_en,
        Product.name_el: name_el,
        Product.is_active: is_active,
    }
    with _unique_code():
        await Product.update(changes).where(Product.id == product_id)


async def set_product_active(product_id: int, active: bool) -> None:
    await Product.update({Product.is_active: active}).where(Product.id == product_id)


async def product_choice_valid(product_id: int | None) -> bool:
    """May a new or edited case name this product? None (no product) is always allowed."""
    if product_id is None:
        return True
    return valid_id(product_id) and bool(
        await Product.exists().where((Product.id == product_id) & Product.is_active.eq(True))
    )


# --- Categories -------------------------------------------------------------------------------------------


def _categories() -> Any:
    return Category.select(
        Category.id,
        Category.code,
        Category.name_en,
        Category.name_el,
        Category.is_active,
        Category.product,
        Category.product.code.as_alias("product_code"),
        Category.product.name_en.as_alias("product_name_en"),
        Category.product.name_el.as_alias("product_name_el"),
        Category.product.is_active.as_alias("product_active"),
    )


def _offered() -> Any:
    """Active categories that are general or belong to an active product."""
    return Category.is_active.eq(True) & (Category.product.is_null() | _is_true(Category.product.is_active))


async def active_categories(product_id: int | None = None) -> list[dict[str, Any]]:
    """The categories a new case may take.

    With `product_id`: the general ones and that product's own. Without: every offered category, each with its
    `product` (an id or None) and `product_name_en`/`product_name_el`, so a form can group them.
    """
    where = _offered()
    if product_id is not None:
        where &= Category.product.is_null() | (Category.product == product_id)
    return await _categories().where(where).order_by(Category.name_en)  # type: ignore[no-any-return]


async def all_categories() -> list[dict[str, Any]]:
    return await _categories().order_by(Category.is_active, ascending=False).order_by(Category.name_en)  # type: ignore[no-any-return]


async def get_category(category_id: int) -> dict[str, Any] | None:
    if not valid_id(category_id):
        return None
    return await _categories().where(Category.id == category_id).first()  # type: ignore[no-any-return]


async def _check_product(product_id: int | None) -> None:
    if product_id is not None and await get_product(product_id) is None:
        raise FieldRefused("product_id", _("Choose a product from the list."))


async def create_category(*, code: str, name_en: str, name_el: str, product_id: int | None = None) -> int:
    """A new category; with `product_id` it is offered only on that product's cases."""
    code, name_en, name_el = _checked(code, name_en, name_el)
    await _check_product(product_id)
    category = Category(code=code, name_en=name_en, name_el=name_el, product=product_id)
    with _unique_code():
        rows = await Category.insert(category).returning(Category.id)
    return int(rows[0]["id"])


async def update_category(
    category_id: int, *, code: str, name_en: str, name_el: str, product_id: int | None, is_active: bool
) -> None:
    code, name_en, name_el = _checked(code, name_en, name_el)
    if await get_category(category_id) is None:
        raise FieldRefused("code", _("This category does not exist."))
    await _check_product(product_id)
    changes: dict[Any, Any] = {
        Category.code: code,
        Category.name_en: name_en,
        Category.name_el: name_el,
        Category.product: product_id,
        Category.is_active: is_active,
    }
    with _unique_code():
        await Category.update(changes).where(Category.id == category_id)


async def set_category_active(category_id: int, active: bool) -> None:
    await Category.update({Category.is_active: active}).where(Category.id == category_id)


async def category_choice_valid(category_id: int | None, product_id: int | None) -> bool:
    """May a case with product `product_id` (or none) take this category? None (no category) is allowed.

    A category that belongs to a product fits only that product's cases; one bound to another product, or
    given without any product, is invalid, as is an inactive category or one whose product is inactive.
    """
    if category_id is None:
        return True
    if not valid_id(category_id):
        return False
    row = await _categories().where((Category.id == category_id) & _offered()).first()
    return row is not None and row["product"] in (None, product_id)
