"""Images and attachments of knowledge-base articles: uploaded by staff on the edit page, served at /kb/files/
only to those who may read the article, never run by the browser."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from litestar import Litestar

from portal.db.kb_tables import ArticleFile
from portal.db.tables import Role
from portal.services import attachments, kb_article_files, knowledge
from portal.services.attachment_store import AttachmentStore, new_key
from tests import sample_files
from tests.factories import csrf_headers, make_account, make_user, sign_in

Client = httpx.AsyncClient


async def as_role(client: Client, role: Role | None) -> None:
    client.cookies.clear()
    if role is not None:
        account_id = (await make_account()).id if role == Role.contact else None
        await sign_in(client, (await make_user(role, account_id=account_id)).email)


async def article(*, audience: str = "public", publish: bool = True) -> int:
    data = knowledge.ArticleInput(
        slug="router-lights",
        language="en",
        title="What the router's lights mean",
        body="A green light means all is well.\n",
        audience=audience,
    )
    article_id = await knowledge.save(data, actor_id=None)
    if publish:
        await knowledge.publish(article_id, actor_id=None)
    return article_id


async def upload(client: Client, article_id: int, *files: tuple[str, bytes]) -> httpx.Response:
    if "portal_csrf" not in client.cookies:
        await client.get("/")
    return await client.post(
        f"/backoffice/kb/{article_id}/files",
        files=[("files", (name, data)) for name, data in files],
        headers=csrf_headers(client),
        follow_redirects=False,
    )


def store(app: Litestar) -> AttachmentStore:
    return kb_article_files.article_store(app.state.attachments)


async def test_staff_upload_an_image_and_get_the_markdown_to_paste(client: Client, app: Litestar) -> None:
    await as_role(client, Role.agent)
    article_id = await article()
    uploaded = await upload(client, article_id, ("lights diagram.png", sample_files.png()))
    assert uploaded.status_code == 303
    page = await client.get(uploaded.headers["location"])
    assert "1 file added: paste its Markdown into the body." in page.text
    row = await ArticleFile.select().first()
    assert row is not None
    assert row["content_type"] == "image/png"
    snippet = f"![lights diagram](/kb/files/{row['id']}/lights%20diagram.png)"
    assert f'<code class="kb-snippet">{snippet}</code>' in page.text

    await as_role(client, None)  # the article is public and published: anyone sees the image
    image = await client.get(f"/kb/files/{row['id']}/lights%20diagram.png")
    assert image.status_code == 200
    assert image.content == sample_files.png()
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline;")
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in image.headers["content-security-policy"]


async def test_anything_but_a_safe_image_downloads_as_an_attachment(client: Client) -> None:
    await as_role(client, Role.agent)
    article_id = await article()
    await upload(client, article_id, ("guide.pdf", sample_files.pdf()), ("notes.txt", b"plain words\n"))
    rows = await ArticleFile.select().order_by(ArticleFile.id)
    assert [row["content_type"] for row in rows] == ["application/pdf", "text/plain"]
    page = (await client.get(f"/backoffice/kb/{article_id}/edit")).text
    assert f"[guide](/kb/files/{rows[0]['id']}/guide.pdf)" in page  # a link, not an image
    for row in rows:
        served = await client.get(f"/kb/files/{row['id']}/{row['filename']}")
        assert served.headers["content-disposition"].startswith("attachment;")
        assert served.headers["x-content-type-options"] == "nosniff"


async def test_a_refused_file_gets_a_message_next_to_the_field_and_nothing_is_stored(client: Client) -> None:
    await as_role(client, Role.agent)
    article_id = await article()
    refused = await upload(client, article_id, ("page.html", b"<html><script>alert(1)</script></html>"))
    assert refused.status_code == 422
    found = re.search(r'<p class="field-error" id="error-files">([^<]*)</p>', refused.text)
    assert found
    assert "page.html" in found.group(1)
    assert await ArticleFile.count() == 0
    nothing = await upload(client, article_id)
    assert nothing.status_code == 422
    assert "Choose one or more files to upload." in nothing.text


async def test_a_file_is_as_visible_as_its_article(client: Client) -> None:
    await as_role(client, Role.agent)
    article_id = await article(publish=False)
    await upload(client, article_id, ("a.png", sample_files.png()))
    row = await ArticleFile.select(ArticleFile.id).first()
    assert row is not None
    path = f"/kb/files/{row['id']}/a.png"

    def allowed(audience: str, status: str) -> dict[Role | None, bool]:
        published = status == "published"
        return {
            None: published and audience == "public",
            Role.contact: published and audience in ("public", "customers"),
            Role.agent: True,
        }

    for audience, status in (
        ("public", "draft"),
        ("public", "published"),
        ("customers", "published"),
        ("internal", "published"),
        ("public", "archived"),
    ):
        await knowledge.save(
            knowledge.ArticleInput(
                slug="router-lights", language="en", title="Lights", body="Green is good.\n", audience=audience
            ),
            actor_id=None,
            article_id=article_id,
        )
        await {"draft": knowledge.unpublish, "published": knowledge.publish, "archived": knowledge.archive}[status](
            article_id, actor_id=None
        )
        for role, visible in allowed(audience, status).items():
            await as_role(client, role)
            status_code = (await client.get(path)).status_code
            assert status_code == (200 if visible else 404), (audience, status, role)


async def test_removing_a_file_or_deleting_the_article_removes_the_bytes(client: Client, app: Litestar) -> None:
    await as_role(client, Role.agent)
    article_id = await article()
    await upload(client, article_id, ("one.png", sample_files.png()), ("two.pdf", sample_files.pdf()))
    one, two = await ArticleFile.select().order_by(ArticleFile.id)

    removed = await client.post(
        f"/backoffice/kb/{article_id}/files/{one['id']}/delete", headers=csrf_headers(client), follow_redirects=False
    )
    assert removed.status_code == 303
    assert "File removed." in (await client.get(removed.headers["location"])).text
    assert (await client.get(f"/kb/files/{one['id']}/one.png")).status_code == 404
    assert not await store(app).exists(one["storage_key"])
    other = await article_elsewhere()
    wrong_article = await client.post(
        f"/backoffice/kb/{other}/files/{two['id']}/delete", headers=csrf_headers(client), follow_redirects=False
    )
    assert wrong_article.status_code == 404
    assert await store(app).exists(two["storage_key"])

    await client.post(f"/backoffice/kb/{article_id}/delete", headers=csrf_headers(client))
    assert await ArticleFile.count() == 0
    assert not await store(app).exists(two["storage_key"])
    assert (await client.get(f"/kb/files/{two['id']}/two.pdf")).status_code == 404


async def article_elsewhere() -> int:
    data = knowledge.ArticleInput(slug="other", language="en", title="Another", body="Text.\n")
    return await knowledge.save(data, actor_id=None)


async def test_the_case_attachments_sweep_leaves_article_files_alone(client: Client, app: Litestar) -> None:
    """Case attachments' orphan sweep deletes bytes no case attachment names: it must never see article files."""
    await as_role(client, Role.agent)
    article_id = await article()
    await upload(client, article_id, ("kept.png", sample_files.png()))
    row = await ArticleFile.select().first()
    assert row is not None
    # (other tests' case files may be swept meanwhile: the attachments folder is shared)
    await attachments.sweep_orphans(app.state.attachments, older_than=timedelta(0))
    assert await store(app).exists(row["storage_key"])
    assert (await client.get(f"/kb/files/{row['id']}/kept.png")).status_code == 200
    # The article files' own sweep keeps what an article still names and deletes what none does.
    orphan = new_key()
    await store(app).write(orphan, b"left by a deleted article")
    assert await kb_article_files.sweep_orphans(store(app), older_than=timedelta(0)) >= 1
    assert not await store(app).exists(orphan)
    assert await store(app).exists(row["storage_key"])
