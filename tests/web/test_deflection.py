"""Case deflection on the web: suggestions beside the new-case form (htmx and without JavaScript), a suggested
article with "this answered my question" and "I still need help", and the back office's figures, chart and CSV."""

from __future__ import annotations

import csv
import io
import re

import httpx
from litestar import Litestar

from portal.db.kb_tables import Deflection
from portal.db.tables import Role
from portal.services import deflection
from portal.services.kb_index import KnowledgeSearch
from portal.services.users import CurrentUser
from tests.factories import csrf_headers, make_user
from tests.services.test_deflection import period
from tests.web.customer_cases_helpers import customer_of, signed_in
from tests.web.kb_pages_helpers import make_article

HTMX = {"HX-Request": "true"}
TOKEN = re.compile(r'name="deflection" value="([^"]+)"')


async def published(search: KnowledgeSearch, *articles: tuple[str, str, str]) -> dict[str, int]:
    """(slug, title, body) articles, published in English and indexed: {slug: id}."""
    ids = {
        slug: await make_article(slug, title=title, summary=body, body=body, body_html=f"<p>{body}</p>")
        for slug, title, body in articles
    }
    await search.rebuild()
    return ids


async def kb(search: KnowledgeSearch) -> dict[str, int]:
    return await published(
        search,
        ("reset-password", "Reset your password", "Forgot your password? Use the reset link on the sign-in page."),
        ("invoice-copy", "Get a copy of an invoice", "Download any invoice from the billing page as a PDF."),
    )


async def new_form(client: httpx.AsyncClient, user: CurrentUser) -> str:
    """Sign in as `user`, open the new-case form and return its deflection token."""
    await signed_in(client, user)
    page = await client.get("/cases/new")
    assert page.status_code == 200
    found = TOKEN.search(page.text)
    assert found, "the form carries a deflection token"
    return found.group(1)


def typed(token: str, subject: str, description: str = "") -> dict[str, str]:
    return {
        "deflection": token,
        "type": "question",
        "priority": "normal",
        "subject": subject,
        "description": description,
    }


