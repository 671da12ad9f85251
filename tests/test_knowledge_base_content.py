"""The seed knowledge base in `knowledge_base/` is content the importer and the search index rely on.

Layout: knowledge_base/<category>/<slug>.<language>.md, YAML front matter between `---` lines, Markdown body.
These tests keep it importable (front matter, file names, folders), bilingual enough (both languages of most
slugs, roughly half Greek), safe to render (no raw HTML, no images) and internally consistent (every relative
link points at an article that exists, and nothing public links to a staff-only article).
"""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

KB = Path(__file__).parent.parent / "knowledge_base"

CATEGORIES = {
    "getting-started",
    "account-and-sign-in",
    "billing-and-invoices",
    "orders-and-delivery",
    "troubleshooting",
    "policies-and-complaints",
    "support-contracts",
}
LANGUAGES = {"en", "el"}
AUDIENCES = {"public", "customers", "internal"}
REQUIRED_KEYS = {"slug", "title", "language", "category", "audience", "summary", "tags", "products", "updated"}

FILE_NAME = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<language>[a-z]{2})\.md$")
LINK = re.compile(r"(?<!!)\[[^\]]+\]\(([^)\s]+)\)")
GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
LATIN = re.compile(r"[A-Za-z]")
WORD = re.compile(r"\w+")
MIN_WORDS, MAX_WORDS = 150, 450


@dataclass(frozen=True)
class Article:
    path: Path
    meta: dict[str, Any]
    body: str

    @property
    def name(self) -> str:
        return self.path.relative_to(KB).as_posix()


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    assert text.startswith("---\n"), "the file must open with a --- line"
    end = text.find("\n---\n", 4)
    assert end > 0, "the front matter must close with a --- line"
    meta = yaml.safe_load(text[4:end])
    assert isinstance(meta, dict), "the front matter must be a mapping"
    return meta, text[end + 5 :]


def load(path: Path) -> Article:
    meta, body = split_front_matter(path.read_text(encoding="utf-8"))
    return Article(path, meta, body)


PATHS = sorted(KB.rglob("*.md"))
ARTICLES = [load(path) for path in PATHS]


def ids(articles: list[Article]) -> list[str]:
    return [article.name for article in articles]


def test_the_knowledge_base_has_enough_articles() -> None:
    assert len(ARTICLES) >= 40


def test_nothing_but_articles_in_category_folders() -> None:
    for path in KB.rglob("*"):
        relative = path.relative_to(KB)
        if relative.as_posix() == "categories.yaml":  # the category names and order, read by the importer
            continue
        if path.is_dir():
            assert len(relative.parts) == 1, f"{relative}: folders are one level deep"
            assert relative.parts[0] in CATEGORIES, f"{relative}: not a known category"
        else:
            assert len(relative.parts) == 2, f"{relative}: articles live in a category folder"
            assert FILE_NAME.match(path.name), f"{relative}: name must be <slug>.<language>.md"


@pytest.mark.parametrize("article", ARTICLES, ids=ids(ARTICLES))
def test_front_matter_is_complete_and_matches_the_file(article: Article) -> None:
    meta = article.meta
    assert set(meta) == REQUIRED_KEYS, f"keys differ: {sorted(set(meta) ^ REQUIRED_KEYS)}"
    match = FILE_NAME.match(article.path.name)
    assert match is not None
    assert meta["slug"] == match["slug"]
    assert meta["language"] == match["language"]
    assert meta["language"] in LANGUAGES
    assert meta["category"] == article.path.parent.name
    assert meta["category"] in CATEGORIES
    assert meta["audience"] in AUDIENCES
    for key in ("title", "summary"):
        assert isinstance(meta[key], str), key
        assert meta[key].strip(), key
        assert "\n" not in meta[key].strip(), key
    assert len(meta["title"]) <= 90
    assert 30 <= len(meta["summary"]) <= 200
    assert meta["summary"].rstrip().endswith((".", ";")), "the summary is one full sentence"
    assert isinstance(meta["tags"], list)
    assert meta["tags"], "at least one tag"
    assert all(isinstance(tag, str) and tag.strip() for tag in meta["tags"])
    assert len(set(meta["tags"])) == len(meta["tags"]), "duplicate tag"
    assert isinstance(meta["products"], list)
    assert all(isinstance(product, str) and product.strip() for product in meta["products"])
    updated = meta["updated"]
    if isinstance(updated, str):
        updated = datetime.date.fromisoformat(updated)
    assert isinstance(updated, datetime.date)
    assert updated.year == 2026


def test_slugs_are_unique_per_language_and_translations_share_a_category() -> None:
    seen = Counter((article.meta["slug"], article.meta["language"]) for article in ARTICLES)
    assert [key for key, count in seen.items() if count > 1] == []
    categories: dict[str, set[str]] = defaultdict(set)
    for article in ARTICLES:
        categories[article.meta["slug"]].add(article.meta["category"])
    assert {slug: found for slug, found in categories.items() if len(found) > 1} == {}


