"""Search latency on synthetic bilingual articles: `python -m bench.search --articles 10000 --queries 1000`.

Generates articles (half Greek, half English, a few English words in the Greek ones, as in real support
texts), builds a whoosh index with `WhooshBackend.rebuild` (reports build time and index size), then runs
random one-to-three-word queries one after another in one thread, as a web worker would, and reports
latency percentiles of a full results page: ten hits with highlighted snippets, the exact count and facets.
Suggestions as you type and did-you-mean are timed too, on fewer calls.

Words are drawn with Zipf's law from a generated vocabulary, in articles and queries alike, so some queries
match a large share of the index (the slow case) and many match a handful.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench.load import machine, percentile
from portal.search.documents import Audience, Clearance, Language, SearchDocument, SearchQuery
from portal.search.whoosh_backend import WhooshBackend

console = Console(stderr=True)

# Syllables and endings that generated words are made of; they read like neither language, on purpose.
GREEK_SYLLABLES = "κα λο πε τι μου ρα νη σο δε γι ζω θε ξε φα χο ψυ βα μπο ντε στα".split()  # noqa: SIM905
GREEK_ENDINGS = "ος ης ες ων α ο ου η ας ει ουν ια".split()  # noqa: SIM905
ENGLISH_SYLLABLES = "ta ro ven mi sel con port dex li pra ster nal bi gra tor mon fi cal".split()  # noqa: SIM905
ENGLISH_ENDINGS = "s ing ed er ion ly ment able".split()  # noqa: SIM905
CATEGORIES = ["account", "billing", "contracts", "cases", "integrations", "security", "hardware", "network"]
PRODUCTS = ["crm", "erp", "helpdesk", "payroll", "pos", "warehouse", "mobile"]
AUDIENCE_WEIGHTS: dict[Audience, int] = {"public": 6, "customers": 3, "internal": 1}
CLEARANCES: tuple[Clearance, ...] = ("anonymous", "customer", "staff")


class Vocabulary:
    """Stems with inflected endings, drawn with Zipf's law (the word of rank r has weight 1/r)."""

    def __init__(self, seed: int, syllables: list[str], endings: list[str], size: int, rng: random.Random) -> None:
        shape = random.Random(seed)  # the words depend on the seed only; `rng` draws from them
        stems: set[str] = set()
        while len(stems) < size:
            stems.add("".join(shape.choice(syllables) for _ in range(shape.randint(2, 4))))
        self.stems = sorted(stems)
        shape.shuffle(self.stems)
        self.endings = endings
        self.cumulative = list(accumulate(1 / rank for rank in range(1, size + 1)))
        self.rng = rng

    def words(self, n: int) -> list[str]:
        picked = self.rng.choices(self.stems, cum_weights=self.cumulative, k=n)
        return [stem + self.rng.choice(self.endings) if self.rng.random() < 0.6 else stem for stem in picked]


def articles(count: int, seed: int) -> Iterator[SearchDocument]:
    rng = random.Random(seed)
    greek = Vocabulary(seed, GREEK_SYLLABLES, GREEK_ENDINGS, 6_000, rng)
    english = Vocabulary(seed, ENGLISH_SYLLABLES, ENGLISH_ENDINGS, 6_000, rng)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    audiences = list(AUDIENCE_WEIGHTS)
    weights = list(AUDIENCE_WEIGHTS.values())
    for n in range(count):
        language: Language = "el" if n % 2 else "en"
        vocabulary = greek if language == "el" else english
        body = vocabulary.words(rng.randint(80, 300))
        if language == "el":  # product names and error messages stay in English
            body += english.words(rng.randint(0, 10))
        rng.shuffle(body)
        yield SearchDocument(
            id=f"article-{n // 2}:{language}",
            slug=f"article-{n // 2}",
            language=language,
            title=" ".join(vocabulary.words(rng.randint(3, 8))).capitalize(),
            summary=" ".join(vocabulary.words(rng.randint(10, 25))),
            body=" ".join(body),
            tags=vocabulary.words(rng.randint(1, 4)),
            products=rng.sample(PRODUCTS, rng.randint(1, 2)),
            category=rng.choice(CATEGORIES),
            audience=rng.choices(audiences, weights)[0],
            updated=start + timedelta(hours=n),
        )


