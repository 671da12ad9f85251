"""Article Markdown to HTML: what authors need renders, hostile input never reaches a page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from portal.services.kb_markdown import render, sanitise


class Elements(HTMLParser):
    """The elements and attributes a browser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def test_headings_get_ids_and_tables_lists_code_and_quotes_render() -> None:
    html = render(
        "## Αλλαγή κωδικού\n\nText with **bold**, *em* and `code`.\n\n"
        "| Step | Time |\n|:-----|-----:|\n| one | 5 min |\n\n"
        "1. first\n2. second\n\n- a\n- b\n\n```\nprint(1)\n```\n\n> a quote\n\n## Αλλαγή κωδικού\n"
    )
    assert '<h2 id="h-αλλαγή-κωδικού">Αλλαγή κωδικού</h2>' in html
    assert '<h2 id="h-αλλαγή-κωδικού-1">' in html  # a repeated heading still gets its own anchor
    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<code>code</code>" in html
    assert '<th class="align-left">Step</th>' in html
    assert '<td class="align-right">5 min</td>' in html
    assert "<ol>" in html
    assert "<ul>" in html
    assert "<pre><code>print(1)\n</code></pre>" in html
    assert "<blockquote>" in html
    assert "style" not in html  # the strict CSP allows no style attributes


def test_links_between_seed_articles_become_portal_addresses() -> None:
    html = render("[Reset](../account-and-sign-in/reset-password.el.md#βήματα) and [same](invite-your-team.en.md)")
    # markdown-it percent-encodes the fragment; browsers decode it to find the heading's id
    assert '<a href="/kb/article/reset-password/el#h-%CE%B2%CE%AE%CE%BC%CE%B1%CF%84%CE%B1">Reset</a>' in html
    assert '<a href="/kb/article/invite-your-team/en">same</a>' in html


def test_only_external_links_get_nofollow() -> None:
    html = render("[out](https://example.com/x) [in](/cases/new) [mail](mailto:help@example.com)")
    assert '<a href="https://example.com/x" rel="nofollow noopener noreferrer">out</a>' in html
    assert '<a href="/cases/new">in</a>' in html
    assert '<a href="mailto:help@example.com">mail</a>' in html


def test_images_only_from_https_or_the_article_files() -> None:
    html = render("![a](https://cdn.example/a.png) ![b](/kb/files/3/b.png) ![c](http://plain.example/c.png)")
    assert '<img src="https://cdn.example/a.png" alt="a">' in html
    assert '<img src="/kb/files/3/b.png" alt="b">' in html
    assert "plain.example" not in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](javascript:alert(1))",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<iframe src=https://evil.example></iframe>",
        '<svg onload="alert(1)"></svg>',
        "<style>body{display:none}</style>",
        '[x](https://e.example "a\\" onmouseover=\\"alert(1)")',
    ],
)
def test_hostile_markdown_renders_harmless(hostile: str) -> None:
    elements = Elements()
    elements.feed(render(hostile))  # escaped text (&lt;script&gt;) is harmless and stays
    assert {tag for tag, _ in elements.found} <= {"p", "a", "img"}
    for _, attrs in elements.found:
        assert not any(name.startswith("on") or name == "style" for name, _ in attrs)
        urls = [value or "" for name, value in attrs if name in ("href", "src")]
        assert not any(url.strip().lower().startswith(("javascript:", "data:", "vbscript:")) for url in urls)


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ('<p onclick="x()">hi</p><script>alert(1)</script>', "<p>hi</p>"),
        ('<a href="javascript:alert(1)" rel="opener">x</a>', "<a>x</a>"),
        ('<img src="http://tracker.example/p.gif" onerror="x()">', "<img>"),
        ('<img src="/kb/files/../../etc/passwd">', "<img>"),
        ('<h2 id="a" style="color:red" class="x">t</h2>', '<h2 id="a">t</h2>'),
        ('<td class="align-left evil">1</td>', "1"),  # a cell outside a table is dropped, its text kept
        ("<!-- comment --><em>e</em>", "<em>e</em>"),
    ],
)
def test_the_sanitiser_is_the_last_word_even_on_raw_html(dirty: str, clean: str) -> None:
    assert sanitise(dirty) == clean


def test_heading_ids_never_clash_with_the_pages_own() -> None:
    html = render("## Feedback\n\n## Main\n\n[back](#feedback)\n")
    assert '<h2 id="h-feedback">' in html
    assert '<h2 id="h-main">' in html
    assert 'href="#h-feedback"' in html
    assert 'id="feedback"' not in html
    assert 'id="main"' not in html
