"""The interface the portal searches through, so that a multi-node deployment can put PostgreSQL full-text or
a search server behind it instead of the whoosh index on local disk."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from portal.search.documents import Clearance, SearchDocument, SearchQuery, SearchResults

Progress = Callable[[int], None]  # called with the number of documents indexed so far


class SearchBackend(Protocol):
    def index(self, documents: Iterable[SearchDocument]) -> None:
        """Add documents, replacing any with the same id; visible to every process once this returns."""

    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents (unpublished or deleted articles); unknown ids are ignored."""

    def search(self, query: SearchQuery) -> SearchResults:
        """One page of matches the viewer's clearance allows, with counts and facets over those only."""

    def suggest(self, prefix: str, clearance: Clearance, limit: int = 8) -> list[str]:
        """Words starting with the last word of `prefix` (accents ignored), from documents the viewer may see,
        most frequent first, as written in the documents."""

    def did_you_mean(self, text: str, clearance: Clearance) -> str | None:
        """The query with unknown words replaced by close words from documents the viewer may see, or None."""

    def rebuild(self, documents: Iterable[SearchDocument], progress: Progress | None = None) -> int:
        """Index everything afresh and switch to it at once; searches keep answering meanwhile. Returns the
        number of documents."""
