"""Writing knowledge-base articles: validation, versions, publishing, translations, categories, and the index."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from portal.db.kb_tables import Article, ArticleStatus, ArticleVersion
from portal.db.tables import OutboxEvent, Role
from portal.plugins import outbox
from portal.services import knowledge
from portal.services.kb_index import KnowledgeSearch
from tests.factories import make_user
from tests.kb_factories import article_input, found, make_article, make_category

pytestmark = pytest.mark.usefixtures("migrated_database")


@pytest.fixture
async def search(tmp_path: Path) -> AsyncIterator[KnowledgeSearch]:
    index = KnowledgeSearch(tmp_path / "search", write_timeout=5.0)
    await index.open()
    return index


async def article(article_id: int) -> dict:  # type: ignore[type-arg]
    row = await Article.select().where(Article.id == article_id).output(load_json=True).first()
    assert row is not None
    return row


async def test_a_new_article_is_a_rendered_draft_with_its_first_version(search: KnowledgeSearch) -> None:
    await make_category("billing")
    author = await make_user(Role.agent)
    data = article_input(
        slug=" Pay-By-Card ",
        title=" Paying by card ",
        body="## Steps\n\nUse **any** card. <script>alert(1)</script>",
        category="billing",
        tags=["card", " card ", "visa"],
        products=["Acme CarePlus"],
    )
    article_id = await knowledge.save(data, actor_id=author.id, note="first draft", search=search)
    row = await article(article_id)
    assert (row["key"], row["slug"], row["title"], row["status"], row["version"]) == (
        "pay-by-card:en",
        "pay-by-card",
        "Paying by card",
        ArticleStatus.draft,
        1,
    )
    assert row["tags"] == ["card", "visa"]
    assert '<h2 id="h-steps">Steps</h2>' in row["body_html"]
    assert "<strong>any</strong>" in row["body_html"]
    assert "<script>" not in row["body_html"]
    assert row["published_at"] is None
    history = await knowledge.versions(article_id)
    assert [(v["number"], v["note"], v["author_name"]) for v in history] == [(1, "first draft", author.name)]
    assert await found(search, "card") == set()  # drafts are never indexed


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "Pay by card"}, "slug"),
        ({"slug": "pay--card"}, "slug"),
        ({"slug": "πληρωμή"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"slug": "a" * 121}, "slug"),
        ({"language": "fr"}, "language"),
        ({"title": "  "}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"summary": "s" * 501}, "summary"),
        ({"body": "\n\n"}, "body"),
        ({"audience": "everyone"}, "audience"),
        ({"tags": ["a,b"]}, "tags"),
        ({"products": [f"p{n}" for n in range(21)]}, "products"),
        ({"category": "no-such-category"}, "category"),
    ],
)
async def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(overrides: dict, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(knowledge.ArticleInputError) as refused:
        await knowledge.save(article_input(**overrides), actor_id=None)
    assert field in refused.value.errors
    assert refused.value.errors[field]
    assert await Article.count() == 0
    assert await ArticleVersion.count() == 0


async def test_a_slug_is_unique_per_language_and_the_translation_is_found_both_ways() -> None:
    english = await make_article(slug="reset-password", language="en", published=False)
    with pytest.raises(knowledge.ArticleInputError) as refused:
        await make_article(slug="reset-password", language="en", published=False)
    assert "already exists" in refused.value.errors["slug"]
    greek = await make_article(slug="reset-password", language="el", title="Επαναφορά κωδικού", published=False)
    other = await make_article(slug="other", published=False)
    with pytest.raises(knowledge.ArticleInputError):  # renaming onto a taken address is refused too
        await knowledge.save(article_input(slug="reset-password"), actor_id=None, article_id=other)
    assert await Article.count() == 3
    translation = await knowledge.translation_of(english)
    assert translation is not None
    assert translation["id"] == greek
    assert (await knowledge.translation_of(await article(greek)))["id"] == english  # type: ignore[index]
    assert await knowledge.translation_of(other) is None
    assert await knowledge.translation_of(english, published_only=True) is None
    await knowledge.publish(greek, actor_id=None)
    assert (await knowledge.translation_of(english, published_only=True))["language"] == "el"  # type: ignore[index]


async def test_publishing_sets_published_at_once_and_makes_the_article_findable(search: KnowledgeSearch) -> None:
    article_id = await make_article(body="How to replace the toner cartridge.", published=False, search=search)
    await knowledge.publish(article_id, actor_id=None, search=search)
    first = (await article(article_id))["published_at"]
    assert first is not None
    assert await found(search, "toner") == {(await article(article_id))["key"]}
    await knowledge.unpublish(article_id, actor_id=None, search=search)
    await knowledge.publish(article_id, actor_id=None, search=search)
    assert (await article(article_id))["published_at"] == first


async def test_editing_a_published_article_keeps_it_published_and_reindexes_it(search: KnowledgeSearch) -> None:
    article_id = await make_article(slug="router", body="Restart the router.", search=search)
    await knowledge.save(
        article_input(slug="router", body="Check the fibre cable."), actor_id=None, article_id=article_id, search=search
    )
    row = await article(article_id)
    assert (row["status"], row["version"]) == (ArticleStatus.published, 2)
    assert await found(search, "fibre") == {"router:en"}
    assert await found(search, "restart") == set()


async def test_changing_the_slug_moves_the_article_in_the_index(search: KnowledgeSearch) -> None:
    article_id = await make_article(slug="old-name", body="Unique zebra words.", search=search)
    await knowledge.save(
        article_input(slug="new-name", body="Unique zebra words."), actor_id=None, article_id=article_id, search=search
    )
    assert await found(search, "zebra") == {"new-name:en"}


@pytest.mark.parametrize("action", [knowledge.unpublish, knowledge.archive, knowledge.delete])
async def test_unpublish_archive_and_delete_take_the_article_out_of_search(search: KnowledgeSearch, action) -> None:  # type: ignore[no-untyped-def]
    article_id = await make_article(body="Loyalty points expire after two years.", search=search)
    assert await found(search, "loyalty") != set()
    await action(article_id, actor_id=None, search=search)
    assert await found(search, "loyalty") == set()
    if action is knowledge.delete:
        assert await Article.count() == 0
        assert await ArticleVersion.count() == 0
    else:
        assert (await article(article_id))["status"] == (
            ArticleStatus.draft if action is knowledge.unpublish else ArticleStatus.archived
        )


async def test_publishing_unpublishing_archiving_and_deleting_record_who_did_it() -> None:
    writer, editor = await make_user(Role.agent), await make_user(Role.manager)
    article_id = await make_article(slug="toner", published=False, actor_id=writer.id)

    await knowledge.publish(article_id, actor_id=writer.id)
    await knowledge.publish(article_id, actor_id=editor.id)  # published already: nothing happened, nothing recorded
    await knowledge.unpublish(article_id, actor_id=editor.id)
    await knowledge.archive(article_id, actor_id=writer.id)
    await knowledge.delete(article_id, actor_id=editor.id)

    rows = await OutboxEvent.select(OutboxEvent.topic, OutboxEvent.aggregate, OutboxEvent.aggregate_id).order_by(
        OutboxEvent.id
    )
    assert rows == [
        {"topic": topic, "aggregate": "article", "aggregate_id": str(article_id)}
        for topic in ("article.published", "article.unpublished", "article.archived", "article.deleted")
    ]
    events = [
        outbox.event_from_row(row) for row in await OutboxEvent.select().order_by(OutboxEvent.id).output(load_json=True)
    ]
    assert [event.payload() for event in events] == [
        {"article_id": article_id, "actor_id": writer.id},
        {"article_id": article_id, "actor_id": editor.id},
        {"article_id": article_id, "actor_id": writer.id},
        {"article_id": article_id, "actor_id": editor.id, "key": "toner:en"},
    ]


async def test_actions_on_a_missing_article_raise_not_found() -> None:
    for action in (knowledge.publish, knowledge.unpublish, knowledge.archive, knowledge.delete):
        with pytest.raises(knowledge.ArticleNotFound):
            await action(999, actor_id=None)
    with pytest.raises(knowledge.ArticleNotFound):
        await knowledge.save(article_input(), actor_id=None, article_id=999)
    with pytest.raises(knowledge.ArticleNotFound):
        await knowledge.restore(999, 1, actor_id=None)
    assert await Article.count() == 0


async def test_restoring_a_version_saves_it_again_as_the_newest(search: KnowledgeSearch) -> None:
    await make_category("printers")
    article_id = await make_article(
        slug="printer", body="Clean the drum.", tags=["drum"], category="printers", search=search
    )
    await knowledge.save(
        article_input(slug="printer", body="Replace the fuser.", audience="internal"),
        actor_id=None,
        article_id=article_id,
        search=search,
    )
    number = await knowledge.restore(article_id, 1, actor_id=None, search=search)
    assert number == 3
    row = await article(article_id)
    assert (row["body"], row["tags"], row["audience"], row["status"]) == (
        "Clean the drum.\n",
        ["drum"],
        "public",
        ArticleStatus.published,
    )
    assert "Clean the drum." in row["body_html"]
    history = await knowledge.versions(article_id)
    assert [v["number"] for v in history] == [3, 2, 1]
    assert history[0]["note"] == "restored version 1"
    assert history[0]["note_display"] == "Restored version 1"
    second = await knowledge.version(article_id, 2)
    assert second is not None
    assert second["body"] == "Replace the fuser.\n"
    assert second["audience"] == "internal"
    assert (await knowledge.version(article_id, 1))["category_slug"] == "printers"  # type: ignore[index]
    assert await knowledge.version(article_id, 9) is None
    assert await found(search, "drum", "anonymous") == {"printer:en"}
    assert await found(search, "fuser") == set()


async def test_categories_form_a_tree_in_either_language() -> None:
    await make_category("getting-started", name_en="Getting started", name_el="Πρώτα βήματα", position=2)
    await make_category("billing", name_en="Billing", name_el="Χρεώσεις", position=1)
    await make_category("invoices", name_en="Invoices", name_el="Τιμολόγια", parent="billing")
    tree = await knowledge.category_tree("el")
    assert [(node["slug"], node["name"]) for node in tree] == [
        ("billing", "Χρεώσεις"),
        ("getting-started", "Πρώτα βήματα"),
    ]
    assert [child["name"] for child in tree[0]["children"]] == ["Τιμολόγια"]
    assert (await knowledge.category_tree("en"))[0]["children"][0]["name"] == "Invoices"


async def test_bad_categories_are_refused_on_their_field() -> None:
    billing = await make_category("billing")
    invoices = await make_category("invoices", parent="billing")
    cases = [
        ({"slug": "billing"}, None, "slug"),  # taken
        ({"slug": "Not A Slug"}, None, "slug"),
        ({"slug": "x", "name_en": " "}, None, "name_en"),
        ({"slug": "x", "parent": "nowhere"}, None, "parent"),
        ({"slug": "billing", "parent": "invoices"}, billing, "parent"),  # a loop
        ({"slug": "billing", "parent": "billing"}, billing, "parent"),
    ]
    for overrides, category_id, field in cases:
        values = {"name_en": "Name", "name_el": "Όνομα"} | overrides
        with pytest.raises(knowledge.CategoryInputError) as refused:
            await knowledge.save_category(knowledge.CategoryInput(**values), category_id=category_id)  # type: ignore[arg-type]
        assert field in refused.value.errors, overrides
    renamed = await knowledge.save_category(
        knowledge.CategoryInput(slug="invoices-and-notes", name_en="Invoices", name_el="Τιμολόγια", parent="billing"),
        category_id=invoices,
    )
    assert renamed == invoices
    tree = await knowledge.category_tree("en")
    assert [child["slug"] for child in tree[0]["children"]] == ["invoices-and-notes"]


def test_a_note_typed_like_the_portals_own_is_shown_as_typed() -> None:
    assert knowledge.describe_note("restored version 4") == "Restored version 4"
    assert knowledge.describe_note("restored version ²") == "restored version ²"  # a digit to isdigit, not to int
