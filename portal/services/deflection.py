"""Case deflection: the articles suggested beside the new-case form, and what came of them.

A customer's new-case form carries a token (`new_token`), which costs nothing: the form's row is written by its
first `suggestions` call, bound to the customer who typed, so a page opened and left records nothing. As they type,
`suggestions` searches the knowledge base and records each article shown once per form, at the position it was
first shown (an impression). Opening one is a click; "this answered my question" ends the form as *deflected*;
sending the case ends it as *case_opened*. The figures for the back office (`deflection_stats`,
`articles_to_improve`, `article_deflection_figures`) are counted from those rows. Nothing here knows of HTTP.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count

from portal.db.kb_tables import (
    Article,
    ArticleStatus,
    Deflection,
    DeflectionOutcome,
    DeflectionShown,
)
from portal.search.documents import Clearance, Language, SearchQuery, visible_audiences
from portal.services.kb_index import KnowledgeSearch

TOKEN_BYTES = 24  # 32 URL-safe characters
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # anything else never reaches the database (a NUL byte fails there)
QUERY_CHARS = 500  # of the description: enough words to rank by, without a slow query for a long story


class UnknownDeflection(Exception):
    """No such token, or it is another user's: the caller answers 404, whichever it is."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    article_id: int
    slug: str
    language: str
    title: str
    snippet_html: str  # escaped, matches in <mark>: safe as is
    position: int


@dataclass(frozen=True, slots=True)
class DeflectionStats:
    impressions: int
    clicks: int
    deflected: int
    cases_opened: int  # cases opened by customers who had been shown suggestions

    @property
    def rate(self) -> float | None:
        """deflected / (deflected + cases opened after suggestions); None before there is either."""
        ended = self.deflected + self.cases_opened
        return self.deflected / ended if ended else None


@dataclass(frozen=True, slots=True)
class DailyFigures:
    days: list[date]
    impressions: list[int]
    deflected: list[int]
    cases_opened: list[int]


@dataclass(frozen=True, slots=True)
class ArticleToImprove:
    article_id: int
    slug: str
    language: str
    title: str
    shown_before_case: int  # forms ending in a case that had shown this article
    deflected: int  # forms this article ended as "answered"


def _now() -> datetime:
    return datetime.now(UTC)


def new_token() -> str:
    """A new form's token, not yet anyone's: its first `suggestions` call binds it (and writes its row)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


async def start(user_id: int) -> str:
    """A new form's token, bound to `user_id` at once (as the form's first suggestions would bind it)."""
    token = new_token()
    await _bind(token, user_id)
    return token


async def owned(token: str, user_id: int) -> dict[str, Any]:
    """The form `token` names if it is `user_id`'s; else UnknownDeflection (for a token not bound yet too)."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise UnknownDeflection()
    row = await Deflection.select().where(Deflection.token == token, Deflection.user == user_id).first()
    if row is None:
        raise UnknownDeflection()
    return row


async def _bind(token: str, user_id: int) -> dict[str, Any]:
    """The form `token` names, bound to `user_id` now if nobody had it; UnknownDeflection if it is another's."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise UnknownDeflection()
    await Deflection.insert(Deflection(token=token, user=user_id)).on_conflict(
        target=Deflection.token, action="DO NOTHING"
    )
    return await owned(token, user_id)


async def _not_anothers(token: str, user_id: int) -> None:
    """UnknownDeflection if `token` is malformed or bound to someone other than `user_id`; writes nothing."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise UnknownDeflection()
    row = await Deflection.select(Deflection.user).where(Deflection.token == token).first()
    if row is not None and row["user"] != user_id:
        raise UnknownDeflection()


