"""Case deflection: suggestions recorded once per form, the outcomes, and the figures the back office shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal.db.kb_tables import Article, ArticleStatus, Deflection, DeflectionShown
from portal.db.tables import Role
from portal.services import deflection
from portal.services.deflection import UnknownDeflection
from portal.services.kb_index import KnowledgeSearch
from tests.case_rows import make_case
from tests.factories import make_account, make_user

SLUGS = {
    "reset-password": ("Reset your password", "Forgot your password? Use the reset link on the sign-in page."),
    "invoice-copy": ("Get a copy of an invoice", "Download any invoice from the billing page as a PDF."),
    "staff-only": ("Router firmware internals", "Internal notes on password storage in router firmware."),
}


async def publish(slug: str, audience: str = "public", language: str = "en") -> int:
    title, body = SLUGS[slug]
    rows = await Article.insert(
        Article(
            key=f"{slug}:{language}",
            slug=slug,
            language=language,
            title=title,
            summary=body,
            body=body,
            body_html=f"<p>{body}</p>",
            audience=audience,
            status=ArticleStatus.published,
        )
    ).returning(Article.id)
    return int(rows[0]["id"])


@pytest.fixture
async def search(tmp_path: Path, migrated_database: str) -> KnowledgeSearch:
    ids = {slug: await publish(slug, audience="internal" if slug == "staff-only" else "public") for slug in SLUGS}
    index = KnowledgeSearch(tmp_path / "index")
    await index.open()
    await index.rebuild()
    index.ids = ids  # type: ignore[attr-defined]
    return index


async def customer() -> int:
    account = await make_account()
    return (await make_user(Role.contact, account_id=account.id)).id


def period() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(days=1), now + timedelta(minutes=1)


async def test_suggestions_are_recorded_once_per_form_at_their_first_position(search: KnowledgeSearch) -> None:
    user = await customer()
    token = await deflection.start(user)

    first = await deflection.suggestions(token, "password", "", "customer", "en", user_id=user, search=search)
    again = await deflection.suggestions(
        token, "invoice", "and my password", "customer", "en", user_id=user, search=search
    )

    ids = search.ids  # type: ignore[attr-defined]
    assert [item.article_id for item in first] == [ids["reset-password"]]
    assert {item.article_id for item in again} == {ids["reset-password"], ids["invoice-copy"]}
    shown = {row["article"]: row["position"] for row in await DeflectionShown.select()}
    assert shown == {ids["reset-password"]: 1, ids["invoice-copy"]: shown[ids["invoice-copy"]]}
    assert (await deflection.deflection_stats(*period())).impressions == 2


async def test_a_customer_is_never_suggested_an_internal_article(search: KnowledgeSearch) -> None:
    user = await customer()
    token = await deflection.start(user)

    found = await deflection.suggestions(token, "firmware", "", "customer", "en", user_id=user, search=search)

    assert found == []
    assert await DeflectionShown.count() == 0


async def test_another_users_token_is_refused(search: KnowledgeSearch) -> None:
    owner, other = await customer(), await customer()
    token = await deflection.start(owner)
    await deflection.suggestions(token, "password", "", "customer", "en", user_id=owner, search=search)
    article = search.ids["reset-password"]  # type: ignore[attr-defined]

    with pytest.raises(UnknownDeflection):
        await deflection.suggestions(token, "invoice", "", "customer", "en", user_id=other, search=search)
    with pytest.raises(UnknownDeflection):
        await deflection.click(token, article, other)
    with pytest.raises(UnknownDeflection):
        await deflection.deflected(token, article, other)
    await deflection.case_opened(token, (await make_case(await make_user(Role.contact))).id, other)

    assert (await Deflection.select(Deflection.outcome).first())["outcome"] == "pending"  # type: ignore[index]


async def test_a_token_is_bound_to_whoever_first_asks_for_suggestions(search: KnowledgeSearch) -> None:
    owner, other = await customer(), await customer()
    token = deflection.new_token()
    article = search.ids["reset-password"]  # type: ignore[attr-defined]

    assert await deflection.suggestions(token, "", " ", "customer", "en", user_id=owner, search=search) == []
    with pytest.raises(UnknownDeflection):
        await deflection.click(token, article, owner)
    with pytest.raises(UnknownDeflection):
        await deflection.deflected(token, article, owner)
    await deflection.case_opened(token, (await make_case(await make_user(Role.contact))).id, owner)
    assert await Deflection.count() == 0  # nothing typed, nothing shown: nothing recorded

    await deflection.suggestions(token, "password", "", "customer", "en", user_id=owner, search=search)
    with pytest.raises(UnknownDeflection):
        await deflection.suggestions(token, "invoice", "", "customer", "en", user_id=other, search=search)
    with pytest.raises(UnknownDeflection):
        await deflection.suggestions(token, "", "", "customer", "en", user_id=other, search=search)

    assert await Deflection.select(Deflection.user, Deflection.outcome) == [{"user": owner, "outcome": "pending"}]
    assert await DeflectionShown.count() == 1


async def test_outcomes_make_the_stats_and_the_articles_to_improve(search: KnowledgeSearch) -> None:
    ids = search.ids  # type: ignore[attr-defined]
    user = await customer()
    answered, opened, silent = [await deflection.start(user) for _ in range(3)]
    for token in (answered, opened):
        await deflection.suggestions(token, "password", "", "customer", "en", user_id=user, search=search)
    await deflection.click(answered, ids["reset-password"], user)
    await deflection.deflected(answered, ids["reset-password"], user)
    case = await make_case(await make_user(Role.contact))
    await deflection.case_opened(opened, case.id, user)
    await deflection.case_opened(silent, case.id, user)  # no suggestion was shown: not counted against the KB

    stats = await deflection.deflection_stats(*period())
    assert (stats.impressions, stats.clicks, stats.deflected, stats.cases_opened) == (2, 1, 1, 1)
    assert stats.rate == 0.5
    (worst,) = await deflection.articles_to_improve(*period())
    assert (worst.article_id, worst.shown_before_case, worst.deflected) == (ids["reset-password"], 1, 1)
    assert await deflection.article_deflection_figures() == {ids["reset-password"]: (2, 1)}
    daily = await deflection.daily_figures(*period())
    assert (sum(daily.impressions), sum(daily.deflected), sum(daily.cases_opened)) == (2, 1, 1)


async def test_a_form_that_ended_keeps_its_outcome(search: KnowledgeSearch) -> None:
    user = await customer()
    token = await deflection.start(user)
    await deflection.suggestions(token, "password", "", "customer", "en", user_id=user, search=search)
    await deflection.case_opened(token, (await make_case(await make_user(Role.contact))).id, user)

    await deflection.deflected(token, search.ids["reset-password"], user)  # type: ignore[attr-defined]

    assert (await Deflection.select(Deflection.outcome).first())["outcome"] == "case_opened"  # type: ignore[index]
    assert (await deflection.deflection_stats(*period())).rate == 0.0
