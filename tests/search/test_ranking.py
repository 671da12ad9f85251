"""Ranking, highlighting, facets and did-you-mean on small bilingual articles."""

from __future__ import annotations

from collections.abc import Callable

from portal.search.documents import SearchQuery
from portal.search.whoosh_backend import WhooshBackend
from tests.search.conftest import make_document


def test_a_title_match_outranks_tags_which_outrank_the_body(build: Callable[..., WhooshBackend]) -> None:
    backend = build(
        make_document("in-body", body="How to configure the router at the office. " * 3),
        make_document("in-tags", tags=["router"], body="Network equipment notes."),
        make_document("in-title", title="Router settings", body="Network equipment notes."),
    )
    hits = backend.search(SearchQuery("router", "anonymous", "en")).hits
    assert [hit.slug for hit in hits] == ["in-title", "in-tags", "in-body"]


def test_the_viewers_language_comes_first_without_hiding_the_other(build: Callable[..., WhooshBackend]) -> None:
    backend = build(
        make_document("vpn", "en", title="VPN setup", body="Install the VPN client."),
        make_document("vpn", "el", title="Ρύθμιση VPN", body="Εγκαταστήστε το VPN client."),
    )
    greek = backend.search(SearchQuery("vpn", "anonymous", "el")).hits
    english = backend.search(SearchQuery("vpn", "anonymous", "en")).hits
    assert [hit.language for hit in greek] == ["el", "en"]
    assert [hit.language for hit in english] == ["en", "el"]


def test_a_greek_query_finds_inflected_forms_without_accents(build: Callable[..., WhooshBackend]) -> None:
    backend = build(
        make_document("accounts", "el", title="Οι λογαριασμοί των πελατών", body="Τα τιμολόγια του λογαριασμού."),
        make_document("other", "el", title="Εκτυπωτές", body="Ρύθμιση εκτυπωτή."),
    )
    for typed in ("λογαριασμος πελατης", "ΛΟΓΑΡΙΑΣΜΟΣ", "τιμολογιων"):
        assert [hit.slug for hit in backend.search(SearchQuery(typed, "anonymous", "el")).hits] == ["accounts"]


def test_snippets_escape_the_document_and_mark_the_matches(build: Callable[..., WhooshBackend]) -> None:
    backend = build(make_document(body='Paste <script>alert("x")</script> into the invoice & save the invoice.'))
    [hit] = backend.search(SearchQuery("invoice", "anonymous", "en")).hits
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert "&amp;" in hit.snippet_html
    assert '<mark class="match term0">invoice</mark>' in hit.snippet_html


def test_facets_count_matches_and_filters_narrow_them(build: Callable[..., WhooshBackend]) -> None:
    backend = build(
        make_document("a", "en", body="backup", category="data", products=["erp", "crm"]),
        make_document("a", "el", body="backup", category="data", products=["erp"]),
        make_document("b", "en", body="backup", category="security", products=["crm"]),
        make_document("c", "en", body="unrelated", category="misc", products=["hr"]),
    )
    results = backend.search(SearchQuery("backup", "anonymous", "en"))
    assert results.total == 3
    assert results.facets == {
        "category": {"data": 2, "security": 1},
        "language": {"en": 2, "el": 1},
        "product": {"crm": 2, "erp": 2},
    }
    narrowed = backend.search(SearchQuery("backup", "anonymous", "en", product="erp", languages=("el",)))
    assert [hit.id for hit in narrowed.hits] == ["a:el"]


def test_documents_with_every_word_come_before_those_with_some(build: Callable[..., WhooshBackend]) -> None:
    backend = build(
        make_document("both", body="printer driver"),
        make_document("one", title="Printer printer", body="printer paper printer"),  # more "printer", one word
        make_document("none", body="router"),
    )
    results = backend.search(SearchQuery("printer driver", "anonymous", "en"))
    assert [h.slug for h in results.hits] == ["both", "one"]
    assert results.total == 2
    # A word no document has neither empties the results nor outranks the words that are found.
    assert [h.slug for h in backend.search(SearchQuery("printer driver zzyzx", "anonymous", "en")).hits] == [
        "both",
        "one",
    ]


def test_typos_and_inflections_the_stemmer_misses_still_find_the_article(build: Callable[..., WhooshBackend]) -> None:
    backend = build(
        make_document("pw", "el", title="Επαναφορά κωδικού", body="Ο κωδικός πρόσβασης αλλάζει."),
        make_document("inv", "en", title="Invoices explained", body="Your invoice number."),
        make_document("net", "en", title="Weak Wi-Fi", body="Move the router."),
    )
    for typed, slug in [("κωδικος", "pw"), ("invoise", "inv"), ("ΚΩΔΙΚΟΥ", "pw"), ("wifi", "net"), ("wi fi", "net")]:
        assert [hit.slug for hit in backend.search(SearchQuery(typed, "anonymous", "en")).hits] == [slug], typed


def test_paging(build: Callable[..., WhooshBackend]) -> None:
    backend = build(*(make_document(f"doc{n}", body="modem " * (n + 1)) for n in range(5)))
    first = backend.search(SearchQuery("modem", "anonymous", "en", page_size=2))
    last = backend.search(SearchQuery("modem", "anonymous", "en", page=3, page_size=2))
    assert (first.total, first.pages, len(first.hits), len(last.hits)) == (5, 3, 2, 1)


def test_did_you_mean_corrects_unknown_words_and_restores_accents(build: Callable[..., WhooshBackend]) -> None:
    backend = build(
        make_document("pw", "en", title="Change your password", body="Choose a strong password."),
        make_document("pw", "el", title="Αλλαγή κωδικού πρόσβασης", body="Ο κωδικός πρόσβασης αλλάζει εδώ."),
    )
    assert backend.did_you_mean("pasword", "anonymous") == "password"
    assert backend.did_you_mean("κωδικο προσβασεις", "anonymous") == "κωδικός πρόσβασης"
    assert backend.did_you_mean("password", "anonymous") is None  # nothing to correct


def test_suggestions_complete_the_last_word_whatever_its_accents(build: Callable[..., WhooshBackend]) -> None:
    backend = build(
        make_document("c", "el", title="Ο πελάτης", body="Πελάτες και πελάτης."),
        make_document("d", "el", title="Νέος πελάτης"),
        make_document("p", "en", title="Passwords", body="password pass"),
        make_document("q", "en", title="Password"),
    )
    # Most documents first, then alphabetically; each word as the documents write it.
    assert backend.suggest("ΠΕΛΑ", "anonymous") == ["πελάτης", "πελάτες"]
    assert backend.suggest("change pass", "anonymous") == ["password", "pass", "passwords"]
    assert backend.suggest("p", "anonymous") == []
