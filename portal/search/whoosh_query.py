"""From what a visitor typed to whoosh queries: one group of terms per typed word.

A typed word stands for its Snowball stem plus, with less weight:
- unless the word is in hundreds of documents already, inflected forms the stemmer does not bring together
  (Greek `κωδικός` -> `κωδικ` but `κωδικού` -> `κωδ`; `επικοινωνία` / `επικοινωνίας`): words of the index
  sharing all but the word's last two letters;
- short English words completed (`log` -> `login`): words of the index that start with the word;
- for a word no visible document contains (a typo), the closest words of the index, one edit away, or two for
  long words, most frequent first.

Every expansion is a bounded walk over the lexicon of the viewer's `words_<audience>` fields, so a hidden
article's words never enter a query (their documents would be filtered out anyway) and large vocabularies
cost a few term lookups, not a scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from whoosh.query.compound import Or
from whoosh.query.qcore import Query
from whoosh.query.terms import Term

from portal.search.analysis import is_greek, query_words, stem
from portal.search.documents import Audience

# Term boosts per field: a word in the title counts most, then tags, then the summary, then the body.
FIELD_BOOSTS = {"title": 4.0, "tags": 2.5, "summary": 1.5, "body": 1.0}
MAX_WORDS = 8  # longer queries are cut: each word is a pass over its postings
VARIANT_WEIGHT = 0.5  # an inflected form or completion counts half as much as the word typed
FUZZY_WEIGHT = 0.7  # a correction of a typo: the visitor meant it, mostly
MAX_VARIANTS = 4
MAX_CORRECTIONS = 3
PREFIX_SCAN = 64  # lexicon entries looked at per prefix, at most
COMMON = 500  # documents containing a word beyond which its inflected forms are not looked for


@dataclass(frozen=True, slots=True)
class WordTerms:
    """One typed word (folded) and the stems it stands for, with their weights."""

    word: str
    stems: dict[str, float]
    known: bool  # some visible document contains the word as typed

    def query(self) -> Query:
        return Or(
            [
                Term(field, text, boost=boost * weight)
                for text, weight in self.stems.items()
                for field, boost in FIELD_BOOSTS.items()
            ]
        )


def word_terms(reader: Any, text: str, audiences: Iterable[Audience]) -> list[WordTerms]:
    """The groups for a query, in the order typed; words that repeat a stem already asked for are dropped."""
    fields = [f"words_{audience}" for audience in audiences]
    groups: list[WordTerms] = []
    seen: set[str] = set()
    for word in query_words(text)[:MAX_WORDS]:
        own = stem(word)
        if own in seen:
            continue
        seen.add(own)
        stems = {own: 1.0}
        frequency = _frequency(reader, fields, word)
        known = frequency > 0
        if not known:
            others = _corrections(reader, fields, word)
        elif frequency < COMMON:
            others = _variants(reader, fields, word)
        else:  # found in plenty of documents already: other forms add cost, not answers
            others = []
        weight = VARIANT_WEIGHT if known else FUZZY_WEIGHT
        for other in others:
            stems.setdefault(stem(other), weight)
        groups.append(WordTerms(word, stems, known))
    return groups


def _frequency(reader: Any, fields: list[str], word: str) -> int:
    return sum(reader.doc_frequency(field, word) for field in fields)


def _prefixed(reader: Any, fields: list[str], prefix: str) -> Iterator[str]:
    for field in fields:
        for term in islice(reader.expand_prefix(field, prefix), PREFIX_SCAN):
            yield term.decode() if isinstance(term, bytes) else term


def _variants(reader: Any, fields: list[str], word: str) -> list[str]:
    if is_greek(word):
        if len(word) < 6:
            return []
        prefix, longest = word[:-2], len(word) + 2
    elif 3 <= len(word) <= 4:
        prefix, longest = word, len(word) + 3
    else:
        return []
    found = {other for other in _prefixed(reader, fields, prefix) if other != word and len(other) <= longest}
    return _most_frequent(reader, fields, found, MAX_VARIANTS)


def _corrections(reader: Any, fields: list[str], word: str) -> list[str]:
    if len(word) < 4 or word.isdigit():
        return []
    for distance in (1, 2) if len(word) >= 7 else (1,):
        found = {
            term.decode() if isinstance(term, bytes) else term
            for field in fields
            for term in reader.terms_within(field, word, distance, prefix=1)
        }
        found.discard(word)
        if found:
            return _most_frequent(reader, fields, found, MAX_CORRECTIONS)
    return []


def _most_frequent(reader: Any, fields: list[str], words: set[str], limit: int) -> list[str]:
    return sorted(words, key=lambda other: (-_frequency(reader, fields, other), other))[:limit]
