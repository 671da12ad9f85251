"""Knowledge-base search latency: `python -m bench.kb_search --path /tmp/kb100k --queries 1000`.

Runs seeded random one-to-three-word queries through `WhooshBackend.search` on an index built by
`bench.kb_generate`, one after another in one thread as a web worker would: a signed-in customer's first
results page of ten, first with facets (the results page) and then without (the live search box). The
words come from the generator's vocabulary with the same Zipf weights, stop words left out (nobody
searches for "the"); some queries mix the two languages, some are typed without accents or in capitals.

Each kind of call is timed `--rounds` times over the same queries and the best round (lowest p95) is kept:
on a shared machine the other rounds mostly measure the neighbours.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.kb_generate import DEFAULT_SEED, Vocabulary, _seeds, directory_size
from bench.load import percentile
from portal.search.analysis import STOP_WORDS, fold
from portal.search.documents import Language, SearchQuery
from portal.search.whoosh_backend import WhooshBackend

MIXED = 0.15  # share of multi-word queries with a word of the other language
ACCENTLESS = 0.25  # typed without tonos
CAPITALS = 0.1  # typed in capitals

console = Console(stderr=True)


def _strip_accents(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch))


def query_texts(count: int, seed: int = DEFAULT_SEED) -> list[tuple[str, Language]]:
    """`count` (text, viewer's language) pairs; the same seed gives the same queries."""
    seeds = _seeds()
    rng = random.Random(seed + 1)
    vocabularies = {
        language: Vocabulary([w for w in seeds.ranked(language) if fold(w) not in STOP_WORDS and len(w) > 1], rng)
        for language in ("el", "en")
    }
    found: list[tuple[str, Language]] = []
    for _ in range(count):
        language: Language = rng.choice(("el", "en"))
        words = vocabularies[language].draw(rng.randint(1, 3))
        if len(words) > 1 and rng.random() < MIXED:
            words[-1] = vocabularies["en" if language == "el" else "el"].draw(1)[0]
        text = " ".join(words)
        if rng.random() < ACCENTLESS:
            text = _strip_accents(text)
        if rng.random() < CAPITALS:
            text = text.upper()
        found.append((text, language))
    return found


def timed(backend: WhooshBackend, asked: Sequence[SearchQuery]) -> tuple[list[float], float, list[float]]:
    """Sorted latencies in ms, queries per second over the whole run, and sorted CPU ms of this thread per
    query: on a shared machine the CPU time shows what the search costs when the neighbours take the cores."""
    latencies = []
    cpu = []
    began = time.perf_counter()
    for query in asked:
        started, started_cpu = time.perf_counter(), time.thread_time()
        backend.search(query)
        latencies.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return sorted(latencies), len(asked) / (time.perf_counter() - began), sorted(cpu)


def figures(latencies: list[float], per_second: float, cpu: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else 0.0,
        "queries_per_second": round(per_second, 1),
        "cpu_p50_ms": round(percentile(cpu, 50), 1),
        "cpu_p95_ms": round(percentile(cpu, 95), 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kb_search", description=__doc__.split("\n")[0])
    parser.add_argument("--path", type=Path, required=True, help="Index directory built by bench.kb_generate.")
    parser.add_argument("--queries", type=int, default=1_000, help="Queries per round (default 1,000).")
    parser.add_argument("--rounds", type=int, default=2, help="Rounds per kind of call; the best is kept.")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED}).")
    parser.add_argument("--json", type=Path, dest="json_path", help="Also write the figures to this file.")
    args = parser.parse_args(argv)
    backend = WhooshBackend(args.path)
    texts = query_texts(args.queries, args.seed)
    kinds = {
        "results page (facets)": [SearchQuery(t, "customer", lang, facets=True) for t, lang in texts],
        "live search (no facets)": [SearchQuery(t, "customer", lang, facets=False) for t, lang in texts],
    }
    for query in kinds["results page (facets)"][:20]:  # warm-up: opens the searcher, fills its caches
        backend.search(query)
    found = sum(backend.search(query).total > 0 for query in kinds["live search (no facets)"])
    results: dict[str, dict[str, float]] = {}
    for name, asked in kinds.items():
        rounds = [timed(backend, asked) for _ in range(args.rounds)]
        results[name] = min((figures(*run) for run in rounds), key=lambda f: f["p95_ms"])
    size = directory_size(args.path / "current")
    load = os.getloadavg()
    table = Table(title=f"{args.path}: {len(texts):,} queries, best of {args.rounds} rounds, one thread")
    for column in ("call", "p50 ms", "p95 ms", "p99 ms", "max ms", "queries/s", "CPU p50 ms", "CPU p95 ms"):
        table.add_column(column, justify="left" if column == "call" else "right")
    for name, row in results.items():
        table.add_row(name, *(f"{value:,.1f}" for value in row.values()))
    out = Console()
    out.print(f"Index size {size / 1e6:.1f} MB; {found:,} of {len(texts):,} queries found something")
    out.print(f"Load average after the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    out.print(table)
    if args.json_path is not None:
        document: dict[str, Any] = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "index": str(args.path),
            "index_bytes": size,
            "queries": len(texts),
            "queries_finding_something": found,
            "rounds": args.rounds,
            "machine": {
                "cpus": os.cpu_count(),
                "load_average": [round(x, 2) for x in load],
                "platform": platform.platform(),
                "python": platform.python_version(),
                "whoosh": version("whoosh3"),
            },
            "results": results,
        }
        args.json_path.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