def test_about_half_is_greek_and_most_slugs_exist_in_both_languages() -> None:
    greek = sum(article.meta["language"] == "el" for article in ARTICLES)
    assert 0.4 <= greek / len(ARTICLES) <= 0.6
    languages: dict[str, set[str]] = defaultdict(set)
    for article in ARTICLES:
        languages[article.meta["slug"]].add(article.meta["language"])
    both = [slug for slug, found in languages.items() if found == LANGUAGES]
    single = [slug for slug, found in languages.items() if found != LANGUAGES]
    assert len(both) >= 20
    assert single, "a few articles without translation keep the portal honest about missing ones"


def test_there_are_staff_only_articles_and_mostly_public_ones() -> None:
    audiences = Counter(article.meta["audience"] for article in ARTICLES)
    assert audiences["internal"] >= 4
    assert audiences["public"] + audiences["customers"] >= 0.75 * len(ARTICLES)


@pytest.mark.parametrize("article", ARTICLES, ids=ids(ARTICLES))
def test_body_is_a_real_article(article: Article) -> None:
    words = len(WORD.findall(article.body))
    assert MIN_WORDS <= words <= MAX_WORDS, f"{words} words"
    lines = article.body.splitlines()
    assert any(line.startswith("## ") for line in lines), "at least one section heading"
    assert not any(line.startswith("# ") for line in lines), "the title comes from the front matter, not an H1"


@pytest.mark.parametrize("article", ARTICLES, ids=ids(ARTICLES))
def test_body_is_plain_markdown(article: Article) -> None:
    assert not re.search(r"</?[A-Za-z!][^>]*>", article.body), "no raw HTML"
    assert "![" not in article.body, "no images"
    assert "\t" not in article.body
    assert not re.search(r"[ \t]+$", article.body, re.MULTILINE), "no trailing whitespace"


@pytest.mark.parametrize("article", ARTICLES, ids=ids(ARTICLES))
def test_language_of_the_text_matches_the_front_matter(article: Article) -> None:
    text = article.meta["title"] + " " + article.meta["summary"] + " " + article.body
    greek, latin = len(GREEK.findall(text)), len(LATIN.findall(text))
    if article.meta["language"] == "el":
        assert greek > 2 * latin, f"{greek} Greek letters, {latin} Latin letters"
        assert GREEK.search(article.meta["title"])
        assert not re.search(r"σ(?![\w\u0370-\u03ff\u1f00-\u1fff])", text), "a word ends in σ instead of ς"
        assert not re.search(r"ς[\u0370-\u03ff]", text), "ς in the middle of a word"
    else:
        assert greek < 0.05 * latin, f"{greek} Greek letters, {latin} Latin letters"


@pytest.mark.parametrize("article", ARTICLES, ids=ids(ARTICLES))
def test_no_word_mixes_greek_and_latin_letters(article: Article) -> None:
    mixed = [word for word in WORD.findall(article.body) if GREEK.search(word) and LATIN.search(word)]
    assert mixed == [], "look-alike letters from the other alphabet"


@pytest.mark.parametrize("article", ARTICLES, ids=ids(ARTICLES))
def test_relative_links_point_at_existing_articles(article: Article) -> None:
    for target in LINK.findall(article.body):
        if target.startswith(("https://", "mailto:", "tel:")):
            continue
        assert not target.startswith(("http://", "/")), f"{target}: use https or a relative link"
        file = target.split("#", 1)[0]
        assert file.endswith(".md"), f"{target}: links between articles point at .md files"
        resolved = (article.path.parent / file).resolve()
        assert resolved.is_relative_to(KB.resolve()), f"{target}: outside the knowledge base"
        assert resolved.is_file(), f"{target}: no such article"
        linked = load(resolved)
        if article.meta["audience"] != "internal":
            assert linked.meta["audience"] != "internal", f"{target}: a customer article links to a staff-only one"


def test_articles_link_to_each_other() -> None:
    linked = sum(bool(LINK.search(article.body)) for article in ARTICLES)
    assert linked >= 0.8 * len(ARTICLES)


def test_categories_file_names_every_folder_in_both_languages() -> None:
    from portal.services.kb_files import read_categories

    categories = read_categories(KB)
    assert {category.slug for category in categories} == CATEGORIES
    assert all(category.name_el != category.name_en for category in categories)


@pytest.mark.parametrize("article", ARTICLES, ids=ids(ARTICLES))
def test_the_importer_reads_it_and_it_renders_with_portal_links(article: Article) -> None:
    from portal.services.kb_files import read_article
    from portal.services.kb_markdown import render

    seed = read_article(article.path)
    html = render(seed.body)
    assert "<h2 id=" in html
    assert not re.search(r'href="[^"]*\.md', html), "a link between articles was not turned into a portal address"