def queries(count: int, seed: int) -> list[SearchQuery]:
    rng = random.Random(seed + 1)  # the articles' vocabularies, drawn from anew
    greek = Vocabulary(seed, GREEK_SYLLABLES, GREEK_ENDINGS, 6_000, rng)
    english = Vocabulary(seed, ENGLISH_SYLLABLES, ENGLISH_ENDINGS, 6_000, rng)
    found = []
    for _ in range(count):
        language: Language = rng.choice(("el", "en"))
        words = (greek if language == "el" else english).words(rng.randint(1, 3))
        found.append(SearchQuery(" ".join(words), rng.choice(CLEARANCES), language))
    return found


def timed(calls: Sequence[Any], run: Any) -> list[float]:
    latencies = []
    for call in calls:
        started = time.perf_counter()
        run(call)
        latencies.append((time.perf_counter() - started) * 1000)
    return sorted(latencies)


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": latencies[-1] if latencies else 0.0,
    }


def directory_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000, help="Articles to index (default 10,000).")
    parser.add_argument("--queries", type=int, default=1_000, help="Queries to time (default 1,000).")
    parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
    parser.add_argument("--path", type=Path, help="Index directory to build in and keep (default: a temporary one).")
    parser.add_argument("--reuse", action="store_true", help="Search the index at --path as it is; no build.")
    parser.add_argument("--json", type=Path, dest="json_path", help="Also write the results to this file.")
    args = parser.parse_args(argv)
    if args.reuse and args.path is None:
        parser.error("--reuse needs --path")
    path = args.path or Path(tempfile.mkdtemp(prefix="bench-search-")) / "search"
    backend = WhooshBackend(path)
    build_seconds = None
    try:
        if not args.reuse:
            columns = (TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("index", total=args.articles)
                started = time.perf_counter()
                backend.rebuild(articles(args.articles, args.seed), lambda n: progress.update(task, completed=n))
                build_seconds = time.perf_counter() - started
        size = directory_size(path / "current")
        asked = queries(args.queries, args.seed)
        timed(asked[:20], backend.search)  # warm-up: the first search opens the searcher and fills caches
        results = {
            "search page": timed(asked, backend.search),
            "search, no facets": timed(
                [SearchQuery(q.text, q.clearance, q.language, facets=False) for q in asked], backend.search
            ),
            "suggest": timed(asked[:200], lambda q: backend.suggest(q.text[:3], q.clearance)),
            "did you mean": timed(asked[:200], lambda q: backend.did_you_mean(q.text, q.clearance)),
        }
        hits = sum(backend.search(q).total > 0 for q in asked[:200])
    finally:
        if args.path is None:
            shutil.rmtree(path.parent, ignore_errors=True)
    table = Table(title=f"{args.articles:,} articles, {len(asked):,} queries, one thread")
    for column in ("call", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "call" else "right")
    for name, latencies in results.items():
        figures = summary(latencies)
        table.add_row(name, f"{len(latencies):,}", *(f"{figures[key]:.1f}" for key in ("p50", "p95", "p99", "max")))
    out = Console()
    if build_seconds is not None:
        out.print(f"Build: {build_seconds:.1f} s ({args.articles / build_seconds:,.0f} articles/s)")
    out.print(f"Index size: {size / 1e6:.1f} MB; {hits} of the first 200 queries found something")
    out.print(table)
    if args.json_path is not None:
        document = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "articles": args.articles,
            "build_seconds": build_seconds,
            "index_bytes": size,
            "machine": machine(),
            "results": {name: {"calls": len(lat), **summary(lat)} for name, lat in results.items()},
        }
        args.json_path.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
