"""The search index kept current by the article services, with a real whoosh index in tmp_path: edits, removals,
damage and loss of the index, a locked index, and several processes sharing one directory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from portal.search.documents import SearchQuery
from portal.services import knowledge
from portal.services.kb_index import KnowledgeSearch
from tests.kb_factories import article_input, found, make_article

pytestmark = pytest.mark.usefixtures("migrated_database")


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "search"


async def opened(index_dir: Path, write_timeout: float = 5.0) -> KnowledgeSearch:
    search = KnowledgeSearch(index_dir, write_timeout=write_timeout)
    await search.open()
    return search


def damage(index_dir: Path) -> None:
    """Garbage in every file of the index in use (new files, as a botched copy would leave them)."""
    current = index_dir / os.readlink(index_dir / "current")
    for path in current.iterdir():
        garbage = path.with_name(path.name + ".garbage")
        garbage.write_bytes(b"\x00\xffnot an index\x13\x37" * 64)
        os.replace(garbage, path)


async def test_the_index_follows_publish_edit_and_every_way_out(index_dir: Path) -> None:
    search = await opened(index_dir)
    first = await make_article(slug="toner", body="Replace the toner cartridge.", search=search)
    assert await found(search, "cartridge") == {"toner:en"}
    await knowledge.save(
        article_input(slug="toner", body="Shake the drum unit."), actor_id=None, article_id=first, search=search
    )
    assert await found(search, "drum") == {"toner:en"}
    assert await found(search, "cartridge") == set()
    ways_out = [knowledge.unpublish, knowledge.archive, knowledge.delete]
    ids = [await make_article(body=f"Modem lights number {n}.", search=search) for n in range(3)]
    assert len(await found(search, "modem")) == 3
    for action, article_id in zip(ways_out, ids, strict=True):
        before = await found(search, "modem")
        await action(article_id, actor_id=None, search=search)
        assert len(await found(search, "modem")) == len(before) - 1
    assert await found(search, "modem") == set()


async def test_audience_is_kept_from_the_article(index_dir: Path) -> None:
    search = await opened(index_dir)
    await make_article(slug="refund-limits", body="Refund approval limits.", audience="internal", search=search)
    await make_article(slug="refunds", body="Refunds for customers.", audience="customers", search=search)
    assert await found(search, "refund", "staff") == {"refund-limits:en", "refunds:en"}
    assert await found(search, "refund", "customer") == {"refunds:en"}
    assert await found(search, "refund", "anonymous") == set()


async def test_a_damaged_index_is_rebuilt_when_opened_or_searched(index_dir: Path) -> None:
    first = await opened(index_dir)
    await make_article(slug="sla", body="Response times of your contract.", search=first)
    damage(index_dir)
    assert first.backend.store.check() is not None
    reopened = await opened(index_dir)  # another process starting up
    assert reopened.backend.store.check() is None
    assert await found(reopened, "contract") == {"sla:en"}
    damage(index_dir)
    unopened = KnowledgeSearch(index_dir)  # never opened: the first search finds the damage
    assert await found(unopened, "contract") == {"sla:en"}
    assert await unopened.suggest("contr", "staff") == ["contract"]


async def test_a_removed_index_is_rebuilt_on_the_next_search(index_dir: Path) -> None:
    search = await opened(index_dir)
    await make_article(slug="sla", body="Response times of your contract.", search=search)
    assert await found(search, "contract") == {"sla:en"}
    shutil.rmtree(index_dir)
    assert await found(search, "contract") == {"sla:en"}
    shutil.rmtree(index_dir)
    assert await search.did_you_mean("contrakt", "staff") == "contract"


async def test_an_update_to_a_missing_index_rebuilds_it_on_catch_up(index_dir: Path) -> None:
    search = await opened(index_dir)
    article_id = await make_article(slug="vpn", body="Connect through the VPN client.", published=False)
    shutil.rmtree(index_dir)
    await knowledge.publish(article_id, actor_id=None, search=search)  # no exception, and published
    assert search.dirty == {"*"}
    assert await search.catch_up() is True
    assert await found(search, "vpn") == {"vpn:en"}
    assert search.dirty == frozenset()


async def test_updates_made_while_the_index_is_locked_are_written_by_catch_up(index_dir: Path) -> None:
    search = await opened(index_dir, write_timeout=0.2)
    store = search.backend.store
    name = store.current_name()
    assert name is not None
    writer = store.open(name).writer()  # a long rebuild or another process's write holds the lock
    try:
        article_id = await make_article(slug="printer", body="Paper jam in tray two.", search=search)
        assert search.dirty == {"printer:en"}  # saved and published all the same
        assert (await knowledge.versions(article_id))[0]["number"] == 1
        assert await search.catch_up() is True  # tried, and still locked: kept for the next time
        assert search.dirty == {"printer:en"}
    finally:
        writer.cancel()
    other_process = await opened(index_dir)  # the dirty mark is shared through the index directory
    assert await other_process.catch_up() is True
    assert await found(search, "jam") == {"printer:en"}
    assert search.dirty == frozenset()
    assert await search.catch_up() is False


async def test_a_second_process_sees_the_commits_of_the_first(index_dir: Path) -> None:
    writer = await opened(index_dir)
    reader = await opened(index_dir)
    await make_article(slug="first", body="Invoices are emailed monthly.", search=writer)
    assert await found(reader, "invoices") == {"first:en"}  # the reader now keeps a searcher
    second = await make_article(slug="second", body="Invoices and credit notes.", search=writer)
    assert await found(reader, "invoices") == {"first:en", "second:en"}
    await knowledge.delete(second, actor_id=None, search=writer)
    assert await found(reader, "invoices") == {"first:en"}


async def test_reindex_rebuilds_from_published_articles_only(index_dir: Path) -> None:
    search = await opened(index_dir)
    await make_article(slug="live", body="Passwords and sign-in.")  # written without telling the index
    await make_article(slug="draft", body="Passwords draft.", published=False)
    assert await found(search, "passwords") == set()
    assert await search.rebuild() == 1
    results = await search.search(SearchQuery("passwords", "anonymous", "en"))
    assert [hit.id for hit in results.hits] == ["live:en"]
