"""Text analysis for one index holding Greek and English: folding, stop words and per-script stemming.

whoosh pickles the schema, analysers included, into the index, so every filter here is a module-level class
with `__eq__` (whoosh compares analysers when it merges schemas). PyStemmer's `Stemmer` objects cannot be
pickled, which is why they live in a module global rather than on the filter.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

import Stemmer
from whoosh.analysis.acore import Token
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.analysis.filters import Filter, LowercaseFilter, StopFilter
from whoosh.analysis.tokenizers import RegexTokenizer

# Words with dots inside stay whole ("v2.3", "e.g"), as in STACK-NOTES §4.2; hyphenated ones ("Wi-Fi", "E-13")
# are one token here, which `CompoundFilter` turns into the joined word and its parts.
TOKEN_PATTERN = r"\w+(?:[.-]\w+)*"  # noqa: S105 (not a password)

# Kept here, not taken from a library, so that what is dropped is reviewable in one place. Written with
# accents; the folded spellings are added below, so a stop word is found however it was typed.
GREEK_STOP_WORDS = frozenset(
    """
    ο η το οι τα του της των τον την τους τις ένας μια μία ένα ενός μιας έναν
    και κι ή ούτε μήτε αλλά όμως είτε αν εάν ότι πως που πού ποιος ποια ποιο ποιοι ποιες ποιου ποιας
    να θα δεν δε μη μην όχι ναι μα ενώ όταν όπως όπου αφού γιατί επειδή λοιπόν ακόμα ακόμη
    σε στο στη στην στον στα στις στους στου στης από για με χωρίς προς κατά μετά πριν μέχρι ως έως
    παρά αντί μέσα έξω πάνω κάτω πίσω μπροστά δίπλα μεταξύ
    είμαι είσαι είναι είμαστε είστε ήταν ήμουν έχω έχει έχουν είχε
    αυτός αυτή αυτό αυτοί αυτές αυτά αυτού αυτής αυτών αυτόν αυτήν αυτούς
    εγώ εσύ εμείς εσείς μου σου μας σας τους τον την το τα του της
    εδώ εκεί τώρα πάντα πολύ πιο λίγο κάθε όλα όλοι όλες όλος όλη όλο ίδιος ίδια ίδιο
    κάποιος κάποια κάποιο κάτι τίποτα άλλος άλλη άλλο άλλα άλλοι
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
ENGLISH_STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her
    here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself yourselves
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Case and accent folding: casefold turns final ς into σ, NFD then drops tonos, dialytika and Latin accents.

    whoosh's `accent_map` covers Latin only, hence this (STACK-NOTES §4.2). Cached: it runs on every word
    indexed, and words repeat.
    """
    if text.isascii():
        return text.lower()
    return "".join(ch for ch in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(ch))


STOP_WORDS = frozenset(GREEK_STOP_WORDS | ENGLISH_STOP_WORDS | {fold(word) for word in GREEK_STOP_WORDS})

_STEMMERS = {"el": Stemmer.Stemmer("greek"), "en": Stemmer.Stemmer("english")}


def is_greek(word: str) -> bool:
    first = word[:1]
    return "\u0370" <= first <= "\u03ff" or "\u1f00" <= first <= "\u1fff"


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The Snowball stem of a folded word, chosen by the word's script, so mixed-language text needs no tagging."""
    return str(_STEMMERS["el" if is_greek(word) else "en"].stemWord(word))


class _StatelessFilter(Filter):
    """Filters without settings are equal when their classes are (whoosh compares pickled analysers)."""

    def __eq__(self, other: object) -> bool:
        return other is not None and self.__class__ is other.__class__

    def __hash__(self) -> int:
        return hash(self.__class__)


class FoldFilter(_StatelessFilter):
    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            token.text = fold(token.text)
            yield token


class CompoundFilter(_StatelessFilter):
    """`Wi-Fi` is found as `wifi`, `wi-fi` and `wi fi`: a hyphenated word gives the parts joined, then each part,
    all at the word's position."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            if "-" not in token.text:
                yield token
                continue
            parts = [part for part in token.text.split("-") if part]
            for text in ["".join(parts), *parts]:
                token.text = text
                yield token


class GreekEnglishStemFilter(_StatelessFilter):
    is_morph = True  # whoosh leaves morphological filters out when it analyses for spelling

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


class CompletionFilter(_StatelessFilter):
    """Turns a lowercase word into `folded word`: prefix lookups run on the folded half, display the other."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            token.text = f"{fold(token.text)} {token.text}"
            yield token


def _stop() -> StopFilter:
    return StopFilter(stoplist=STOP_WORDS, minsize=2)


def text_analyzer() -> CompositeAnalyzer:
    """The ranked fields: folded, stop words out, stemmed per script."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CompoundFilter()
        | FoldFilter()
        | _stop()
        | GreekEnglishStemFilter()
    )


def word_analyzer() -> CompositeAnalyzer:
    """Whole folded words, for spelling: `πελάτης`, `ΠΕΛΑΤΗΣ` and `πελατης` are one word, `πελατησ`."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CompoundFilter() | FoldFilter() | _stop()


def completion_analyzer() -> CompositeAnalyzer:
    """Folded word plus the word as written (lowercase), so suggestions keep their accents."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CompoundFilter() | _stop() | CompletionFilter()


def query_words(text: str) -> list[str]:
    """The words of a query as the index sees them before stemming: folded, stop words out, in order."""
    return [token.text for token in word_analyzer()(text)]


def query_stems(text: str) -> list[str]:
    """The words of a query as the ranked fields hold them, duplicates dropped, order kept."""
    return list(dict.fromkeys(stem(word) for word in query_words(text)))
