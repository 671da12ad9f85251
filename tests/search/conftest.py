"""Small synthetic articles and a real whoosh index in tmp_path for each test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from portal.search.documents import SearchDocument
from portal.search.whoosh_backend import WhooshBackend


def make_document(slug: str = "article", language: str = "en", **overrides: Any) -> SearchDocument:
    values: dict[str, Any] = {
        "id": f"{slug}:{language}",
        "slug": slug,
        "language": language,
        "title": f"Article {slug}",
        "summary": "",
        "body": "",
        "tags": [],
        "products": ["crm"],
        "category": "general",
        "audience": "public",
        "updated": datetime(2026, 11, 1, tzinfo=UTC),
    }
    values.update(overrides)
    return SearchDocument(**values)


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    return tmp_path / "search"


@pytest.fixture
def build(index_path: Path) -> Callable[..., WhooshBackend]:
    def make(*documents: SearchDocument) -> WhooshBackend:
        backend = WhooshBackend(index_path, write_timeout=10.0)
        backend.rebuild(documents)
        return backend

    return make
