from __future__ import annotations

import re

import httpx

from portal.app import create_app
from portal.db.tables import Role
from portal.services.mail import Mailer
from portal.settings import Settings
from tests.factories import make_user, sign_in
from tests.harness import running

Client = httpx.AsyncClient


async def queue_verification(settings: Settings, to: str) -> None:
    """A queued email whose text carries a link and, in the name, markup someone typed at sign-up."""
    await Mailer(settings).send(
        "verify_email",
        to=to,
        locale="en",
        context={"name": "<script>Ann</script>", "link": "http://x.example/verify-email/t0k3n", "hours": 48},
    )


async def test_admins_read_the_outbox_and_each_email(client: Client, settings: Settings) -> None:
    await queue_verification(settings, "ann@example.com")
    admin = await make_user(Role.admin)
    await sign_in(client, admin.email)
    listing = await client.get("/backoffice/outbox")
    assert listing.status_code == 200
    assert "ann@example.com" in listing.text
    assert "Confirm your email address" in listing.text
    email_id = re.search(r'href="/backoffice/outbox/(\d+)"', listing.text)
    assert email_id is not None
    email = await client.get(f"/backoffice/outbox/{email_id.group(1)}")
    assert '<a href="http://x.example/verify-email/t0k3n" rel="nofollow noopener">' in email.text
    assert "Hello &lt;script&gt;Ann&lt;/script&gt;," in email.text  # the text is escaped, never run


async def test_the_outbox_is_for_admins_only(client: Client) -> None:
    agent = await make_user(Role.agent)
    await sign_in(client, agent.email)
    assert (await client.get("/backoffice/outbox")).status_code == 403


async def test_the_demo_mailbox_exists_only_in_demo_mode(
    client: Client, settings_factory, migrated_database: str
) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/demo/mailbox")).status_code == 404
    demo = settings_factory(mode="demo")
    await queue_verification(demo, "visitor@example.com")
    async with running(create_app(demo)) as visitor:
        mailbox = await visitor.get("/demo/mailbox", params={"to": "visitor@example.com"})
        assert mailbox.status_code == 200
        assert "Confirm your email address" in mailbox.text
        check = await visitor.get("/register/check-email", params={"email": "visitor@example.com"})
        assert "/demo/mailbox?to=visitor%40example.com" in check.text
