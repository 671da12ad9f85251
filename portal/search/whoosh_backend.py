"""`WhooshBackend`: the `SearchBackend` on a whoosh index on local disk.

Speed comes from four things, measured with `python -m bench.kb_search` (figures in bench/README.md):
- one searcher per thread, kept between searches and replaced only when the index has a new commit
  (whoosh searchers are not safe to share between threads);
- per-searcher caches of the document sets the audience, language and facet filters need, so that a search
  intersects Python sets instead of walking postings lists of half the index each time;
- one pass over each query term's postings, a block at a time (`whoosh_scoring`), giving BM25F scores, the
  exact count and the facets together, instead of whoosh's matcher tree stepped a document at a time;
- stored fields and snippets (`snippets`) only for the page of hits shown.

Query construction (stems, inflected forms, typo corrections) is in `whoosh_query`.
"""

from __future__ import annotations

import heapq
import html
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.index import FileIndex
from whoosh.query.compound import Or
from whoosh.query.terms import Term

from portal.search.analysis import STOP_WORDS, fold, query_words
from portal.search.backend import Progress
from portal.search.documents import (
    Audience,
    Clearance,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
    visible_audiences,
)
from portal.search.snippets import snippet
from portal.search.whoosh_query import FIELD_BOOSTS, word_terms
from portal.search.whoosh_scoring import length_norms, score_words
from portal.search.whoosh_store import IndexStore, fields_of

log = logging.getLogger(__name__)

LANGUAGE_BOOST = 1.5  # multiplies the score of documents in the viewer's language: ranks, never filters
FACETS = {"category": "category", "language": "language", "product": "products"}
WORD = re.compile(r"\w+")


@dataclass
class _Snapshot:
    """One thread's searcher on one generation, and the document sets computed from it."""

    generation: str
    searcher: Any  # whoosh.searching.Searcher, whose methods are mostly unannotated
    sets: dict[tuple[str, str], frozenset[int]] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)
    allowed_sets: dict[tuple[object, ...], set[int]] = field(default_factory=dict)
    length_norms: dict[str, list[float]] = field(default_factory=dict)

    def docs(self, fieldname: str, value: str) -> frozenset[int]:
        key = (fieldname, value)
        if key not in self.sets:
            self.sets[key] = frozenset(self.searcher.docs_for_query(Term(fieldname, value)))
        return self.sets[key]

    def visible(self, clearance: Clearance) -> frozenset[int]:
        key = ("clearance", clearance)
        if key not in self.sets:
            self.sets[key] = frozenset().union(*(self.docs("audience", a) for a in visible_audiences(clearance)))
        return self.sets[key]

    def allowed(self, query: SearchQuery) -> set[int]:
        """The documents the query may return (clearance and filters), as the mutable set whoosh wants for a
        filter (it takes no frozenset); computed once per searcher and combination. Callers must not change it.
        """
        key = (query.clearance, query.category, query.product, query.languages)
        if key not in self.allowed_sets:
            allowed = self.visible(query.clearance)
            if query.category is not None:
                allowed &= self.docs("category", query.category)
            if query.product is not None:
                allowed &= self.docs("products", query.product)
            if query.languages:
                allowed &= frozenset().union(*(self.docs("language", lang) for lang in query.languages))
            self.allowed_sets[key] = set(allowed)
        return self.allowed_sets[key]

    def norms(self) -> dict[str, list[float]]:
        """Per ranked field, each document's BM25 length normalisation, built once per searcher."""
        if not self.length_norms:
            reader = self.searcher.reader()
            self.length_norms.update({name: length_norms(reader, name) for name in FIELD_BOOSTS})
        return self.length_norms

    def field_values(self, fieldname: str) -> list[str]:
        if fieldname not in self.values:
            self.values[fieldname] = [value.decode() for value in self.searcher.lexicon(fieldname)]
        return self.values[fieldname]


