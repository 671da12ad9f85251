"""Keeping the index current: replace, delete, rebuild, several writing processes, and recovery from damage."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from portal.search.documents import SearchQuery
from portal.search.whoosh_backend import WhooshBackend, open_or_rebuild
from tests.search.conftest import make_document


def ids(backend: WhooshBackend, text: str) -> set[str]:
    return {hit.id for hit in backend.search(SearchQuery(text, "staff", "en", page_size=100)).hits}


def test_replace_and_delete_are_seen_by_the_next_search(build: Callable[..., WhooshBackend]) -> None:
    backend = build(make_document("a", body="alpha"), make_document("b", body="alpha"))
    assert ids(backend, "alpha") == {"a:en", "b:en"}  # the searcher is now cached
    backend.index([make_document("a", body="beta")])
    assert ids(backend, "alpha") == {"b:en"}
    assert ids(backend, "beta") == {"a:en"}
    backend.delete(["b:en", "no-such:en"])
    assert ids(backend, "alpha") == set()


def test_another_process_sees_commits_through_its_cached_searcher(
    build: Callable[..., WhooshBackend], index_path: Path
) -> None:
    writer = build(make_document("a", body="alpha"))
    reader = WhooshBackend(index_path)
    assert ids(reader, "alpha") == {"a:en"}
    writer.index([make_document("b", body="alpha")])
    assert ids(reader, "alpha") == {"a:en", "b:en"}


def test_rebuild_swaps_in_a_new_index_that_every_backend_follows(
    build: Callable[..., WhooshBackend], index_path: Path
) -> None:
    first = build(make_document("old", body="alpha"))
    second = WhooshBackend(index_path)
    assert ids(second, "alpha") == {"old:en"}
    progress: list[int] = []
    assert first.rebuild([make_document("new", body="alpha")], progress=progress.append) == 1
    assert progress == [1]
    assert ids(first, "alpha") == ids(second, "alpha") == {"new:en"}
    second.index([make_document("later", body="alpha")])  # writes follow the swap too
    assert ids(first, "alpha") == {"new:en", "later:en"}
    first.rebuild([])
    generations = sorted(path.name for path in index_path.iterdir() if path.name.startswith("ix-"))
    assert len(generations) == 2  # the current one and the one before, for readers still on it


WRITER = """
import sys
from pathlib import Path
from portal.search.whoosh_backend import WhooshBackend
from tests.search.conftest import make_document
backend = WhooshBackend(Path(sys.argv[1]), write_timeout=60)
for n in range(int(sys.argv[3])):
    backend.index([make_document(f"{sys.argv[2]}-{n}", body="concurrent")])
"""


def test_processes_writing_at_once_lose_no_document(build: Callable[..., WhooshBackend], index_path: Path) -> None:
    backend = build()
    root = Path(__file__).parent.parent.parent
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(index_path), name, "15"], cwd=root) for name in "pq"]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    expected = {f"{name}-{n}:en" for name in "pq" for n in range(15)}
    assert ids(backend, "concurrent") == expected


def test_opening_the_index_while_another_process_commits_never_fails(
    build: Callable[..., WhooshBackend], index_path: Path
) -> None:
    # A commit renames in a new table of contents and deletes the old one; a process opening the index in
    # between used to fail with FileNotFoundError (the cause of the flaky test above: each writer process
    # opens the index while the other commits).
    build(make_document("a", body="alpha"))
    root = Path(__file__).parent.parent.parent
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(index_path), "w", "60"], cwd=root)
    opened = 0
    while writer.poll() is None:
        assert "a:en" in ids(WhooshBackend(index_path), "alpha")  # a new backend: opens the index afresh
        opened += 1
    assert writer.wait(timeout=120) == 0
    assert opened > 0


def test_a_corrupt_index_is_rebuilt_and_searchable(build: Callable[..., WhooshBackend], index_path: Path) -> None:
    build(make_document("a", body="alpha"))
    for path in (index_path / "current").resolve().iterdir():
        if path.is_file() and not path.name.endswith(".lock"):
            path.write_bytes(b"\x00garbage\xff" * 64)
    calls: list[int] = []

    def documents() -> list:  # type: ignore[type-arg]
        calls.append(1)
        return [make_document("a", body="alpha"), make_document("b", body="alpha")]

    backend = open_or_rebuild(index_path, documents)
    assert calls == [1]
    assert ids(backend, "alpha") == {"a:en", "b:en"}
    open_or_rebuild(index_path, documents)  # healthy now: not rebuilt again
    assert calls == [1]


def test_a_missing_index_is_built_on_open(index_path: Path) -> None:
    backend = open_or_rebuild(index_path, lambda: [make_document("a", body="alpha")])
    assert ids(backend, "alpha") == {"a:en"}
