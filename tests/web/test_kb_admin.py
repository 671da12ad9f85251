"""The knowledge base's back office: the article list, the editor with its preview, status changes, versions and
categories, as staff; and every route refused to customers and anonymous visitors."""

from __future__ import annotations

import re

import httpx

from portal.db.kb_tables import Article, ArticleVersion, Deflection, DeflectionShown, KbCategory
from portal.db.tables import Role
from portal.services import deflection, knowledge
from portal.services.users import CurrentUser
from tests.factories import csrf_headers, make_account, make_user, sign_in
from tests.web.kb_pages_helpers import make_category

Client = httpx.AsyncClient

ARTICLE = {
    "title": "Resetting your password",
    "slug": "reset-password",
    "language": "en",
    "summary": "What to do when you cannot sign in.",
    "body": "# Forgot it?\n\nOpen the sign-in page and choose **Forgot password**.\n",
    "category": "",
    "tags": "password, sign-in",
    "products": "",
    "audience": "public",
    "note": "",
}


async def signed_in(client: Client, role: Role) -> CurrentUser:
    account_id = (await make_account()).id if role in (Role.contact, Role.account_admin) else None
    user = await make_user(role, account_id=account_id)
    await sign_in(client, user.email)
    await client.get("/")  # a page, for the CSRF cookie whatever the role
    return user


async def post(client: Client, path: str, data: dict[str, str] | None = None, **headers: str) -> httpx.Response:
    return await client.post(path, data=data or {}, headers=csrf_headers(client) | headers, follow_redirects=False)


