"""What the search library indexes and answers with: plain values, no whoosh types, so another backend can
answer with the same ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Language = Literal["el", "en"]
Audience = Literal["public", "customers", "internal"]
Clearance = Literal["anonymous", "customer", "staff"]

AUDIENCES: tuple[Audience, ...] = ("public", "customers", "internal")
LANGUAGES: tuple[Language, ...] = ("el", "en")

_VISIBLE: dict[Clearance, tuple[Audience, ...]] = {
    "anonymous": ("public",),
    "customer": ("public", "customers"),
    "staff": AUDIENCES,
}


def visible_audiences(clearance: Clearance) -> tuple[Audience, ...]:
    """The audiences a viewer may see: anonymous visitors public articles, customers theirs too, staff all."""
    return _VISIBLE[clearance]


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One published article in one language. The caller passes only published ones."""

    id: str  # unique in the index, e.g. "reset-password:el"
    slug: str
    language: Language
    title: str
    summary: str
    body: str  # plain text or Markdown
    tags: list[str]
    products: list[str]
    category: str
    audience: Audience
    updated: datetime

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ValueError(f"audience {self.audience!r} is not one of {AUDIENCES}")
        if self.language not in LANGUAGES:
            raise ValueError(f"language {self.language!r} is not one of {LANGUAGES}")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    clearance: Clearance
    language: Language  # the viewer's: ranked first, never a filter unless `languages` says so
    page: int = 1
    page_size: int = 10
    category: str | None = None
    product: str | None = None
    languages: tuple[Language, ...] = ()  # empty: both
    facets: bool = True  # facets need every match collected; a suggestion box can do without


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: str
    slug: str
    language: Language
    title: str
    snippet_html: str  # escaped text with matches in <mark>: safe to render as is
    category: str
    products: list[str]
    updated: datetime
    score: float


@dataclass(frozen=True, slots=True)
class SearchResults:
    hits: list[SearchHit]
    total: int  # matches the viewer may see, on every page
    page: int
    page_size: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # "category"/"language"/"product" -> counts

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
