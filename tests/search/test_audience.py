"""The audience filter is part of every whoosh query: what a viewer may not see leaves no trace in results,
counts, facets, suggestions or corrections."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from portal.search.documents import Clearance, SearchQuery
from portal.search.whoosh_backend import WhooshBackend
from tests.search.conftest import make_document

# Each audience has its own secret word, category and product, plus a word all share.
DOCUMENTS = [
    make_document(
        f"{audience}-guide",
        title=f"Gateway {audience} guide",
        body=f"The gateway setup explained. Keyword {secret} appears only here.",
        audience=audience,
        category=f"{audience}-category",
        products=[f"{audience}-product"],
    )
    for audience, secret in (("public", "zephyrine"), ("customers", "quokkalite"), ("internal", "wombatrix"))
]
SEES = {
    "anonymous": {"public"},
    "customer": {"public", "customers"},
    "staff": {"public", "customers", "internal"},
}
SECRETS = {"public": "zephyrine", "customers": "quokkalite", "internal": "wombatrix"}


@pytest.fixture
def backend(build: Callable[..., WhooshBackend]) -> WhooshBackend:
    return build(*DOCUMENTS)


@pytest.mark.parametrize("clearance", ["anonymous", "customer", "staff"])
def test_results_counts_and_facets_hold_only_what_the_viewer_may_see(
    backend: WhooshBackend, clearance: Clearance
) -> None:
    results = backend.search(SearchQuery("gateway", clearance, "en"))
    seen = SEES[clearance]
    assert {hit.id for hit in results.hits} == {f"{audience}-guide:en" for audience in seen}
    assert results.total == len(seen)
    assert set(results.facets["category"]) == {f"{audience}-category" for audience in seen}
    assert set(results.facets["product"]) == {f"{audience}-product" for audience in seen}
    assert results.facets["language"] == {"en": len(seen)}


@pytest.mark.parametrize("clearance", ["anonymous", "customer", "staff"])
@pytest.mark.parametrize("audience", ["public", "customers", "internal"])
def test_a_secret_word_is_found_suggested_and_corrected_only_for_those_cleared(
    backend: WhooshBackend, clearance: Clearance, audience: str
) -> None:
    secret = SECRETS[audience]
    allowed = audience in SEES[clearance]
    assert backend.search(SearchQuery(secret, clearance, "en")).total == (1 if allowed else 0)
    assert (secret in backend.suggest(secret[:3], clearance)) is allowed
    assert (backend.did_you_mean(secret[:3] + secret[4:], clearance) == secret) is allowed
    # Facet filters cannot be used to probe for hidden articles either.
    filtered = SearchQuery("gateway", clearance, "en", category=f"{audience}-category")
    assert backend.search(filtered).total == (1 if allowed else 0)


def test_a_document_moved_to_internal_stops_being_suggested_to_customers(backend: WhooshBackend) -> None:
    moved = make_document("public-guide", title="Gateway guide", body="zephyrine", audience="internal")
    backend.index([moved])
    assert backend.suggest("zeph", "customer") == []
    assert backend.did_you_mean("zephyrina", "customer") is None
    assert backend.search(SearchQuery("zephyrine", "customer", "en")).total == 0
    assert backend.suggest("zeph", "staff") == ["zephyrine"]


def test_a_deleted_document_leaves_no_suggestions(backend: WhooshBackend) -> None:
    backend.delete(["public-guide:en"])
    assert backend.suggest("zeph", "staff") == []
    assert backend.did_you_mean("zephyrina", "staff") is None