async def suggestions(
    token: str,
    subject: str,
    description: str,
    clearance: Clearance,
    language: Language,
    limit: int = 5,
    *,
    user_id: int,
    search: KnowledgeSearch,
) -> list[Suggestion]:
    """The best articles for what the customer typed, each recorded as shown (once per form, first position
    kept). The first call with something typed binds the token to `user_id`; a token bound to another user is
    UnknownDeflection. An empty form suggests nothing and records nothing."""
    text = f"{subject} {description[:QUERY_CHARS]}".strip()
    if not text:
        await _not_anothers(token, user_id)
        return []
    deflection = await _bind(token, user_id)
    results = await search.search(
        SearchQuery(text=text, clearance=clearance, language=language, page_size=limit, facets=False)
    )
    keys = [hit.id for hit in results.hits]
    if not keys:
        return []
    ids = {
        row["key"]: row["id"]
        for row in await Article.select(Article.id, Article.key).where(
            Article.key.is_in(keys), Article.status == ArticleStatus.published
        )
    }
    found = [
        Suggestion(ids[hit.id], hit.slug, hit.language, hit.title, hit.snippet_html, position)
        for position, hit in enumerate((hit for hit in results.hits if hit.id in ids), start=1)
    ]
    if found:
        await DeflectionShown.insert(
            *(
                DeflectionShown(
                    deflection=deflection["id"],
                    article=item.article_id,
                    key=f"{deflection['id']}:{item.article_id}",
                    position=item.position,
                )
                for item in found
            )
        ).on_conflict(target=DeflectionShown.key, action="DO NOTHING")
    return found


async def suggested_article(token: str, article_id: int, user_id: int, clearance: Clearance) -> dict[str, Any]:
    """An article shown on `user_id`'s form, still published and readable by them; else UnknownDeflection."""
    deflection = await owned(token, user_id)
    shown = await DeflectionShown.exists().where(DeflectionShown.key == f"{deflection['id']}:{article_id}")
    audiences = list(visible_audiences(clearance))
    article = (
        await Article.select(Article.id, Article.slug, Article.language, Article.title, Article.body_html)
        .where(Article.id == article_id, Article.status == ArticleStatus.published, Article.audience.is_in(audiences))
        .first()
    )
    if not shown or article is None:
        raise UnknownDeflection()
    return article


async def click(token: str, article_id: int, user_id: int) -> None:
    """The customer opened a suggested article."""
    deflection = await owned(token, user_id)
    await DeflectionShown.update({DeflectionShown.clicked: True}).where(
        DeflectionShown.key == f"{deflection['id']}:{article_id}"
    )


async def deflected(token: str, article_id: int, user_id: int) -> None:
    """ "This answered my question": the form ends without a case. A form that already ended stays as it was."""
    deflection = await owned(token, user_id)
    await Deflection.update(
        {Deflection.outcome: DeflectionOutcome.deflected, Deflection.article: article_id, Deflection.ended_at: _now()}
    ).where(Deflection.id == deflection["id"], Deflection.outcome == DeflectionOutcome.pending)


