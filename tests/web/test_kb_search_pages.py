"""Searching the knowledge base from the site: the results page, its facets and paging, "did you mean", the live
fragment under the search box and word completions, each within what the viewer may read."""

from __future__ import annotations

import httpx
from litestar import Litestar

from portal.db.tables import Product, Role
from tests.factories import make_user, sign_in
from tests.web.kb_pages_helpers import make_article, make_category, reindex

Client = httpx.AsyncClient
HTMX = {"HX-Request": "true"}


async def results_of(client: Client, query: str) -> str:
    response = await client.get(f"/kb/search?{query}")
    assert response.status_code == 200
    return response.text


def result_section(page: str) -> str:
    start = page.index('class="kb-results"')
    return page[start : page.index("</ol>", start)]


async def test_results_respect_the_viewers_audience(client: Client, app: Litestar) -> None:
    await make_article("modem-public", title="Modem lights explained")
    await make_article("modem-customers", title="Modem warranty claims", audience="customers")
    await make_article("modem-internal", title="Modem factory reset codes", audience="internal")
    await reindex(app)

    anonymous = result_section(await results_of(client, "q=modem"))
    assert "Modem lights explained" in anonymous
    assert "warranty" not in anonymous
    assert "factory reset codes" not in anonymous

    await sign_in(client, (await make_user(Role.contact)).email)
    customer = await results_of(client, "q=modem")
    assert "Modem warranty claims" in customer
    assert "factory reset codes" not in customer
    assert "2 articles found" in customer

    staff_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
    async with staff_client:
        await sign_in(staff_client, (await make_user(Role.agent)).email)
        assert "Modem factory reset codes" in await results_of(staff_client, "q=modem")


async def test_facets_count_what_the_viewer_may_see_and_narrow_the_results(client: Client, app: Litestar) -> None:
    billing = await make_category("billing", name_en="Billing")
    network = await make_category("network", name_en="Network")
    await Product.insert(Product(code="fiber", name_en="Fibre internet", name_el="Οπτική ίνα"))
    await make_article("router-bill", category=billing, title="Router rental on your bill")
    await make_article("router-setup", category=network, title="Router setup", products=["fiber"])
    await make_article("router-lights", category=network, title="Router lights")
    await make_article("router-secret", category=billing, title="Router credit notes", audience="internal")
    await reindex(app)

    page = await results_of(client, "q=router")
    facets = page[page.index('class="kb-facets"') :]
    assert 'href="/kb/search?q=router&amp;category=network">Network</a> <span class="muted">(2)</span>' in facets
    assert 'href="/kb/search?q=router&amp;category=billing">Billing</a> <span class="muted">(1)</span>' in facets
    assert 'Fibre internet</a> <span class="muted">(1)</span>' in facets
    assert 'English</a> <span class="muted">(3)</span>' in facets

    narrowed = await results_of(client, "q=router&category=network")
    results = result_section(narrowed)
    assert "Router setup" in results
    assert "Router lights" in results
    assert "Router rental" not in results
    assert 'href="/kb/search?q=router" aria-current="true"' in narrowed  # the chosen value clears itself

    by_product = result_section(await results_of(client, "q=router&product=fiber"))
    assert "Router setup" in by_product
    assert "Router lights" not in by_product


async def test_results_come_in_both_languages_with_the_viewers_first(client: Client, app: Litestar) -> None:
    await make_article("invoice-en", "en", title="Invoice copies", body="invoice invoice")
    await make_article("invoice-el", "el", title="Αντίγραφα τιμολογίου (invoice)", body="invoice invoice invoice")
    await reindex(app)
    greek = result_section((await client.get("/kb/search?q=invoice", headers={"Accept-Language": "el"})).text)
    assert greek.index("Αντίγραφα τιμολογίου") < greek.index("Invoice copies")
    english = result_section(await results_of(client, "q=invoice"))
    assert english.index("Invoice copies") < english.index("Αντίγραφα τιμολογίου")
    assert "Ελληνικά" in english  # the other language is marked


async def test_paging_through_results(client: Client, app: Litestar) -> None:
    for number in range(12):
        await make_article(f"printer-{number:02}", title=f"Printer guide {number:02}")
    await reindex(app)
    first = await results_of(client, "q=printer")
    assert "12 articles found" in first
    assert result_section(first).count("<li>") == 10
    assert 'rel="next" href="/kb/search?q=printer&amp;page=2"' in first
    second = await results_of(client, "q=printer&page=2")
    assert result_section(second).count("<li>") == 2
    assert 'rel="prev" href="/kb/search?q=printer"' in second
    assert (await client.get("/kb/search?q=printer&page=abc")).status_code == 200  # junk falls back to page 1
    superscript = await client.get("/kb/search?q=printer&page=%C2%B2")  # "²" is a digit to str.isdigit, not to int
    assert superscript.status_code == 200
    assert result_section(superscript.text).count("<li>") == 10


async def test_did_you_mean_offers_a_corrected_search(client: Client, app: Litestar) -> None:
    await make_article("password", title="Changing your password", body="password password")
    await reindex(app)
    page = await results_of(client, "q=pasword")
    assert "Did you mean" in page
    assert 'href="/kb/search?q=password">password</a>' in page


async def test_snippets_escape_everything_but_the_highlight(client: Client, app: Litestar) -> None:
    await make_article(
        "escaping",
        title="Cable colours",
        body='Plug the <script>alert("x")</script> **red** cable colours into [port 2](/kb/article/ports/en).',
    )
    await reindex(app)
    page = await results_of(client, "q=cable")
    section = result_section(page)
    assert "<mark>" in section
    assert "<script>alert" not in section
    assert "&lt;script&gt;" in section
    assert "**" not in section  # Markdown's punctuation left out of the snippet
    assert "](/kb" not in section


async def test_live_search_fragment_shows_top_results(client: Client, app: Litestar) -> None:
    for number in range(7):
        await make_article(f"wifi-{number}", title=f"Wifi tip {number}")
    await make_article("wifi-staff", title="Wifi admin passwords", audience="internal")
    await reindex(app)

    fragment = await client.get("/kb/search/live?q=wifi", headers=HTMX)
    assert fragment.status_code == 200
    html = fragment.text
    assert "<html" not in html
    assert "7 articles found" in html
    assert result_section(html).count("<li>") == 5
    assert 'href="/kb/search?q=wifi"' in html  # all results
    assert "admin passwords" not in html
    assert '<datalist id="kb-suggestions" hx-swap-oob="true">' in html

    without_js = await client.get("/kb/search/live?q=wifi", follow_redirects=False)
    assert without_js.status_code == 302
    assert without_js.headers["location"] == "/kb/search?q=wifi"


async def test_suggestions_complete_words_the_viewer_may_see(client: Client, app: Litestar) -> None:
    await make_article("electricity", title="Electricity meter readings", body="electricity meter")
    await make_article("elephant", title="Elephant secret project", body="elephant", audience="internal")
    await reindex(app)
    html = (await client.get("/kb/suggest?q=ele")).text
    assert "<option" in html
    assert "electricity" in html.lower()
    assert "elephant" not in html.lower()


async def test_empty_search_shows_the_box_only(client: Client) -> None:
    page = await results_of(client, "q=")
    assert 'action="/kb/search"' in page
    assert "kb-results" not in page
