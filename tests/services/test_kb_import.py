"""`portal kb import`: the seed knowledge base into the database and the index, idempotently, file by file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.db.kb_tables import Article, ArticleStatus, ArticleVersion, KbCategory
from portal.services import kb_import, knowledge
from portal.services.kb_files import KbFileError
from portal.services.kb_index import KnowledgeSearch
from tests.kb_factories import found
from tests.test_cli import run_portal

pytestmark = pytest.mark.usefixtures("migrated_database")

SEED = Path(__file__).parent.parent.parent / "knowledge_base"
CATEGORIES = """\
- slug: billing
  name: {en: Billing, el: Χρεώσεις}
  description: {en: Invoices and payments., el: Τιμολόγια και πληρωμές.}
- slug: invoices
  parent: billing
  name: {en: Invoices, el: Τιμολόγια}
  description: {en: Invoices., el: Τιμολόγια.}
"""


def write_article(root: Path, category: str, slug: str, language: str = "en", body: str = "", **meta: str) -> Path:
    values = {
        "slug": slug,
        "title": f"Title of {slug}",
        "language": language,
        "category": category,
        "audience": "public",
        "summary": "A summary of the article.",
        "tags": "[one, two]",
        "products": "[]",
        "updated": "2026-05-01",
    } | meta
    front = "".join(f"{key}: {value}\n" for key, value in values.items())
    path = root / category / f"{slug}.{language}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}---\n{body or 'Pay your invoice by card.'}\n", encoding="utf-8")
    return path


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    (root / "categories.yaml").write_text(CATEGORIES, encoding="utf-8")
    write_article(root, "billing", "pay-by-card", body="## Steps\n\nPay your invoice by card.")
    write_article(root, "invoices", "credit-notes", language="el", title="Πιστωτικά", body="Πιστωτικά τιμολόγια.")
    return root


async def test_the_seed_knowledge_base_imports_once_and_then_changes_nothing(tmp_path: Path) -> None:
    search = KnowledgeSearch(tmp_path / "search")
    counted: list[tuple[int, int]] = []
    report = await kb_import.import_directory(SEED, progress=lambda *done: counted.append(done), search=search)
    files = len(list(SEED.glob("*/*.md")))
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (files, 0, 0)
    assert report.categories_created == 7
    assert report.indexed == await Article.count().where(Article.status == ArticleStatus.published)
    assert counted[-1] == (files, files)
    assert await ArticleVersion.count() == files
    assert await ArticleVersion.count().where(ArticleVersion.note == knowledge.IMPORTED) == files
    assert "reset-password:el" in await found(search, "κωδικός")
    assert "reset-password:en" in await found(search, "password")
    linked = await Article.select(Article.body_html).where(Article.key == "reset-password:el").first()
    assert linked is not None
    assert 'href="/kb/article/' in linked["body_html"]  # links between seed files point at portal pages

    again = await kb_import.import_directory(SEED, search=search)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, files, [])
    assert (again.categories_created, again.categories_updated, again.indexed) == (0, 0, None)
    assert await ArticleVersion.count() == files


async def test_a_changed_file_becomes_a_new_version_and_is_searchable(small_kb: Path, tmp_path: Path) -> None:
    search = KnowledgeSearch(tmp_path / "search")
    await kb_import.import_directory(small_kb, search=search)
    assert await found(search, "steps") == {"pay-by-card:en"}
    write_article(small_kb, "billing", "pay-by-card", body="Pay your invoice by bank transfer.", tags="[bank]")
    report = await kb_import.import_directory(small_kb, search=search)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    row = await Article.select().where(Article.key == "pay-by-card:en").output(load_json=True).first()
    assert row is not None
    assert (row["version"], row["tags"], row["status"]) == (2, ["bank"], ArticleStatus.published)
    assert [(v["number"], v["note"]) for v in await knowledge.versions(row["id"])] == [(2, "imported"), (1, "imported")]
    assert await found(search, "transfer") == {"pay-by-card:en"}
    assert await found(search, "steps") == set()  # the old body is gone


async def test_categories_are_upserted_as_a_tree(small_kb: Path) -> None:
    await kb_import.import_directory(small_kb)
    (small_kb / "categories.yaml").write_text(CATEGORIES.replace("{en: Billing,", "{en: Billing and payments,"))
    report = await kb_import.import_directory(small_kb)
    assert (report.categories_created, report.categories_updated) == (0, 1)
    tree = await knowledge.category_tree("en")
    assert [(node["slug"], node["name"]) for node in tree] == [("billing", "Billing and payments")]
    assert [child["slug"] for child in tree[0]["children"]] == ["invoices"]
    article = await Article.select(Article.category.slug.as_alias("c")).where(Article.slug == "credit-notes").first()
    assert article == {"c": "invoices"}


async def test_an_article_taken_offline_is_published_again_without_a_new_version(small_kb: Path) -> None:
    await kb_import.import_directory(small_kb)
    row = await Article.select(Article.id).where(Article.key == "pay-by-card:en").first()
    assert row is not None
    await knowledge.unpublish(row["id"], actor_id=None)
    report = await kb_import.import_directory(small_kb)
    assert (report.updated, report.unchanged) == (1, 1)
    assert await ArticleVersion.count() == 2
    assert await Article.count().where(Article.status == ArticleStatus.published) == 2


async def test_bad_files_are_reported_one_by_one_and_the_rest_imported(small_kb: Path) -> None:
    write_article(small_kb, "billing", "no-such-language", language="fr")
    write_article(small_kb, "billing", "bad-audience", audience="everyone")
    write_article(small_kb, "unknown", "lost-category")
    write_article(small_kb, "billing", "long-title", title="x" * 201)
    (small_kb / "billing" / "no-front-matter.en.md").write_text("Just text.\n", encoding="utf-8")
    (small_kb / "billing" / "Bad Name.md").write_text("---\n---\n", encoding="utf-8")
    (small_kb / "invoices" / "pay-by-card.en.md").write_bytes(
        (small_kb / "billing" / "pay-by-card.en.md").read_bytes().replace(b"category: billing", b"category: invoices")
    )
    report = await kb_import.import_directory(small_kb)
    assert report.created == 2
    problems = {Path(error.split(":", 1)[0]).name: error for error in report.errors}
    assert set(problems) == {
        "no-such-language.fr.md",
        "bad-audience.en.md",
        "lost-category.en.md",
        "long-title.en.md",
        "no-front-matter.en.md",
        "Bad Name.md",
        "pay-by-card.en.md",
    }
    assert "same slug and language" in problems["pay-by-card.en.md"]
    assert "category" in problems["lost-category.en.md"]
    assert "audience" in problems["bad-audience.en.md"]
    assert await Article.count() == 2


async def test_files_saved_by_windows_editors_import_the_same(small_kb: Path) -> None:
    path = write_article(small_kb, "billing", "windows", body="Line one.\nLine two.")
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # a byte-order mark and CRLF line ends
    no_final_newline = write_article(small_kb, "billing", "short")
    no_final_newline.write_text(no_final_newline.read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    report = await kb_import.import_directory(small_kb)
    assert report.errors == []
    row = await Article.select(Article.body).where(Article.key == "windows:en").first()
    assert row == {"body": "Line one.\nLine two.\n"}


async def test_a_broken_categories_file_is_reported_and_known_categories_still_used(small_kb: Path) -> None:
    await kb_import.import_directory(small_kb)
    (small_kb / "categories.yaml").write_text("- slug: [not, valid\n", encoding="utf-8")
    write_article(small_kb, "billing", "new-article")
    report = await kb_import.import_directory(small_kb)
    assert report.created == 1
    assert len(report.errors) == 1
    assert "categories.yaml" in report.errors[0]
    assert await KbCategory.count() == 2


async def test_a_missing_folder_is_an_error_not_a_report(tmp_path: Path) -> None:
    with pytest.raises(KbFileError, match="no such folder"):
        await kb_import.import_directory(tmp_path / "nowhere")


def test_the_cli_imports_with_a_progress_bar_and_reindexes(small_kb: Path, tmp_path: Path) -> None:
    env = {"PORTAL_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    assert run_portal("migrate", env=env).returncode == 0
    imported = run_portal("kb", "import", str(small_kb), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "Importing knowledge base" in imported.stderr
    assert "Articles: 2 created, 0 updated, 0 unchanged; categories: 2 created" in imported.stderr
    assert "Search index rebuilt: 2 published article(s)." in imported.stderr
    again = run_portal("kb", "import", str(small_kb), env=env)
    assert "Articles: 0 created, 0 updated, 2 unchanged" in again.stderr
    write_article(small_kb, "billing", "broken", audience="nobody")
    broken = run_portal("kb", "import", str(small_kb), env=env)
    assert broken.returncode == 1
    assert "broken.en.md" in broken.stderr
    missing = run_portal("kb", "import", str(tmp_path / "nowhere"), env=env)
    assert missing.returncode == 1
    assert "no such folder" in missing.stderr
    shutil.rmtree(tmp_path / "data" / "search")
    reindexed = run_portal("reindex", env=env)
    assert reindexed.returncode == 0, reindexed.stderr
    assert "Indexing articles" in reindexed.stderr
    assert "Search index rebuilt: 2 published article(s)." in reindexed.stderr
    assert (tmp_path / "data" / "search" / "current").is_symlink()


def test_the_demo_loads_the_seed_knowledge_base(tmp_path: Path) -> None:
    env = {"PORTAL_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    result = run_portal("demo", "--no-serve", env=env, timeout=180)
    assert result.returncode == 0, result.stderr
    files = len(list(SEED.glob("*/*.md")))
    assert f"Articles: {files} created" in result.stderr
    assert (tmp_path / "search" / "current").is_symlink()
