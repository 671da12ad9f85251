"""The public knowledge-base pages: home, categories, articles, "was this helpful?", views and the sitemap."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from portal.app import create_app
from portal.db.kb_tables import ArticleFeedback
from portal.db.tables import Role
from portal.settings import AuthSettings, SecuritySettings, Settings
from tests.conftest import TEST_SECRET
from tests.factories import csrf_headers, make_user, sign_in
from tests.harness import running
from tests.web.kb_pages_helpers import counts, make_article, make_category

Client = httpx.AsyncClient


async def as_role(client: Client, role: str) -> None:
    if role == "customer":
        await sign_in(client, (await make_user(Role.contact)).email)
    elif role == "staff":
        await sign_in(client, (await make_user(Role.agent)).email)


async def post_feedback(client: Client, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
    if "portal_csrf" not in client.cookies:
        await client.get("/kb")
    return await client.post(path, data=data, headers=csrf_headers(client) | headers, follow_redirects=False)


# --- Home and categories -----------------------------------------------------------------------------------------


async def test_home_shows_categories_in_the_viewers_language_and_popular_articles(client: Client) -> None:
    billing = await make_category("billing", name_en="Billing", name_el="Χρεώσεις")
    secret = await make_category("secret-stuff", name_en="Staff tricks", name_el="Κόλπα")
    await make_article("pay-invoice", category=billing, title="Paying an invoice", views=3)
    await make_article("refunds", category=billing, title="Getting a refund", views=40)
    await make_article("override", category=secret, title="Overriding limits", audience="internal", views=99)

    page = (await client.get("/kb")).text
    assert 'href="/kb/category/billing"' in page
    assert "Billing" in page
    assert "Staff tricks" not in page
    assert "Overriding limits" not in page
    assert page.index("Getting a refund") < page.index("Paying an invoice")  # most viewed first
    assert 'action="/kb/search"' in page
    assert 'hx-get="/kb/search/live"' in page

    greek = (await client.get("/kb", headers={"Accept-Language": "el"})).text
    assert "Χρεώσεις" in greek


async def test_category_page_lists_the_viewers_language_first_and_marks_the_other(client: Client) -> None:
    parent = await make_category("orders", name_en="Orders")
    child = await make_category("delivery", parent=parent, name_en="Delivery")
    await make_article("track", "en", category=child, title="Tracking a parcel")
    await make_article("track", "el", category=child, title="Παρακολούθηση δέματος")
    await make_article("returns", "el", category=child, title="Επιστροφές προϊόντων")
    await make_article("top-level", "en", category=parent, title="About orders")

    page = (await client.get("/kb/category/delivery")).text
    assert "Tracking a parcel" in page
    assert "Παρακολούθηση δέματος" not in page  # the viewer's language stands for the article
    assert page.index("Tracking a parcel") < page.index("Επιστροφές προϊόντων")
    returns = page[page.index("Επιστροφές προϊόντων") :]
    assert "Ελληνικά" in returns[:200]  # marked as Greek
    crumbs = page[page.index('class="kb-breadcrumbs"') :]
    assert crumbs.index('href="/kb"') < crumbs.index('href="/kb/category/orders"') < crumbs.index("Delivery")

    parent_page = (await client.get("/kb/category/orders")).text
    assert 'href="/kb/category/delivery"' in parent_page  # a subcategory
    assert "About orders" in parent_page


async def test_category_with_nothing_visible_is_a_404(client: Client) -> None:
    hidden = await make_category("internal-only")
    await make_article("secret", category=hidden, audience="internal")
    assert (await client.get("/kb/category/internal-only")).status_code == 404
    assert (await client.get("/kb/category/no-such-thing")).status_code == 404
    assert (await client.get("/kb/category/..%2Fetc")).status_code == 404


# --- Articles ----------------------------------------------------------------------------------------------------

AUDIENCE_CASES = [
    ("anonymous", {"public": 200, "customers": 404, "internal": 404}),
    ("customer", {"public": 200, "customers": 200, "internal": 404}),
    ("staff", {"public": 200, "customers": 200, "internal": 200}),
]


@pytest.mark.parametrize(("role", "expected"), AUDIENCE_CASES)
async def test_article_audience_per_role(client: Client, role: str, expected: dict[str, int]) -> None:
    for audience in expected:
        await make_article(f"for-{audience}", audience=audience, title=f"Article for {audience}")
    await as_role(client, role)
    for audience, status in expected.items():
        response = await client.get(f"/kb/article/for-{audience}/en")
        assert response.status_code == status, audience
        if status == 404:
            assert f"Article for {audience}" not in response.text


@pytest.mark.parametrize("status", ["draft", "archived"])
async def test_unpublished_articles_are_404_even_for_staff(client: Client, status: str) -> None:
    await make_article("unfinished", status=status, title="Half written")
    await as_role(client, "staff")
    response = await client.get("/kb/article/unfinished/en")
    assert response.status_code == 404
    assert "Half written" not in response.text
    assert (await client.get("/kb/article/unfinished")).status_code == 404


async def test_article_page_shows_body_breadcrumbs_translation_and_related(client: Client) -> None:
    category = await make_category("sign-in", name_en="Account and sign-in")
    await make_article(
        "reset-password",
        "en",
        category=category,
        title="Resetting your password",
        summary="Choose a new password when you forgot the old one.",
        body_html='<h2 id="steps">Steps</h2><p>Open <strong>Forgot password</strong>.</p>',
        tags=["password"],
    )
    await make_article("reset-password", "el", category=category, title="Επαναφορά κωδικού")
    await make_article("two-factor", "en", category=category, title="Two-step sign-in")
    await make_article("passwords-tips", "en", title="Strong passwords", tags=["password"])
    await make_article("unrelated", "en", title="Delivery times")
    await make_article("hidden-related", "en", category=category, title="Agent reset tool", audience="internal")

    response = await client.get("/kb/article/reset-password/en")
    page = response.text
    assert response.status_code == 200
    assert "<title>Resetting your password · Knowledge base · Customer portal</title>" in page
    assert '<meta name="description" content="Choose a new password when you forgot the old one.">' in page
    assert "<strong>Forgot password</strong>" in page  # the stored HTML, not escaped
    crumbs = page[page.index('class="kb-breadcrumbs"') :]
    assert crumbs.index('href="/kb"') < crumbs.index('href="/kb/category/sign-in"')
    assert 'href="/kb/article/reset-password/el"' in page
    assert "Read this article in Ελληνικά" in page
    assert "Last updated" in page
    assert "2026" in page
    related = page[page.index('id="kb-related"') :]
    assert "Two-step sign-in" in related
    assert "Strong passwords" in related
    assert "Delivery times" not in related
    assert "Agent reset tool" not in related
    assert 'id="feedback"' in page


async def test_article_without_language_goes_to_the_viewers_then_the_other(client: Client) -> None:
    await make_article("both", "en")
    await make_article("both", "el")
    await make_article("greek-only", "el")
    greek = await client.get("/kb/article/both", headers={"Accept-Language": "el"}, follow_redirects=False)
    assert greek.status_code == 302
    assert greek.headers["location"] == "/kb/article/both/el"
    english = await client.get("/kb/article/both", follow_redirects=False)
    assert english.headers["location"] == "/kb/article/both/en"
    fallback = await client.get("/kb/article/greek-only", follow_redirects=False)
    assert fallback.headers["location"] == "/kb/article/greek-only/el"
    assert (await client.get("/kb/article/greek-only/en")).status_code == 404
    assert (await client.get("/kb/article/both/fr")).status_code == 404


async def test_each_view_is_counted(client: Client) -> None:
    article = await make_article("counted")
    for _ in range(3):
        assert (await client.get("/kb/article/counted/en")).status_code == 200
    assert (await counts(article))["views"] == 3
    await client.get("/kb/article/counted/el")  # a miss counts nothing
    assert (await counts(article))["views"] == 3


async def test_title_with_markup_is_escaped_and_the_page_keeps_the_csp(client: Client) -> None:
    await make_article("xss", title='<script>alert("x")</script>', summary='"><img src=x onerror=alert(1)>')
    response = await client.get("/kb/article/xss/en")
    page = response.text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert "<img src=x" not in page
    assert "script-src 'self'" in response.headers["content-security-policy"]
    for path in ("/kb", "/kb/article/xss/en", "/kb/search?q=router"):
        html = (await client.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path  # no inline script
        assert "<style" not in html, path
        assert " style=" not in html, path


# --- Was this helpful? -------------------------------------------------------------------------------------------


async def test_feedback_is_saved_and_counted(client: Client) -> None:
    article = await make_article("helpful")
    await client.get("/kb/article/helpful/en")
    yes = await post_feedback(client, "/kb/article/helpful/en/feedback", {"helpful": "yes", "comment": "Clear, thanks"})
    assert yes.status_code == 303
    assert yes.headers["location"] == "/kb/article/helpful/en#feedback"
    assert "Thank you for your feedback." in (await client.get(yes.headers["location"])).text
    no = await post_feedback(client, "/kb/article/helpful/en/feedback", {"helpful": "no"})
    assert no.status_code == 303
    assert await counts(article) | {"views": 0} == {"views": 0, "helpful_yes": 1, "helpful_no": 1}
    comments = await ArticleFeedback.select(ArticleFeedback.comment).order_by(ArticleFeedback.id)
    assert [row["comment"] for row in comments] == ["Clear, thanks", ""]


async def test_feedback_by_htmx_swaps_in_a_thank_you(client: Client) -> None:
    article = await make_article("helpful")
    response = await post_feedback(
        client, "/kb/article/helpful/en/feedback", {"helpful": "yes"}, **{"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Thank you for your feedback." in response.text
    assert (await counts(article))["helpful_yes"] == 1
    wrong = await post_feedback(client, "/kb/article/helpful/en/feedback", {"helpful": ""}, **{"HX-Request": "true"})
    assert wrong.status_code == 422
    assert "<html" not in wrong.text
    assert "Please answer yes or no." in wrong.text


async def test_feedback_without_an_answer_says_so_and_saves_nothing(client: Client) -> None:
    article = await make_article("helpful")
    response = await post_feedback(client, "/kb/article/helpful/en/feedback", {"helpful": "maybe", "comment": "hm"})
    assert response.status_code == 422
    assert "Please answer yes or no." in response.text
    assert ">hm</textarea>" in response.text  # the comment kept
    too_long = await post_feedback(client, "/kb/article/helpful/en/feedback", {"helpful": "no", "comment": "x" * 2001})
    assert too_long.status_code == 422
    assert 'id="error-comment"' in too_long.text
    assert await counts(article) == {"views": 0, "helpful_yes": 0, "helpful_no": 0}
    assert await ArticleFeedback.count() == 0


async def test_feedback_needs_csrf_and_a_visible_article(client: Client) -> None:
    await make_article("helpful")
    await make_article("secret", audience="internal")
    await client.get("/kb")
    no_token = await client.post("/kb/article/helpful/en/feedback", data={"helpful": "yes"}, follow_redirects=False)
    assert no_token.status_code == 403
    hidden = await post_feedback(client, "/kb/article/secret/en/feedback", {"helpful": "yes"})
    assert hidden.status_code == 404
    assert await ArticleFeedback.count() == 0


async def test_feedback_is_rate_limited(settings_factory: Any, migrated_database: str, tmp_path: Path) -> None:
    settings: Settings = settings_factory(
        data_dir=tmp_path, security=SecuritySettings(secret_key=TEST_SECRET, form_rate_limit=2)
    )
    app: Litestar = create_app(settings)
    await make_article("helpful")
    async with running(app) as client:
        statuses = [
            (await post_feedback(client, "/kb/article/helpful/en/feedback", {"helpful": "yes"})).status_code
            for _ in range(3)
        ]
    assert statuses == [303, 303, 429]
    assert await ArticleFeedback.count() == 2


async def test_staff_who_must_still_enrol_in_two_factor_read_as_customers(
    settings_factory: Any, migrated_database: str, tmp_path: Path
) -> None:
    settings: Settings = settings_factory(data_dir=tmp_path, auth=AuthSettings(require_staff_2fa=True))
    app: Litestar = create_app(settings)
    await make_article("override-limits", audience="internal", title="Overriding limits")
    await make_article("pay-invoice", audience="customers", title="Paying an invoice")
    async with running(app) as client:
        await app.state.search.rebuild()
        await sign_in(client, (await make_user(Role.agent)).email)
        assert (await client.get("/kb/article/override-limits/en")).status_code == 404
        assert (await client.get("/kb/article/pay-invoice/en")).status_code == 200
        assert "Overriding limits" not in (await client.get("/kb/search?q=overriding+limits")).text
        assert "Overriding limits" not in (await client.get("/kb")).text


# --- Sitemap -----------------------------------------------------------------------------------------------------


async def test_sitemap_lists_public_published_articles_only(client: Client) -> None:
    shown = await make_category("shown-category")
    hidden = await make_category("hidden-category")
    await make_article("public-one", "en", category=shown)
    await make_article("public-one", "el")
    await make_article("customers-one", audience="customers", category=hidden)
    await make_article("internal-one", audience="internal")
    await make_article("draft-one", status="draft")
    await make_article("archived-one", status="archived")

    response = await client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    xml = response.text
    assert "<loc>http://testserver.local/kb/article/public-one/en</loc><lastmod>2026-11-05</lastmod>" in xml
    assert "<loc>http://testserver.local/kb/article/public-one/el</loc>" in xml
    assert "<loc>http://testserver.local/kb/category/shown-category</loc>" in xml
    for unlisted in ("customers-one", "internal-one", "draft-one", "archived-one", "hidden-category"):
        assert unlisted not in xml