async def post(client: httpx.AsyncClient, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
    return await client.post(path, data=data, headers=csrf_headers(client) | headers, follow_redirects=False)


async def test_suggestions_appear_as_the_customer_types_counted_once(app: Litestar, client: httpx.AsyncClient) -> None:
    ids = await kb(app.state.search)
    token = await new_form(client, await customer_of())

    first = await post(client, "/cases/new/suggestions", typed(token, "I forgot my password"), **HTMX)
    again = await post(client, "/cases/new/suggestions", typed(token, "I forgot my password", "help"), **HTMX)

    assert first.status_code == again.status_code == 200
    assert "<html" not in first.text
    assert "Reset your password" in first.text
    assert f'href="/cases/new/suggested/{token}/{ids["reset-password"]}"' in first.text
    assert "Get a copy of an invoice" not in first.text
    assert (await deflection.deflection_stats(*period())).impressions == 1


async def test_opening_the_form_records_nothing_until_suggestions_are_asked_for(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    await kb(app.state.search)
    user = await customer_of()
    first = await new_form(client, user)
    again = TOKEN.search((await client.get("/cases/new")).text)
    assert again is not None
    assert again.group(1) != first
    assert await Deflection.count() == 0

    shown = await post(client, "/cases/new/suggestions", typed(again.group(1), "I forgot my password"), **HTMX)

    assert "Reset your password" in shown.text
    rows = await Deflection.select(Deflection.token, Deflection.user, Deflection.outcome)
    assert rows == [{"token": again.group(1), "user": user.id, "outcome": "pending"}]


async def test_suggestion_snippets_show_text_not_markdown_or_markup(app: Litestar, client: httpx.AsyncClient) -> None:
    await published(
        app.state.search,
        ("printer-jam", "Clear a printer jam", "Open **tray 2** and see [the guide](https://example.com) <b>now</b>"),
    )
    token = await new_form(client, await customer_of())

    panel = (await post(client, "/cases/new/suggestions", typed(token, "printer tray jam"), **HTMX)).text

    assert "Clear a printer jam" in panel
    assert "**" not in panel
    assert "](https" not in panel
    assert "<b>" not in panel
    assert "<mark>" in panel


async def test_the_new_case_page_has_the_panel_and_a_find_answers_button(client: httpx.AsyncClient) -> None:
    await new_form(client, await customer_of())
    page = (await client.get("/cases/new")).text

    assert 'hx-post="/cases/new/suggestions"' in page
    assert 'formaction="/cases/new/suggestions"' in page
    assert "<script>" not in page
    assert "style=" not in page


async def test_find_answers_without_javascript_keeps_everything_typed(app: Litestar, client: httpx.AsyncClient) -> None:
    await kb(app.state.search)
    token = await new_form(client, await customer_of())

    page = await post(
        client, "/cases/new/suggestions", typed(token, "Copy of my invoice", "For March, please & thanks")
    )

    assert page.status_code == 200
    assert "<html" in page.text
    assert 'value="Copy of my invoice"' in page.text
    assert "For March, please &amp; thanks</textarea>" in page.text
    assert f'name="deflection" value="{token}"' in page.text
    assert "Get a copy of an invoice" in page.text


async def test_another_customers_token_is_refused(app: Litestar, client: httpx.AsyncClient) -> None:
    ids = await kb(app.state.search)
    token = await new_form(client, await customer_of())
    await post(client, "/cases/new/suggestions", typed(token, "password"), **HTMX)
    await client.post("/logout", headers=csrf_headers(client))
    await new_form(client, await customer_of())

    refused = [
        await post(client, "/cases/new/suggestions", typed(token, "invoice"), **HTMX),
        await client.get(f"/cases/new/suggested/{token}/{ids['reset-password']}"),
        await post(client, f"/cases/new/suggested/{token}/{ids['reset-password']}/answered", {}),
        await client.get(f"/cases/new/draft/{token}"),
    ]

    assert [response.status_code for response in refused] == [404] * 4
    assert (await Deflection.select(Deflection.outcome).where(Deflection.token == token).first()) == {
        "outcome": "pending"
    }


async def test_an_article_that_answered_the_question_ends_the_form(app: Litestar, client: httpx.AsyncClient) -> None:
    ids = await kb(app.state.search)
    token = await new_form(client, await customer_of())
    await post(client, "/cases/new/suggestions", typed(token, "password"), **HTMX)

    article = await client.get(f"/cases/new/suggested/{token}/{ids['reset-password']}")
    assert article.status_code == 200
    assert '<h1 id="article-title">Reset your password</h1>' in article.text
    assert "<p>Forgot your password? Use the reset link on the sign-in page.</p>" in article.text
    assert f'action="/cases/new/suggested/{token}/{ids["reset-password"]}/answered"' in article.text

    done = await post(client, f"/cases/new/suggested/{token}/{ids['reset-password']}/answered", {})

    assert done.status_code == 200
    assert 'href="/kb"' in done.text
    assert 'href="/cases"' in done.text
    stats = await deflection.deflection_stats(*period())
    assert (stats.impressions, stats.clicks, stats.deflected, stats.rate) == (1, 1, 1, 1.0)


async def test_an_article_never_suggested_on_the_form_is_not_shown(app: Litestar, client: httpx.AsyncClient) -> None:
    ids = await kb(app.state.search)
    token = await new_form(client, await customer_of())
    await post(client, "/cases/new/suggestions", typed(token, "password"), **HTMX)

    assert (await client.get(f"/cases/new/suggested/{token}/{ids['invoice-copy']}")).status_code == 404


async def test_i_still_need_help_brings_the_form_back_as_typed(app: Litestar, client: httpx.AsyncClient) -> None:
    ids = await kb(app.state.search)
    token = await new_form(client, await customer_of())
    await post(client, "/cases/new/suggestions", typed(token, "Forgot password", "Since Monday"), **HTMX)
    article = await client.get(f"/cases/new/suggested/{token}/{ids['reset-password']}")
    assert f'href="/cases/new/draft/{token}"' in article.text

    form = await client.get(f"/cases/new/draft/{token}")

    assert form.status_code == 200
    assert 'value="Forgot password"' in form.text
    assert "Since Monday</textarea>" in form.text
    assert f'name="deflection" value="{token}"' in form.text


async def test_sending_the_case_marks_the_form_case_opened(app: Litestar, client: httpx.AsyncClient) -> None:
    await kb(app.state.search)
    token = await new_form(client, await customer_of())
    await post(client, "/cases/new/suggestions", typed(token, "password"), **HTMX)

    sent = await post(client, "/cases", typed(token, "Forgot password", "The reset link does not arrive."))

    assert sent.status_code == 303
    stats = await deflection.deflection_stats(*period())
    assert (stats.cases_opened, stats.deflected, stats.rate) == (1, 0, 0.0)


async def test_the_back_office_shows_figures_chart_and_csv(app: Litestar, client: httpx.AsyncClient) -> None:
    ids = await kb(app.state.search)
    token = await new_form(client, await customer_of())
    await post(client, "/cases/new/suggestions", typed(token, "password"), **HTMX)
    await post(client, "/cases", typed(token, "Forgot password", "The reset link does not arrive."))
    await client.post("/logout", headers=csrf_headers(client))
    await signed_in(client, await make_user(Role.agent))

    page = await client.get("/backoffice/kb/deflection")
    chart = await client.get("/backoffice/kb/deflection/chart.svg")
    export = await client.get("/backoffice/kb/deflection.csv")

    assert page.status_code == 200
    assert "Cases opened after suggestions" in page.text
    assert f'href="/backoffice/kb/{ids["reset-password"]}/edit"' in page.text
    assert '<img class="deflection-chart" src="/backoffice/kb/deflection/chart.svg?' in page.text
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in chart.text
    assert "<script" not in chart.text
    assert "script-src" not in chart.headers["content-security-policy"]
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][0] == "article_id"
    assert rows[1][:6] == [str(ids["reset-password"]), "reset-password", "en", "Reset your password", "1", "0"]


async def test_the_period_is_checked_and_customers_are_kept_out(client: httpx.AsyncClient) -> None:
    await signed_in(client, await make_user(Role.agent))
    backwards = await client.get("/backoffice/kb/deflection?date_from=2026-05-02&date_to=2026-05-01")
    assert backwards.status_code == 422
    assert "The end date is before the start date." in backwards.text
    await client.post("/logout", headers=csrf_headers(client))
    await signed_in(client, await customer_of())
    assert (await client.get("/backoffice/kb/deflection")).status_code == 403


async def test_a_malformed_token_is_a_miss_not_an_error(app: Litestar, client: httpx.AsyncClient) -> None:
    ids = await kb(app.state.search)
    token = await new_form(client, await customer_of())
    article = ids["reset-password"]

    for bad in ("%00", "a%0A", "x" * 65, "%C2%B2"):
        assert (await client.get(f"/cases/new/suggested/{bad}/{article}")).status_code == 404
        assert (await client.get(f"/cases/new/draft/{bad}")).status_code == 404
    suggestions = await post(client, "/cases/new/suggestions", typed("bad\x00token", "password"), **HTMX)
    sent = await post(client, "/cases", typed(token + "\x00", "Forgot password", "It still fails."))

    assert suggestions.status_code == 404
    assert sent.status_code == 303  # the case is opened; the token is ignored


async def test_an_emptied_form_shows_what_the_panel_is_for(app: Litestar, client: httpx.AsyncClient) -> None:
    await kb(app.state.search)
    token = await new_form(client, await customer_of())

    nothing = await post(client, "/cases/new/suggestions", typed(token, "zebra"), **HTMX)
    emptied = await post(client, "/cases/new/suggestions", typed(token, "  "), **HTMX)

    assert "No article matches what you wrote yet." in nothing.text
    assert "articles that may answer it appear here" in emptied.text


async def test_dates_out_of_reach_are_refused_not_an_error(client: httpx.AsyncClient) -> None:
    await signed_in(client, await make_user(Role.agent))
    for query in ("date_from=9999-12-31", "date_to=0001-01-01", "date_from=9999-12-30&date_to=9999-12-31"):
        page = await client.get(f"/backoffice/kb/deflection?{query}")
        assert page.status_code == 422, query
        assert "Enter a date between 2000-01-01 and 2999-12-31." in page.text
        # the chart and the export fall back to the last 30 days
        assert (await client.get(f"/backoffice/kb/deflection/chart.svg?{query}")).status_code == 200
        assert (await client.get(f"/backoffice/kb/deflection.csv?{query}")).status_code == 200
