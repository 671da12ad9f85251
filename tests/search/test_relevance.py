"""Relevance over the real seed articles: the labelled set in `relevance_set.py` (Greek and English queries as
people type them) must find its article in the top three at least 95% of the time, and every query labelled
"first" must put its article first. The figures are printed (`pytest -s`) for the README and closing notes."""

from __future__ import annotations

import json

import pytest

from portal.search.whoosh_backend import WhooshBackend
from tests.search.relevance_set import ENGLISH, GREEK, QUERIES, build_index, measure

TOP3_GOAL = 0.95


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    backend: WhooshBackend = build_index(tmp_path_factory.mktemp("relevance") / "search")
    found = measure(backend)
    summary = {key: found[key] for key in ("queries", "greek", "english", "top1", "top3", "outside_top3")}
    print("\nKB relevance:", json.dumps(summary, ensure_ascii=False))
    return found


def test_the_set_is_large_and_bilingual() -> None:
    assert len(QUERIES) >= 60
    assert len(GREEK) >= 25
    assert len(ENGLISH) >= 25
    kinds = {labelled.kind for labelled in QUERIES}
    assert {"accentless", "caps", "inflected", "typo", "mixed"} <= kinds


def test_top3_accuracy_meets_the_goal(figures: dict[str, object]) -> None:
    assert isinstance(figures["top3"], float)
    assert figures["top3"] >= TOP3_GOAL, figures["outside_top3"]


def test_every_query_labelled_first_finds_its_article_first(figures: dict[str, object]) -> None:
    assert figures["must_be_first_missed"] == []
