"""BM25F over whoosh postings read a block at a time, for every match of a query in one pass.

whoosh's own top-k search steps a tree of matchers (a word x its stems x four fields) one document at a time
in Python; with a dozen leaves that costs about a millisecond per matching document, so common words made a
search take a second. Here each term's postings are read as whole blocks (up to 128 document numbers and
term frequencies, decoded by whoosh's W3 codec) and added into one dict: well under a microsecond a posting.
The same pass gives the documents each word matched, for the count, the facets and the all-words-first
ranking. Scores follow whoosh's BM25F (same idf, K1 and B), so field boosts keep their meaning.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from math import log
from typing import Any

from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length

from portal.search.whoosh_query import FIELD_BOOSTS, WordTerms

K1 = 1.2
B = 0.75
# A word in the bodies of more than this many documents (and a fifth of all) is matched there but not scored:
# its idf is low, its postings are most of the work, and title, tags and summary still rank by it.
COMMON_IN_BODY = 2_000
_LENFIELD: Any = whoosh3._lenfield  # the name of a field's length column
_LENGTH_OF_BYTE = [byte_to_length(byte) for byte in range(256)]


def blocks(reader: Any, fieldname: str, text: str) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(document numbers, term frequencies) per postings block, deleted documents included (callers keep
    only documents of their live sets). Falls back to stepping the matcher for any other codec."""
    for leaf, base in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        terms = getattr(leaf, "_terms", None)
        matcher = (
            terms.matcher(fieldname, leaf._text_to_bytes(fieldname, text), leaf.schema[fieldname].format)
            if terms is not None
            else leaf.postings(fieldname, text)
        )
        if not hasattr(matcher, "_next_block"):
            ids, tfs = [], []
            while matcher.is_active():
                ids.append(base + matcher.id())
                tfs.append(matcher.weight())
                matcher.next()
            yield ids, tfs
            continue
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            ids = matcher._ids if base == 0 else [base + docnum for docnum in matcher._ids]
            yield ids, matcher._weights
            matcher._next_block()


def length_norms(reader: Any, fieldname: str) -> list[float]:
    """K1 x (1 - B + B x length / average length) for every document: the BM25 denominator's length part."""
    lengths: list[int] = []
    for leaf, _ in reader.leaf_readers():
        count = leaf.doc_count_all()
        perdoc = getattr(leaf, "_perdoc", None)
        column = perdoc._cached_reader(_LENFIELD(fieldname), whoosh3.LENGTHS_COLUMN) if perdoc is not None else None
        if column is None:
            lengths += [leaf.doc_field_length(docnum, fieldname) or 0 for docnum in range(count)]
        else:
            lengths += [_LENGTH_OF_BYTE[column[docnum]] for docnum in range(count)]
    average = (sum(lengths) / len(lengths)) if lengths else 1.0
    average = average or 1.0
    return [K1 * (1 - B + B * length / average) for length in lengths]


def score_words(
    reader: Any, groups: Sequence[WordTerms], norms: dict[str, list[float]]
) -> tuple[dict[int, float], list[set[int]]]:
    """Scores of the documents matching any word (a document matched only where it is not scored has none:
    read it with `.get(docnum, 0.0)`), and per word the documents it matched."""
    scores: dict[int, float] = {}
    get = scores.get
    count = reader.doc_count_all() or 1
    matched: list[set[int]] = []
    for group in groups:
        docs: set[int] = set()
        for text, weight in group.stems.items():
            for fieldname, boost in FIELD_BOOSTS.items():
                frequency = reader.doc_frequency(fieldname, text)
                if not frequency:
                    continue
                factor = boost * weight * (log(count / (frequency + 1)) + 1) * (K1 + 1)
                norm = norms[fieldname]
                scored = fieldname != "body" or frequency <= max(COMMON_IN_BODY, count // 5)
                for ids, tfs in blocks(reader, fieldname, text):
                    docs.update(ids)
                    if scored:
                        for docnum, tf in zip(ids, tfs, strict=True):
                            scores[docnum] = get(docnum, 0.0) + factor * tf / (tf + norm[docnum])
        matched.append(docs)
    return scores, matched