class WhooshBackend:
    def __init__(self, path: Path, write_timeout: float = 30.0, snippet_chars: int = 240) -> None:
        self.store = IndexStore(path, write_timeout)
        self.snippet_chars = snippet_chars
        self._lock = threading.Lock()
        self._index: tuple[str, FileIndex] | None = None
        self._local = threading.local()

    # --- Writing ------------------------------------------------------------------------------------------

    def index(self, documents: Iterable[SearchDocument]) -> None:
        batch = [fields_of(document) for document in documents]
        self._write(lambda writer: [writer.update_document(**fields) for fields in batch])

    def delete(self, ids: Iterable[str]) -> None:
        wanted = list(ids)
        self._write(lambda writer: [writer.delete_by_term("id", doc_id) for doc_id in wanted])

    def rebuild(self, documents: Iterable[SearchDocument], progress: Progress | None = None) -> int:
        _, count = self.store.rebuild(documents, progress)
        return count

    def _write(self, change: Callable[..., object]) -> None:
        # Waits for whoosh's file lock (one writer at a time, across processes). A rebuild may swap indexes
        # while this waits; then the lock just obtained is on the old one, so give it back and start again.
        while True:
            generation, ix = self._current()
            writer = self.store.writer(ix)
            if self.store.current_name() != generation:
                writer.cancel()
                continue
            try:
                change(writer)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            return

    # --- Reading ------------------------------------------------------------------------------------------

    def _current(self) -> tuple[str, FileIndex]:
        name = self.store.current_name()
        if name is None:
            raise FileNotFoundError(f"no search index in {self.store.root}; rebuild it first")
        with self._lock:
            if self._index is None or self._index[0] != name:
                self._index = (name, self.store.open(name))
            return self._index

    def _snapshot(self) -> _Snapshot:
        generation, ix = self._current()
        snapshot: _Snapshot | None = getattr(self._local, "snapshot", None)
        # Not `searcher.refresh()`: in whoosh3 3.54.0 it reuses segment readers by segment id, so documents
        # deleted (or replaced) since stay visible, and it adds back segments a merge removed. A fresh
        # searcher after each commit costs about a millisecond; checking for one costs a directory listing.
        if snapshot is None or snapshot.generation != generation or not snapshot.searcher.up_to_date():
            if snapshot is not None:
                snapshot.searcher.close()
            snapshot = _Snapshot(generation, self.store.searcher(generation, ix))
        self._local.snapshot = snapshot
        return snapshot

    def search(self, query: SearchQuery) -> SearchResults:
        empty = SearchResults(hits=[], total=0, page=query.page, page_size=query.page_size)
        if not query_words(query.text):
            return empty
        snapshot = self._snapshot()
        allowed = snapshot.allowed(query)
        if not allowed:
            return empty
        reader = snapshot.searcher.reader()
        groups = word_terms(reader, query.text, visible_audiences(query.clearance))
        scores, per_word = score_words(reader, groups, snapshot.norms())
        found = [docs & allowed for docs in per_word]
        found = [docs for docs in found if docs]  # words no visible document has are left out
        if not found:
            return empty
        matched = set().union(*found)
        # Documents with every (found) word come first, then those with some; the viewer's language is boosted.
        every = set.intersection(*found) if len(found) > 1 else matched
        in_language = snapshot.docs("language", query.language)
        get = scores.get
        wanted = query.page * query.page_size
        best: list[tuple[float, int]] = []
        for tier in (every, matched - every) if len(every) < len(matched) else (matched,):
            if len(best) < wanted and tier:
                ranked = ((get(d, 0.0) * (LANGUAGE_BOOST if d in in_language else 1.0), -d) for d in tier)
                best += heapq.nlargest(wanted - len(best), ranked)
        page = [(score, -negative) for score, negative in best[wanted - query.page_size : wanted]]
        terms = {text for group in groups for text in group.stems}
        hits = [self._hit(snapshot, docnum, score, terms) for score, docnum in page]
        facets = self._facets(snapshot, matched) if query.facets else {}
        return SearchResults(hits=hits, total=len(matched), page=query.page, page_size=query.page_size, facets=facets)

    @staticmethod
    def _facets(snapshot: _Snapshot, matched: set[int]) -> dict[str, dict[str, int]]:
        """Counts per value: intersections with each value's (cached) document set, in C, not per match."""
        facets: dict[str, dict[str, int]] = {}
        for facet, fieldname in FACETS.items():
            counts = {
                value: len(matched & snapshot.docs(fieldname, value)) for value in snapshot.field_values(fieldname)
            }
            facets[facet] = dict(sorted(((v, n) for v, n in counts.items() if n), key=lambda item: (-item[1], item[0])))
        return facets

    def _hit(self, snapshot: _Snapshot, docnum: int, score: float, terms: set[str]) -> SearchHit:
        stored = snapshot.searcher.stored_fields(docnum)
        # The body around the first match; the summary when only the title or tags matched.
        marked = self._highlight(stored.get("body", ""), terms) or self._highlight(stored.get("summary", ""), terms)
        snippet = marked or html.escape(stored.get("summary", "")[: self.snippet_chars])
        return SearchHit(
            id=stored["id"],
            slug=stored["slug"],
            language=stored["language"],
            title=stored["title"],
            snippet_html=snippet,
            category=stored["category"],
            products=[p for p in stored.get("products", "").split(",") if p],
            updated=stored["updated"],
            score=score,
        )

    def _highlight(self, text: str, terms: set[str]) -> str:
        return snippet(text, terms, self.snippet_chars)

    # --- Suggestions --------------------------------------------------------------------------------------

    def suggest(self, prefix: str, clearance: Clearance, limit: int = 8) -> list[str]:
        words = WORD.findall(prefix)
        if not words or len(words[-1]) < 2:
            return []
        snapshot = self._snapshot()
        reader = snapshot.searcher.reader()
        folded_prefix = fold(words[-1])
        frequency: dict[str, int] = {}
        for audience in visible_audiences(clearance):
            for term in reader.expand_prefix(f"complete_{audience}", folded_prefix):
                folded = term.decode().split(" ", 1)[0]
                n = reader.doc_frequency(f"complete_{audience}", term)
                frequency[folded] = frequency.get(folded, 0) + n
        ranked = sorted(frequency, key=lambda word: (-frequency[word], word))
        live = (word for word in ranked if self._is_visible_word(snapshot, word, clearance))
        return [self._display(snapshot, word, clearance) for word, _ in zip(live, range(limit), strict=False)]

    def did_you_mean(self, text: str, clearance: Clearance) -> str | None:
        snapshot = self._snapshot()
        changed = False
        out: list[str] = []
        for word in WORD.findall(text):
            folded = fold(word)
            if len(folded) < 3 or folded in STOP_WORDS:
                out.append(word)
            elif self._is_visible_word(snapshot, folded, clearance):
                out.append(self._display(snapshot, folded, clearance))  # κωδικο -> κωδικό, if anything changes
            elif (better := self._closest(snapshot, folded, clearance)) is not None:
                out.append(self._display(snapshot, better, clearance))
                changed = True
            else:
                out.append(word)
        return " ".join(out) if changed else None

    def _closest(self, snapshot: _Snapshot, folded: str, clearance: Clearance) -> str | None:
        reader = snapshot.searcher.reader()
        for distance in (1, 2):  # every word one edit away beats any two away; then the most frequent
            found: dict[str, int] = {}
            for audience in visible_audiences(clearance):
                for word in reader.terms_within(f"words_{audience}", folded, distance, prefix=1):
                    found[word] = found.get(word, 0) + reader.doc_frequency(f"words_{audience}", word)
            for word in sorted(found, key=lambda w: (-found[w], w)):
                if word != folded and self._is_visible_word(snapshot, word, clearance):
                    return word
        return None

    @staticmethod
    def _is_visible_word(snapshot: _Snapshot, folded: str, clearance: Clearance) -> bool:
        # The per-audience fields keep words of deleted (or re-audienced) documents until segments merge;
        # asking for a live document the viewer may see settles it.
        fields: list[Audience] = list(visible_audiences(clearance))
        query = Or([Term(f"words_{audience}", folded) for audience in fields])
        visible = snapshot.visible(clearance)
        return any(docnum in visible for docnum in snapshot.searcher.docs_for_query(query))  # stops at the first

    @staticmethod
    def _display(snapshot: _Snapshot, folded: str, clearance: Clearance) -> str:
        """The most frequent written form of a folded word (`πελατησ` -> `πελάτης`)."""
        reader = snapshot.searcher.reader()
        forms: dict[str, int] = {}
        for audience in visible_audiences(clearance):
            for term in reader.expand_prefix(f"complete_{audience}", f"{folded} "):
                written = term.decode().split(" ", 1)[1]
                forms[written] = forms.get(written, 0) + reader.doc_frequency(f"complete_{audience}", term)
        return max(sorted(forms), key=lambda form: forms[form]) if forms else folded


def open_or_rebuild(
    path: Path,
    documents: Callable[[], Iterable[SearchDocument]],
    *,
    write_timeout: float = 30.0,
    progress: Progress | None = None,
) -> WhooshBackend:
    """The backend on the index at `path`; when that index is missing, unreadable or of an older schema, it is
    rebuilt first from `documents()` (called only then), so a broken index never reaches a request."""
    backend = WhooshBackend(path, write_timeout=write_timeout)
    problem = backend.store.check()
    if problem is not None:
        log.warning("search index at %s unusable (%s); rebuilding", path, problem)
        backend.rebuild(documents(), progress)
    return backend
