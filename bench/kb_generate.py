"""Synthetic knowledge-base articles straight into a whoosh index: `python -m bench.kb_generate --articles 100000`.

The words are real ones: every word of the seed articles in `knowledge_base/` (Greek words from the Greek
articles, English from the English ones, each with the Latin product names and terms it uses), ranked by
how often the seeds use them, followed by Faker's Greek and English word lists for a long tail. Articles
draw from that ranking with Zipf's law (the word of rank r has weight 1/r), so a few words occur in most
articles, as "και" and "the" do, and most words in a handful: the term distribution of real text.

Categories are the seed categories, products the seed products; audiences mostly public, some for signed-in
customers, a few internal. The index is built with `WhooshBackend.rebuild`, as `portal reindex` does, and
the build time and index size are printed (and written with `--json`). `bench.kb_search` times queries on it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path

from faker.providers.lorem.el_GR import Provider as GreekLorem
from faker.providers.lorem.en_US import Provider as EnglishLorem
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from portal.search.documents import Audience, Language, SearchDocument
from portal.search.whoosh_backend import WhooshBackend

SEEDS = Path(__file__).resolve().parent.parent / "knowledge_base"
DEFAULT_SEED = 6
WORD = re.compile(r"[^\W\d_][\w-]*[^\W_]|[^\W\d_]")  # words, not numbers or markup
AUDIENCE_WEIGHTS: dict[Audience, int] = {"public": 70, "customers": 25, "internal": 5}
FALLBACK_CATEGORIES = ["getting-started", "account-and-sign-in", "billing-and-invoices", "troubleshooting"]

console = Console(stderr=True)


class Vocabulary:
    """One language's words by rank: seed words by frequency, then the word list; drawn with Zipf's law."""

    def __init__(self, ranked: list[str], rng: random.Random) -> None:
        self.words = ranked
        self.cumulative = list(accumulate(1 / rank for rank in range(1, len(ranked) + 1)))
        self.rng = rng

    def draw(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=n)


class Seeds:
    """What the seed articles give: per-language word counts, categories, tags and products."""

    def __init__(self, root: Path = SEEDS) -> None:
        self.counts: dict[Language, Counter[str]] = {"el": Counter(), "en": Counter()}
        self.tags: dict[Language, set[str]] = {"el": set(), "en": set()}
        categories: set[str] = set()
        products: set[str] = set()
        for path in sorted(root.rglob("*.md")):
            meta, body = _front_matter(path.read_text(encoding="utf-8"))
            language: Language = "el" if meta.get("language") == "el" else "en"
            text = " ".join([meta.get("title", ""), meta.get("summary", ""), body])
            self.counts[language].update(word.lower() for word in WORD.findall(text))
            self.tags[language].update(_list(meta.get("tags", "")))
            products.update(_list(meta.get("products", "")))
            if meta.get("category"):
                categories.add(meta["category"])
        self.categories = sorted(categories) or FALLBACK_CATEGORIES
        self.products = sorted(products)

    def ranked(self, language: Language) -> list[str]:
        """Seed words, most used first, then the word list's words the seeds lack, in a fixed shuffle."""
        seen = [word for word, _ in sorted(self.counts[language].items(), key=lambda item: (-item[1], item[0]))]
        listed = GreekLorem.word_list if language == "el" else EnglishLorem.word_list
        known = set(seen)
        extra = sorted({word.lower() for word in listed} - known)
        random.Random(len(extra)).shuffle(extra)
        return seen + extra


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---"):
        return {}, text
    head, _, body = text[3:].partition("\n---")
    meta: dict[str, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip()] = value.strip()
    return meta, body


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.strip("[]").split(",") if item.strip()]


def _sentence(words: list[str]) -> str:
    return " ".join(words).capitalize() + "."


def _text(vocabulary: Vocabulary, rng: random.Random, n: int) -> str:
    sentences = []
    while n > 0:
        length = min(n, rng.randint(6, 22))
        sentences.append(_sentence(vocabulary.draw(length)))
        n -= length
    return " ".join(sentences)


@cache
def _seeds() -> Seeds:
    return Seeds()


def articles(count: int, seed: int = DEFAULT_SEED) -> Iterator[SearchDocument]:
    """`count` articles, alternating Greek and English translations of the same slug; same seed, same text."""
    seeds = _seeds()
    rng = random.Random(seed)
    vocabularies = {language: Vocabulary(seeds.ranked(language), rng) for language in ("el", "en")}
    tags = {language: sorted(seeds.tags[language]) for language in ("el", "en")}
    audiences = list(AUDIENCE_WEIGHTS)
    weights = list(AUDIENCE_WEIGHTS.values())
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(count):
        language: Language = "el" if n % 2 else "en"
        words = vocabularies[language]
        body = _text(words, rng, rng.randint(120, 420))
        if language == "el" and rng.random() < 0.5:  # product names and error messages stay in English
            body += " " + _sentence(vocabularies["en"].draw(rng.randint(3, 10)))
        products = rng.sample(seeds.products, rng.randint(0, 2)) if seeds.products else []
        yield SearchDocument(
            id=f"kb-{n // 2}:{language}",
            slug=f"kb-{n // 2}",
            language=language,
            title=" ".join(words.draw(rng.randint(3, 9))).capitalize(),
            summary=_text(words, rng, rng.randint(12, 30)),
            body=body,
            tags=rng.sample(tags[language], min(len(tags[language]), rng.randint(1, 3))) + words.draw(1),
            products=products,
            category=rng.choice(seeds.categories),
            audience=rng.choices(audiences, weights)[0],
            updated=start + timedelta(hours=n),
        )


def directory_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def build(path: Path, count: int, seed: int = DEFAULT_SEED) -> tuple[float, int]:
    """Index `count` articles at `path` with a progress bar; returns (seconds, bytes on disk)."""
    columns = (
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("index", total=count)
        started = time.perf_counter()
        WhooshBackend(path).rebuild(articles(count, seed), lambda done: progress.update(task, completed=done))
        seconds = time.perf_counter() - started
    return seconds, directory_size(path / "current")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kb_generate", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="Articles to index (default 100,000).")
    parser.add_argument("--path", type=Path, required=True, help="Index directory (a new generation is added).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED}).")
    parser.add_argument("--json", type=Path, dest="json_path", help="Also write the figures to this file.")
    args = parser.parse_args(argv)
    seconds, size = build(args.path, args.articles, args.seed)
    out = Console()
    out.print(f"Built {args.articles:,} articles in {seconds:.1f} s ({args.articles / seconds:,.0f} articles/s)")
    out.print(f"Index size: {size / 1e6:.1f} MB at {args.path / 'current'}")
    if args.json_path is not None:
        figures = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "articles": args.articles,
            "seed": args.seed,
            "build_seconds": round(seconds, 1),
            "index_bytes": size,
        }
        args.json_path.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