async def case_opened(token: str, case_id: int, user_id: int) -> None:
    """The form was sent as a case. An unknown or unbound token, or another user's, is ignored: the case is opened
    anyway (and a form that never showed an article does not count against the knowledge base)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return
    await Deflection.update(
        {Deflection.outcome: DeflectionOutcome.case_opened, Deflection.case: case_id, Deflection.ended_at: _now()}
    ).where(Deflection.token == token, Deflection.user == user_id, Deflection.outcome != DeflectionOutcome.case_opened)


# --- Figures for the back office ------------------------------------------------------------------------------


def _ended(outcome: DeflectionOutcome, since: datetime, until: datetime) -> Any:
    return (Deflection.outcome == outcome) & (Deflection.ended_at >= since) & (Deflection.ended_at < until)


async def _cases_after_suggestions(since: datetime, until: datetime) -> list[int]:
    """The forms ended by a case in the period that had shown at least one article."""
    rows = await DeflectionShown.select(DeflectionShown.deflection).where(
        DeflectionShown.deflection.outcome == DeflectionOutcome.case_opened,
        DeflectionShown.deflection.ended_at >= since,
        DeflectionShown.deflection.ended_at < until,
    )
    return sorted({row["deflection"] for row in rows})


async def deflection_stats(since: datetime, until: datetime) -> DeflectionStats:
    """Impressions and clicks shown in [since, until); deflections and cases ended in it."""
    in_period = (DeflectionShown.shown_at >= since) & (DeflectionShown.shown_at < until)
    return DeflectionStats(
        impressions=await DeflectionShown.count().where(in_period),
        clicks=await DeflectionShown.count().where(in_period & (DeflectionShown.clicked == True)),  # noqa: E712
        deflected=await Deflection.count().where(_ended(DeflectionOutcome.deflected, since, until)),
        cases_opened=len(await _cases_after_suggestions(since, until)),
    )


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


async def daily_figures(since: datetime, until: datetime, timezone: str = "UTC") -> DailyFigures:
    """Impressions, deflections and cases after suggestions per day of the period, days in `timezone`."""
    zone = ZoneInfo(timezone)
    first, last = _day(since, zone), _day(until, zone)
    if until.astimezone(zone).time() == datetime.min.time() and last > first:
        last = date.fromordinal(last.toordinal() - 1)  # `until` is exclusive
    days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    shown = await DeflectionShown.select(DeflectionShown.shown_at).where(
        DeflectionShown.shown_at >= since, DeflectionShown.shown_at < until
    )
    answered = await Deflection.select(Deflection.ended_at).where(_ended(DeflectionOutcome.deflected, since, until))
    cases = await _cases_after_suggestions(since, until)
    opened = await Deflection.select(Deflection.ended_at).where(Deflection.id.is_in(cases)) if cases else []
    counts = [
        Counter(_day(row[column], zone) for row in rows)
        for rows, column in ((shown, "shown_at"), (answered, "ended_at"), (opened, "ended_at"))
    ]
    return DailyFigures(days, *([count[day] for day in days] for count in counts))


async def articles_to_improve(since: datetime, until: datetime, limit: int = 20) -> list[ArticleToImprove]:
    """The articles most often shown to customers who then opened a case anyway, most first."""
    cases = await _cases_after_suggestions(since, until)
    if not cases:
        return []
    rows = (
        await DeflectionShown.select(DeflectionShown.article, Count(DeflectionShown.id, alias="shown"))
        .where(DeflectionShown.deflection.is_in(cases))
        .group_by(DeflectionShown.article)
    )
    shown = Counter({row["article"]: row["shown"] for row in rows})
    top = shown.most_common(limit)
    ids = [article_id for article_id, _count in top]
    articles = {
        row["id"]: row
        for row in await Article.select(Article.id, Article.slug, Article.language, Article.title).where(
            Article.id.is_in(ids)
        )
    }
    answered = Counter(
        row["article"]
        for row in await Deflection.select(Deflection.article).where(
            _ended(DeflectionOutcome.deflected, since, until), Deflection.article.is_in(ids)
        )
    )
    return [
        ArticleToImprove(
            article_id,
            articles[article_id]["slug"],
            articles[article_id]["language"],
            articles[article_id]["title"],
            count,
            answered[article_id],
        )
        for article_id, count in sorted(top, key=lambda item: (-item[1], articles[item[0]]["title"]))
        if article_id in articles
    ]


async def article_deflection_figures() -> dict[int, tuple[int, int]]:
    """{article id: (times shown beside the new-case form, forms it ended as answered)}, over all time."""
    shown = await DeflectionShown.select(DeflectionShown.article, Count(DeflectionShown.id, alias="n")).group_by(
        DeflectionShown.article
    )
    answered = (
        await Deflection.select(Deflection.article, Count(Deflection.id, alias="n"))
        .where(Deflection.outcome == DeflectionOutcome.deflected, Deflection.article.is_not_null())
        .group_by(Deflection.article)
    )
    answered_by = {row["article"]: row["n"] for row in answered}
    figures = {row["article"]: (row["n"], answered_by.get(row["article"], 0)) for row in shown}
    for article_id, count in answered_by.items():
        figures.setdefault(article_id, (0, count))
    return figures