def error_next_to(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="error-{field}">([^<]*)</p>', page)
    assert found, f"no error next to {field}"
    return found.group(1)


async def saved(data: dict[str, str] | None = None, *, publish: bool = False, actor_id: int | None = None) -> int:
    values = ARTICLE | (data or {})
    article_id = await knowledge.save(
        knowledge.ArticleInput(
            slug=values["slug"],
            language=values["language"],
            title=values["title"],
            summary=values["summary"],
            body=values["body"],
            category=values["category"] or None,
            audience=values["audience"],
        ),
        actor_id=actor_id,
    )
    if publish:
        await knowledge.publish(article_id, actor_id=actor_id)
    return article_id


async def row(article_id: int) -> dict[str, object]:
    found = await Article.select().where(Article.id == article_id).first()
    assert found is not None
    return found


# --- Staff only ---------------------------------------------------------------------------------------------------

GETS = [
    "/backoffice/kb",
    "/backoffice/kb/new",
    "/backoffice/kb/{id}/edit",
    "/backoffice/kb/{id}/delete",
    "/backoffice/kb/{id}/versions",
    "/backoffice/kb/{id}/compare?a=1&b=1",
    "/backoffice/kb/categories",
    "/backoffice/kb/categories/{category}",
]
POSTS = [
    "/backoffice/kb/new",
    "/backoffice/kb/{id}/edit",
    "/backoffice/kb/preview",
    "/backoffice/kb/{id}/publish",
    "/backoffice/kb/{id}/unpublish",
    "/backoffice/kb/{id}/archive",
    "/backoffice/kb/{id}/delete",
    "/backoffice/kb/{id}/restore/1",
    "/backoffice/kb/{id}/files",
    "/backoffice/kb/{id}/files/1/delete",
    "/backoffice/kb/categories",
    "/backoffice/kb/categories/{category}",
]


async def test_every_route_sends_anonymous_visitors_to_sign_in_and_refuses_customers(client: Client) -> None:
    category = await make_category("billing")
    article_id = await saved({"category": "billing"})
    paths = {name: name.format(id=article_id, category=category) for name in GETS + POSTS}
    await client.get("/login")  # the CSRF cookie, so that posts reach the guard
    for name in GETS:
        response = await client.get(paths[name], follow_redirects=False)
        assert response.status_code == 303, name
        assert response.headers["location"].startswith("/login?next="), name
    for name in POSTS:
        response = await post(client, paths[name], {"title": "Taken over", "body": "x"})
        assert response.status_code == 303, name
        assert response.headers["location"].startswith("/login?next="), name

    for role in (Role.contact, Role.prospect):
        client.cookies.clear()
        await signed_in(client, role)
        for name in GETS:
            assert (await client.get(paths[name])).status_code == 403, (role, name)
        for name in POSTS:
            assert (await post(client, paths[name], {"title": "Taken over", "body": "x"})).status_code == 403, name
    assert (await row(article_id))["title"] == ARTICLE["title"]
    assert (await row(article_id))["status"] == "draft"
    assert await KbCategory.count() == 1


async def test_the_back_office_navigation_leads_staff_to_the_articles(client: Client) -> None:
    await signed_in(client, Role.agent)
    assert 'href="/backoffice/kb"' in (await client.get("/backoffice")).text
    await client.post("/logout", headers=csrf_headers(client))
    client.cookies.clear()
    await signed_in(client, Role.contact)
    assert 'href="/backoffice/kb"' not in (await client.get("/")).text


# --- Writing ------------------------------------------------------------------------------------------------------


async def test_an_agent_writes_a_draft_then_publishes_it_for_readers(client: Client) -> None:
    agent = await signed_in(client, Role.agent)
    form = await client.get("/backoffice/kb/new")
    assert form.status_code == 200
    assert 'hx-post="/backoffice/kb/preview"' in form.text
    assert 'name="action" value="preview"' in form.text

    created = await post(client, "/backoffice/kb/new", ARTICLE | {"action": "save", "note": "first go"})
    assert created.status_code == 303
    article = await Article.select().where(Article.key == "reset-password:en").first()
    assert article is not None
    assert article["status"] == "draft"
    assert article["author"] == agent.id
    assert created.headers["location"] == f"/backoffice/kb/{article['id']}/edit"
    page = await client.get(created.headers["location"])
    assert "Article saved." in page.text
    assert 'value="password, sign-in"' in page.text
    assert '<h1 id="h-forgot-it">Forgot it?</h1>' in page.text  # the preview pane shows the saved body
    assert (await client.get("/kb/article/reset-password/en")).status_code == 404  # a draft is not on the site

    published = await post(client, f"/backoffice/kb/{article['id']}/edit", ARTICLE | {"action": "publish"})
    assert published.status_code == 303
    assert "Article saved and published." in (await client.get(published.headers["location"])).text
    assert (await row(article["id"]))["status"] == "published"
    assert (await row(article["id"]))["version"] == 2
    assert "Forgot password" in (await client.get("/kb/article/reset-password/en")).text


async def test_bad_input_is_refused_next_to_each_field_and_nothing_is_saved(client: Client) -> None:
    await signed_in(client, Role.agent)
    bad = await post(
        client, "/backoffice/kb/new", ARTICLE | {"title": "", "slug": "Reset Password!", "body": "", "action": "save"}
    )
    assert bad.status_code == 422
    assert error_next_to(bad.text, "title") == "This field is required."
    assert "lowercase Latin letters" in error_next_to(bad.text, "slug")
    assert error_next_to(bad.text, "body") == "This field is required."
    assert 'value="Reset Password!"' in bad.text  # what was typed stays
    assert await Article.count() == 0

    await saved()
    taken = await post(client, "/backoffice/kb/new", ARTICLE | {"title": "Another", "action": "publish"})
    assert taken.status_code == 422
    assert "already exists in this language" in error_next_to(taken.text, "slug")
    assert await Article.count() == 1
    same_slug_in_greek = await post(client, "/backoffice/kb/new", ARTICLE | {"language": "el", "action": "save"})
    assert same_slug_in_greek.status_code == 303


async def test_an_unknown_article_is_a_404(client: Client) -> None:
    await signed_in(client, Role.agent)
    assert (await client.get("/backoffice/kb/999/edit")).status_code == 404
    assert (await post(client, "/backoffice/kb/999/publish")).status_code == 404
    assert (await client.get("/backoffice/kb/99999999999999999999/edit")).status_code == 404


# --- Preview ------------------------------------------------------------------------------------------------------


async def test_the_live_preview_answers_htmx_with_the_sanitised_body_only(client: Client) -> None:
    await signed_in(client, Role.agent)
    body = "## Steps\n\n1. Open *Settings*\n\n<script>alert('x')</script>\n\n[site](https://example.org)"
    preview = await post(client, "/backoffice/kb/preview", {"body": body, "title": "ignored"}, **{"HX-Request": "true"})
    assert preview.status_code == 200
    assert "<html" not in preview.text
    assert '<h2 id="h-steps">Steps</h2>' in preview.text
    assert "<em>Settings</em>" in preview.text
    assert "<script" not in preview.text
    assert 'rel="nofollow noopener noreferrer"' in preview.text
    empty = await post(client, "/backoffice/kb/preview", {"body": "  "}, **{"HX-Request": "true"})
    assert "Nothing to preview yet" in empty.text


async def test_without_javascript_the_preview_button_shows_the_form_again_with_the_preview(client: Client) -> None:
    await signed_in(client, Role.agent)
    shown = await post(client, "/backoffice/kb/new", ARTICLE | {"body": "Use **bold** words.", "action": "preview"})
    assert shown.status_code == 200
    assert "<strong>bold</strong>" in shown.text
    assert "Use **bold** words." in shown.text  # still in the textarea
    assert await Article.count() == 0


# --- Status -------------------------------------------------------------------------------------------------------


async def test_publish_unpublish_archive_and_delete_after_confirming(client: Client) -> None:
    await signed_in(client, Role.manager)
    article_id = await saved()
    for action, status, message in (
        ("publish", "published", "Article published."),
        ("unpublish", "draft", "Article unpublished: it is a draft again."),
        ("archive", "archived", "Article archived."),
    ):
        response = await post(client, f"/backoffice/kb/{article_id}/{action}")
        assert response.status_code == 303
        assert message in (await client.get(response.headers["location"])).text
        assert (await row(article_id))["status"] == status

    confirm = await client.get(f"/backoffice/kb/{article_id}/delete")
    assert confirm.status_code == 200
    assert f'action="/backoffice/kb/{article_id}/delete"' in confirm.text
    assert "Delete for good" in confirm.text
    assert await Article.count() == 1  # looking is not deleting
    deleted = await post(client, f"/backoffice/kb/{article_id}/delete")
    assert deleted.headers["location"] == "/backoffice/kb"
    assert "Article Resetting your password deleted." in (await client.get("/backoffice/kb")).text
    assert await Article.count() == 0


# --- The list -----------------------------------------------------------------------------------------------------


async def test_the_list_filters_by_status_language_category_audience_and_text(client: Client) -> None:
    await signed_in(client, Role.agent)
    await make_category("billing", name_en="Billing")
    await saved({"slug": "pay-invoice", "title": "Paying an invoice", "category": "billing"}, publish=True)
    await saved({"slug": "pay-invoice", "language": "el", "title": "Πληρωμή τιμολογίου", "category": "billing"})
    await saved({"slug": "vpn-setup", "title": "Setting up the VPN", "audience": "internal"}, publish=True)

    def titles(page: httpx.Response) -> set[str]:
        return set(re.findall(r'<a href="/backoffice/kb/\d+/edit" lang="\w\w">([^<]+)</a>', page.text))

    everything = await client.get("/backoffice/kb")
    assert titles(everything) == {"Paying an invoice", "Πληρωμή τιμολογίου", "Setting up the VPN"}
    assert "3 articles" in everything.text
    assert titles(await client.get("/backoffice/kb?status=draft")) == {"Πληρωμή τιμολογίου"}
    assert titles(await client.get("/backoffice/kb?language=en")) == {"Paying an invoice", "Setting up the VPN"}
    assert titles(await client.get("/backoffice/kb?category=billing")) == {"Paying an invoice", "Πληρωμή τιμολογίου"}
    assert titles(await client.get("/backoffice/kb?audience=internal")) == {"Setting up the VPN"}
    assert titles(await client.get("/backoffice/kb?text=vpn")) == {"Setting up the VPN"}
    assert titles(await client.get("/backoffice/kb?text=paying&language=el")) == set()
    assert titles(await client.get("/backoffice/kb?status=nonsense&page=x")) == titles(everything)
    assert titles(await client.get("/backoffice/kb?page=%C2%B2")) == titles(everything)
    assert titles(await client.get("/backoffice/kb?category=%00")) == titles(everything)  # PostgreSQL refuses NUL
    assert "No articles match these filters." in (await client.get("/backoffice/kb?text=zzz")).text


async def test_the_list_shows_version_views_helpfulness_author_and_deflection_rate(client: Client) -> None:
    agent = await signed_in(client, Role.agent)
    article_id = await saved(publish=True, actor_id=agent.id)
    await Article.update({Article.views: 1234, Article.helpful_yes: 7, Article.helpful_no: 2}).where(
        Article.id == article_id
    )
    for outcome in ("deflected", "case_opened", "pending", "deflected"):
        token = await deflection.start(agent.id)
        row_id = (await Deflection.select(Deflection.id).where(Deflection.token == token).first() or {})["id"]
        await DeflectionShown.insert(
            DeflectionShown(deflection=row_id, article=article_id, key=f"{row_id}:{article_id}")
        )
        await Deflection.update(
            {Deflection.outcome: outcome, Deflection.article: article_id if outcome == "deflected" else None}
        ).where(Deflection.id == row_id)

    cells = re.findall(r"<td[^>]*>(.*?)</td>", (await client.get("/backoffice/kb")).text, re.DOTALL)
    text = " | ".join(re.sub(r"<[^>]+>", "", cell).strip() for cell in cells)
    assert "1,234" in text
    assert "7 / 2" in text
    assert "50%" in text  # answered 2 of the 4 times it was shown
    assert agent.name in text
    assert "Published" in text


# --- Versions -----------------------------------------------------------------------------------------------------


async def test_versions_are_listed_compared_and_restored(client: Client) -> None:
    agent = await signed_in(client, Role.agent)
    article_id = await saved({"body": "Line one\nLine <b>two</b>\nLine three\n"}, actor_id=agent.id)
    edited = ARTICLE | {"body": "Line one\nLine 2\nLine three\n", "title": "Resetting a password", "note": "plainer"}
    await post(client, f"/backoffice/kb/{article_id}/edit", edited | {"action": "save"})

    history = await client.get(f"/backoffice/kb/{article_id}/versions")
    assert history.status_code == 200
    assert "plainer" in history.text
    assert agent.name in history.text
    assert f'action="/backoffice/kb/{article_id}/restore/1"' in history.text
    assert f'action="/backoffice/kb/{article_id}/restore/2"' not in history.text  # the current one

    diff = await client.get(f"/backoffice/kb/{article_id}/compare?a=1&b=2")
    assert diff.status_code == 200
    assert '<del class="kb-line kb-del">Line &lt;b&gt;two&lt;/b&gt;</del>' in diff.text  # escaped, never markup
    assert '<ins class="kb-line kb-ins">Line 2</ins>' in diff.text
    assert '<del class="kb-line kb-del">Resetting your password</del>' in diff.text
    assert '<span class="kb-line kb-same">Line one</span>' in diff.text
    assert "(unchanged)" in diff.text  # the summary
    assert (await client.get(f"/backoffice/kb/{article_id}/compare")).text.count("kb-ins") >= 1  # newest two
    assert (await client.get(f"/backoffice/kb/{article_id}/compare?a=1&b=9")).status_code == 404

    restored = await post(client, f"/backoffice/kb/{article_id}/restore/1")
    assert restored.status_code == 303
    assert "Version 1 restored as version 3." in (await client.get(restored.headers["location"])).text
    current = await row(article_id)
    assert current["body"] == "Line one\nLine <b>two</b>\nLine three\n"
    assert current["version"] == 3
    assert await ArticleVersion.count().where(ArticleVersion.article == article_id) == 3
    assert (await post(client, f"/backoffice/kb/{article_id}/restore/42")).status_code == 404


# --- Translations -------------------------------------------------------------------------------------------------


async def test_an_article_links_to_its_translation_or_offers_to_write_it(client: Client) -> None:
    await signed_in(client, Role.agent)
    await make_category("accounts")
    english = await saved({"category": "accounts", "audience": "customers"})
    page = (await client.get(f"/backoffice/kb/{english}/edit")).text
    found = re.search(r'<a href="(/backoffice/kb/new\?[^"]+)">Write the translation</a>', page)
    assert found
    prefilled = await client.get(found.group(1).replace("&amp;", "&"))
    assert 'value="reset-password"' in prefilled.text
    assert '<option value="el" selected>' in prefilled.text
    assert '<option value="accounts" selected>' in prefilled.text
    assert '<option value="customers" selected>' in prefilled.text

    greek = await saved({"language": "el", "title": "Επαναφορά κωδικού"})
    page = (await client.get(f"/backoffice/kb/{english}/edit")).text
    assert f'<a href="/backoffice/kb/{greek}/edit" lang="el">Επαναφορά κωδικού</a>' in page
    assert "Write the translation" not in page


# --- Categories ---------------------------------------------------------------------------------------------------

CATEGORY = {
    "slug": "billing",
    "parent": "",
    "name_en": "Billing",
    "name_el": "Χρεώσεις",
    "description_en": "Invoices and payments",
    "description_el": "Τιμολόγια και πληρωμές",
    "position": "10",
}


async def test_staff_build_the_category_tree_with_names_in_both_languages(client: Client) -> None:
    await signed_in(client, Role.agent)
    assert (await post(client, "/backoffice/kb/categories", CATEGORY)).status_code == 303
    child = CATEGORY | {"slug": "refunds", "parent": "billing", "name_en": "Refunds", "name_el": "Επιστροφές"}
    created = await post(client, "/backoffice/kb/categories", child)
    assert created.headers["location"] == "/backoffice/kb/categories"
    tree = (await client.get("/backoffice/kb/categories")).text
    assert "Category Refunds saved." in tree
    assert tree.index(">Billing</a>") < tree.index("— <a")  # the child, indented, under its parent
    assert "Χρεώσεις" in tree

    refunds = await KbCategory.select().where(KbCategory.slug == "refunds").first()
    billing = await KbCategory.select().where(KbCategory.slug == "billing").first()
    assert refunds is not None
    assert billing is not None
    assert refunds["parent"] == billing["id"]
    edit = await client.get(f"/backoffice/kb/categories/{billing['id']}")
    assert 'value="Invoices and payments"' not in edit.text
    assert "Invoices and payments" in edit.text
    assert '<option value="billing"' not in edit.text  # a category is never offered as its own parent

    loop = await post(client, f"/backoffice/kb/categories/{billing['id']}", CATEGORY | {"parent": "refunds"})
    assert loop.status_code == 422
    assert "cannot be inside itself" in error_next_to(loop.text, "parent")
    duplicate = await post(client, "/backoffice/kb/categories", CATEGORY | {"name_en": "Copy"})
    assert duplicate.status_code == 422
    assert "already in use" in error_next_to(duplicate.text, "slug")
    bad = await post(client, "/backoffice/kb/categories", CATEGORY | {"slug": "other", "position": "first"})
    assert bad.status_code == 422
    assert error_next_to(bad.text, "position") == "Enter a whole number, such as 10."
    for position in ("²", "--5"):  # digits to str.isdigit once the sign is stripped, not to int()
        odd = await post(client, "/backoffice/kb/categories", CATEGORY | {"slug": "other", "position": position})
        assert odd.status_code == 422, position
        assert error_next_to(odd.text, "position") == "Enter a whole number, such as 10."
    assert await KbCategory.count() == 2

    renamed = await post(client, f"/backoffice/kb/categories/{billing['id']}", CATEGORY | {"name_en": "Payments"})
    assert renamed.status_code == 303
    assert (await KbCategory.select(KbCategory.name_en).where(KbCategory.id == billing["id"]).first()) == {
        "name_en": "Payments"
    }
    assert (await client.get("/backoffice/kb/categories/999")).status_code == 404
