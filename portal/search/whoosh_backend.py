"""`WhooshBackend`: the `SearchBackend` on a whoosh index on local disk.

Speed comes from three things, measured with `python -m bench.search`:
- one searcher per thread, kept between searches and replaced only when the index has a new commit
  (whoosh searchers are not safe to share between threads);
- per-searcher caches of the document sets the audience and facet filters need, so that a search intersects
  Python sets instead of walking postings lists of half the index each time;
- a query built from the analysed words (every word must match, in any of the ranked fields) instead of the
  query parser, and only one page of hits scored and highlighted.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import highlight
from whoosh.index import FileIndex
from whoosh.query.compound import And, AndMaybe, Or
from whoosh.query.qcore import Query
from whoosh.query.terms import Term
from whoosh.query.wrappers import ConstantScoreQuery
from whoosh.searching import Hit

from portal.search.analysis import STOP_WORDS, fold, query_stems
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
from portal.search.whoosh_store import IndexStore, fields_of

log = logging.getLogger(__name__)

# Term boosts per field: a word in the title counts most, then tags, then the summary, then the body.
FIELD_BOOSTS = {"title": 4.0, "tags": 2.5, "summary": 1.5, "body": 1.0}
LANGUAGE_BOOST = 1.5  # multiplies the score of documents in the viewer's language: ranks, never filters
MAX_WORDS = 8  # longer queries are cut: each word is a full pass over its postings
FACETS = {"category": "category", "language": "language", "product": "products"}
WORD = re.compile(r"\w+")


@dataclass
class _Snapshot:
    """One thread's searcher on one generation, and the document sets computed from it."""

    generation: str
    searcher: Any  # whoosh.searching.Searcher, whose methods are mostly unannotated
    sets: dict[tuple[str, str], frozenset[int]] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)

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
            snapshot = _Snapshot(generation, ix.searcher())
        self._local.snapshot = snapshot
        return snapshot

    def search(self, query: SearchQuery) -> SearchResults:
        stems = query_stems(query.text)[:MAX_WORDS]
        empty = SearchResults(hits=[], total=0, page=query.page, page_size=query.page_size)
        if not stems:
            return empty
        snapshot = self._snapshot()
        allowed = self._allowed(snapshot, query)
        if not allowed:
            return empty
        per_word = [Or([Term(name, stem, boost=boost) for name, boost in FIELD_BOOSTS.items()]) for stem in stems]
        matching: Query = per_word[0] if len(per_word) == 1 else And(per_word)
        matched = self._matched(snapshot, matching, allowed)
        if not matched and len(per_word) > 1:  # no document has every word: rank those with some of them
            matching = Or(per_word)
            matched = self._matched(snapshot, matching, allowed)
        if not matched:
            return empty
        # score + (boost - 1) x score for the viewer's language: a factor, whatever the scale of the scores.
        in_language = And([matching, ConstantScoreQuery(Term("language", query.language), score=0.0)])
        ranked = AndMaybe(matching, in_language.with_boost(LANGUAGE_BOOST - 1))
        page = snapshot.searcher.search_page(ranked, query.page, pagelen=query.page_size, filter=matched)
        page.results.fragmenter = highlight.ContextFragmenter(maxchars=self.snippet_chars, surround=60)
        page.results.formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
        hits = [self._hit(hit) for hit in page]
        facets = self._facets(snapshot, matched) if query.facets else {}
        return SearchResults(hits=hits, total=len(matched), page=query.page, page_size=query.page_size, facets=facets)

    def _allowed(self, snapshot: _Snapshot, query: SearchQuery) -> frozenset[int]:
        allowed = snapshot.visible(query.clearance)
        if query.category is not None:
            allowed &= snapshot.docs("category", query.category)
        if query.product is not None:
            allowed &= snapshot.docs("products", query.product)
        if query.languages:
            allowed &= frozenset().union(*(snapshot.docs("language", lang) for lang in query.languages))
        return allowed

    @staticmethod
    def _matched(snapshot: _Snapshot, matching: Query, allowed: frozenset[int]) -> set[int]:
        matched = set(snapshot.searcher.docs_for_query(matching))  # a set: whoosh takes no frozenset as filter
        matched &= allowed
        return matched

    @staticmethod
    def _facets(snapshot: _Snapshot, matched: set[int]) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {}
        for facet, fieldname in FACETS.items():
            counts = {
                value: len(matched & snapshot.docs(fieldname, value)) for value in snapshot.field_values(fieldname)
            }
            facets[facet] = dict(sorted(((v, n) for v, n in counts.items() if n), key=lambda item: (-item[1], item[0])))
        return facets

    def _hit(self, hit: Hit) -> SearchHit:
        stored = hit.fields()
        marked: str = hit.highlights("body", top=2)  # type: ignore[no-untyped-call]
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
            score=float(hit.score or 0.0),
        )

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
