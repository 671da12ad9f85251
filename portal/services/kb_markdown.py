"""Knowledge-base Markdown to safe HTML: rendered by markdown-it, then sanitised by nh3 (Ammonia).

Rendering already refuses raw HTML; the sanitiser is the guarantee, so whatever an author (or a stolen staff
account) types, pages get only the tags and attributes below. No `style` attribute survives either, so that
the strict Content-Security-Policy holds: table alignment becomes a class.

Links between seed articles are written as relative file links (`../billing-and-invoices/payment-methods.en.md`,
so they work on GitHub too) and become the article's address on the portal (`/kb/article/payment-methods/en`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.anchors.index import slugify

ARTICLE_LINK = re.compile(
    r"^(?:[\w.-]+/)*(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<language>[a-z]{2})\.md(?P<anchor>#.*)?$"
)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
EXTERNAL_REL = "nofollow noopener noreferrer"
IMAGE_SOURCES = ("https://", "/kb/files/")
ALIGN = re.compile(r"^text-align:(left|center|right)$")
# Heading ids share the page with the portal's own (`main`, `feedback`, ...); the prefix keeps them apart.
HEADING_ID_PREFIX = "h-"

TAGS = {
    *(f"h{level}" for level in range(1, 7)),
    *("p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "a", "img"),
    *("ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub"),
}
ATTRIBUTES: dict[str, set[str]] = {
    **{f"h{level}": {"id"} for level in range(1, 7)},
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
CLASSES = {cell: {"align-left", "align-center", "align-right"} for cell in ("th", "td")}
URL_SCHEMES = {"https", "http", "mailto", "tel"}


def render(markdown: str) -> str:
    """Safe HTML for an article body: headings with ids, tables, code, quotes, lists, links and images."""
    return sanitise(_markdown().render(markdown))


def sanitise(html: str) -> str:
    """Only the tags and attributes articles need; scripts, styles and event handlers never get through."""
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        link_rel=None,  # set per link while rendering: only external links get nofollow
        url_schemes=URL_SCHEMES,
        allowed_classes=CLASSES,
        strip_comments=True,
    )


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if value.startswith(IMAGE_SOURCES) and not value.startswith("/kb/files/..") else None
    if tag == "a" and attribute == "rel":
        return value if value == EXTERNAL_REL else None
    return value


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=_heading_id)
    md.core.ruler.push("kb_links", _links_and_cells)
    return md


def _heading_id(title: str) -> str:
    return HEADING_ID_PREFIX + slugify(title)


def _links_and_cells(state: StateCore) -> None:
    """Article links to portal addresses, `rel` on external links, and table alignment as a class."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            _align_class(token)
        for child in token.children or ():
            if child.type == "link_open":
                _link(child)


def _link(token: Any) -> None:
    href = str(token.attrGet("href") or "")
    article = ARTICLE_LINK.match(href)
    if href.startswith("#") and len(href) > 1:  # a heading of this article
        token.attrSet("href", _heading_anchor(href))
    elif article is not None and "://" not in href:
        anchor = _heading_anchor(article["anchor"]) if article["anchor"] else ""
        token.attrSet("href", f"/kb/article/{article['slug']}/{article['language']}{anchor}")
    elif EXTERNAL.match(href):
        token.attrSet("rel", EXTERNAL_REL)


def _heading_anchor(anchor: str) -> str:
    name = anchor.removeprefix("#")
    return "#" + (name if name.startswith(HEADING_ID_PREFIX) else HEADING_ID_PREFIX + name)


def _align_class(token: Any) -> None:
    style = token.attrGet("style")
    if style is None:
        return
    token.attrs.pop("style", None)
    match = ALIGN.match(str(style))
    if match is not None:
        token.attrSet("class", f"align-{match[1]}")
