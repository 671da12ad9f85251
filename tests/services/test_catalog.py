"""Products and categories: validation, unique codes, deactivation, and what the case forms may offer."""

from __future__ import annotations

import pytest

from portal.db.tables import Category, Product
from portal.services import catalog
from portal.services.refusals import FieldRefused

pytestmark = pytest.mark.usefixtures("migrated_database")


async def make_product(code: str = "cloud-pbx", name_en: str = "Cloud PBX", name_el: str = "Τηλεφωνικό κέντρο") -> int:
    return await catalog.create_product(code=code, name_en=name_en, name_el=name_el)


async def test_a_product_is_created_with_a_normalised_code_and_both_names() -> None:
    product_id = await make_product(code="  Cloud-PBX ", name_en=" Cloud PBX ")
    product = await catalog.get_product(product_id)
    assert product is not None
    assert (product["code"], product["name_en"], product["name_el"], product["is_active"]) == (
        "cloud-pbx",
        "Cloud PBX",
        "Τηλεφωνικό κέντρο",
        True,
    )
    assert [row["code"] for row in await catalog.active_products()] == ["cloud-pbx"]


@pytest.mark.parametrize(
    ("code", "name_en", "name_el", "field"),
    [
        ("", "Name", "Όνομα", "code"),
        ("cloud pbx", "Name", "Όνομα", "code"),
        ("τηλέφωνο", "Name", "Όνομα", "code"),
        ("-pbx", "Name", "Όνομα", "code"),
        ("pbx--2", "Name", "Όνομα", "code"),
        ("x" * 51, "Name", "Όνομα", "code"),
        ("pbx", "  ", "Όνομα", "name_en"),
        ("pbx", "Name", "", "name_el"),
        ("pbx", "Name", "Ό" * 201, "name_el"),
    ],
)
async def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(
    code: str, name_en: str, name_el: str, field: str
) -> None:
    with pytest.raises(FieldRefused) as refused:
        await catalog.create_product(code=code, name_en=name_en, name_el=name_el)
    assert refused.value.field == field
    assert await Product.count() == 0


async def test_a_code_in_use_is_refused_on_create_and_on_edit() -> None:
    await make_product("cloud-pbx")
    with pytest.raises(FieldRefused, match="already in use") as refused:
        await make_product("CLOUD-PBX", name_en="Another")
    assert refused.value.field == "code"
    other = await make_product("fibre", name_en="Fibre")
    with pytest.raises(FieldRefused, match="already in use"):
        await catalog.update_product(other, code="cloud-pbx", name_en="Fibre", name_el="Ίνα", is_active=True)
    assert sorted(row["code"] for row in await catalog.all_products()) == ["cloud-pbx", "fibre"]


async def test_a_deactivated_product_and_its_own_categories_leave_new_cases_but_stay_listed() -> None:
    pbx = await make_product("cloud-pbx")
    fibre = await make_product("fibre", name_en="Fibre broadband", name_el="Οπτική ίνα")
    await catalog.create_category(code="billing", name_en="Billing", name_el="Χρεώσεις")
    await catalog.create_category(code="call-routing", name_en="Call routing", name_el="Δρομολόγηση", product_id=pbx)
    routing = await Category.select(Category.id).where(Category.code == "call-routing").first()
    assert routing is not None
    assert await catalog.product_choice_valid(pbx)
    assert await catalog.category_choice_valid(routing["id"], pbx)

    await catalog.update_product(pbx, code="cloud-pbx", name_en="Cloud PBX", name_el="Κέντρο", is_active=False)

    assert [row["id"] for row in await catalog.active_products()] == [fibre]
    assert [row["code"] for row in await catalog.all_products()] == ["fibre", "cloud-pbx"]  # active first
    assert not await catalog.product_choice_valid(pbx)
    assert [row["code"] for row in await catalog.active_categories()] == ["billing"]
    assert not await catalog.category_choice_valid(routing["id"], pbx)


async def test_categories_for_a_product_are_the_general_ones_and_its_own() -> None:
    pbx = await make_product("cloud-pbx")
    fibre = await make_product("fibre", name_en="Fibre broadband", name_el="Οπτική ίνα")
    billing = await catalog.create_category(code="billing", name_en="Billing", name_el="Χρεώσεις")
    routing = await catalog.create_category(
        code="call-routing", name_en="Call routing", name_el="Δρομολόγηση κλήσεων", product_id=pbx
    )
    old = await catalog.create_category(code="old", name_en="Old", name_el="Παλιά")
    await catalog.set_category_active(old, False)

    assert [row["id"] for row in await catalog.active_categories(pbx)] == [billing, routing]
    assert [row["id"] for row in await catalog.active_categories(fibre)] == [billing]
    everything = await catalog.active_categories()
    assert [(row["id"], row["product"], row["product_name_en"]) for row in everything] == [
        (billing, None, None),
        (routing, pbx, "Cloud PBX"),
    ]

    assert await catalog.category_choice_valid(billing, None)
    assert await catalog.category_choice_valid(billing, fibre)
    assert await catalog.category_choice_valid(routing, pbx)
    assert not await catalog.category_choice_valid(routing, fibre)  # bound to another product
    assert not await catalog.category_choice_valid(routing, None)
    assert not await catalog.category_choice_valid(old, None)
    assert not await catalog.category_choice_valid(999_999, None)
    assert not await catalog.category_choice_valid(2**40, None)
    assert await catalog.category_choice_valid(None, pbx)


async def test_product_choice_accepts_none_and_refuses_unknown_ids() -> None:
    assert await catalog.product_choice_valid(None)
    assert not await catalog.product_choice_valid(12345)
    assert not await catalog.product_choice_valid(-1)
    assert not await catalog.product_choice_valid(2**40)


async def test_a_category_must_name_an_existing_product() -> None:
    with pytest.raises(FieldRefused) as refused:
        await catalog.create_category(code="x", name_en="X", name_el="Χ", product_id=4242)
    assert refused.value.field == "product_id"
    assert await Category.count() == 0


def test_display_name_speaks_the_reader_s_language() -> None:
    row = {"name_en": "Fibre broadband", "name_el": "Οπτική ίνα"}
    assert catalog.display_name(row, "el") == "Οπτική ίνα"
    assert catalog.display_name(row, "en") == "Fibre broadband"
    assert catalog.display_name(row, "de") == "Fibre broadband"
    assert catalog.display_name({"name_en": "Fibre", "name_el": ""}, "el") == "Fibre"
