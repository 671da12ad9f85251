"""The customer's team pages: who sees whom, invitations by email, deactivation."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from email.message import EmailMessage

import httpx
import pytest
from litestar import Litestar

from portal.db.tables import AuditEvent, Role, SharingMode, User
from portal.services.users import CurrentUser
from tests.factories import PASSWORD, csrf_headers, make_account, make_user, sign_in
from tests.harness import BASE_URL
from tests.mail import SmtpServer, body

Client = httpx.AsyncClient
NEW_PASSWORD = "mellow otter climbs seven hills"


@dataclass
class World:
    """Account A (in the mode under test) with an admin, a contact and a colleague; account B; a prospect; staff."""

    admin: CurrentUser
    contact: CurrentUser
    colleague: CurrentUser
    outsider: CurrentUser
    prospect: CurrentUser
    agent: CurrentUser
    manager: CurrentUser
    boss: CurrentUser
    account_a: int
    account_b: int

    def viewer(self, role: Role) -> CurrentUser:
        return {
            Role.prospect: self.prospect,
            Role.contact: self.contact,
            Role.account_admin: self.admin,
            Role.agent: self.agent,
            Role.manager: self.manager,
            Role.admin: self.boss,
        }[role]


async def world(mode: SharingMode) -> World:
    a = await make_account(name="Alpha Ltd", sharing_mode=mode.value)
    b = await make_account(name="Beta Ltd")
    return World(
        admin=await make_user(Role.account_admin, name="Ada Admin", account_id=a.id),
        contact=await make_user(Role.contact, name="Carl Contact", account_id=a.id),
        colleague=await make_user(Role.contact, name="Cleo Colleague", account_id=a.id),
        outsider=await make_user(Role.contact, name="Otto Outsider", account_id=b.id),
        prospect=await make_user(Role.prospect, name="Pia Prospect"),
        agent=await make_user(Role.agent, name="Agnes Agent"),
        manager=await make_user(Role.manager, name="Manos Manager"),
        boss=await make_user(Role.admin, name="Aris Admin"),
        account_a=a.id,
        account_b=b.id,
    )


def seen_by_customers(role: Role, mode: SharingMode) -> set[str]:
    """Whom each customer role sees on /team, as `portal.services.access` documents it."""
    if role == Role.prospect:
        return set()  # no account, no team
    if role == Role.account_admin or mode == SharingMode.all_contacts:
        return {"admin", "contact", "colleague"}
    return {"contact"}


@pytest.mark.parametrize("mode", list(SharingMode))
@pytest.mark.parametrize("role", list(Role))
async def test_permission_matrix(client: Client, role: Role, mode: SharingMode) -> None:
    """Every role in every sharing mode: which people and accounts they can list, and open by id."""
    w = await world(mode)
    viewer = w.viewer(role)
    await sign_in(client, viewer.email)
    people = {"admin": w.admin, "contact": w.contact, "colleague": w.colleague, "outsider": w.outsider}
    missing_id = max(p.id for p in [*people.values(), w.boss]) + 1000

    if role.is_staff:
        listing = await client.get("/backoffice/accounts")
        assert listing.status_code == 200
        assert "Alpha Ltd" in listing.text
        assert "Beta Ltd" in listing.text
        detail = await client.get(f"/backoffice/accounts/{w.account_a}")
        assert {"Ada Admin", "Carl Contact", "Cleo Colleague"} <= set(re.findall(r">([^<>]+)</a>", detail.text))
        assert "Otto Outsider" not in detail.text
        for person in [*people.values(), w.prospect]:
            assert (await client.get(f"/backoffice/people/{person.id}")).status_code == 200
        assert (await client.get(f"/backoffice/people/{missing_id}")).status_code == 404
        assert (await client.get(f"/backoffice/accounts/{w.account_b + 1000}")).status_code == 404
        assert (await client.get("/team")).status_code == 403  # the team pages are for customers
        return

    expected = seen_by_customers(role, mode)
    team = await client.get("/team")
    assert team.status_code == 200
    for key, person in people.items():
        assert (person.name in team.text) == (key in expected), key
        opened = await client.get(f"/team/{person.id}")
        assert opened.status_code == (200 if key in expected else 404), key
    assert (await client.get(f"/team/{missing_id}")).status_code == 404  # the same answer as for a stranger
    assert (await client.get("/team/99999999999999999999")).status_code == 404
    # The back office refuses customers by role, whatever the id: nothing tells an existing id from a missing one.
    for account_id in (w.account_a, w.account_b, w.account_b + 1000):
        assert (await client.get(f"/backoffice/accounts/{account_id}")).status_code == 403
    assert (await client.get(f"/backoffice/people/{w.outsider.id}")).status_code == 403


async def delivered(app: Litestar, smtp: SmtpServer, address: str) -> list[EmailMessage]:
    """What the real SMTP server received for `address`.

    The app's mailer runs in this event loop, so wait without blocking it: deliver what is due and poll for the
    message until a deadline (`smtp.wait_for` would sleep the loop, and a send already under way with it).
    """
    deadline = asyncio.get_running_loop().time() + 10
    while not smtp.to(address) and asyncio.get_running_loop().time() < deadline:
        await app.state.mailer.deliver_due()
        await asyncio.sleep(0.02)  # yields to the mailer's own round; the condition polled is "message received"
    received = smtp.to(address)
    assert received, f"no email to {address}"
    return received


async def invitation_link(app: Litestar, smtp: SmtpServer, address: str) -> str:
    message = (await delivered(app, smtp, address))[-1]
    match = re.search(r"http://testserver\.local(/invitation/\S+)", body(message, "plain"))
    assert match, body(message, "plain")
    return match.group(1)


async def invite(client: Client, email: str, role: str = "contact", name: str = "") -> httpx.Response:
    await client.get("/team")
    return await client.post(
        "/team/invitations",
        data={"email": email, "role": role, "name": name},
        headers=csrf_headers(client),
        follow_redirects=False,
    )


async def test_an_invited_colleague_follows_the_emailed_link_and_joins_the_account(
    client: Client, app: Litestar, smtp: SmtpServer
) -> None:
    account = await make_account(name="Acme Hellas")
    admin = await make_user(Role.account_admin, name="Μαρία Admin", account_id=account.id, locale="el")
    await sign_in(client, admin.email)
    response = await invite(client, "New.Person@Example.com", name="Nora")
    assert response.status_code == 303
    assert "new.person@example.com" in (await client.get("/team")).text  # the flash names the address

    link = await invitation_link(app, smtp, "new.person@example.com")
    message = smtp.to("new.person@example.com")[0]
    assert "Acme Hellas" in message["Subject"]
    assert "Acme Hellas" in body(message, "html")

    client.cookies.clear()  # the invitee, in their own browser
    page = await client.get(link)
    assert page.status_code == 200
    assert "Acme Hellas" in page.text
    accepted = await client.post(
        link,
        data={"name": "Nora Newman", "password": NEW_PASSWORD},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/team"
    team = await client.get("/team")
    assert "Nora Newman" in team.text
    assert "Acme Hellas" in team.text

    joined = await User.select().where(User.email == "new.person@example.com").first()
    assert joined is not None
    assert (joined["account"], joined["role"]) == (account.id, Role.contact.value)
    assert joined["email_verified_at"] is not None
    kinds = [row["kind"] for row in await AuditEvent.select(AuditEvent.kind).order_by(AuditEvent.id)]
    assert "invitation_sent" in kinds
    assert "invitation_accepted" in kinds

    client.cookies.clear()  # the link works once
    again = await client.get(link)
    assert again.status_code == 410
    assert "already been used or has expired" in again.text
    reused = await client.post(
        link, data={"name": "Mallory", "password": NEW_PASSWORD}, headers=csrf_headers(client), follow_redirects=False
    )
    assert reused.status_code == 410
    assert await User.count().where(User.name == "Mallory") == 0


async def test_the_invitation_speaks_the_invitee_s_language_when_known_else_the_inviter_s(
    app: Litestar, client: Client, smtp: SmtpServer
) -> None:
    account = await make_account(name="Olympus")
    admin = await make_user(Role.account_admin, account_id=account.id, locale="el")
    english_prospect = await make_user(Role.prospect, email="en@example.com", locale="en")
    await sign_in(client, admin.email)
    await invite(client, "stranger@example.com", name="Νίκος")
    await invite(client, english_prospect.email, name="Pat")
    greek = body((await delivered(app, smtp, "stranger@example.com"))[0], "html")
    english = body((await delivered(app, smtp, english_prospect.email))[0], "html")
    assert "Γεια σας Νίκος," in greek  # the inviter's language: nothing is known of the stranger's
    assert "Hello Pat," in english


async def test_a_prospect_with_that_email_signs_in_and_accepts(app: Litestar, client: Client, smtp: SmtpServer) -> None:
    account = await make_account(name="Acme Hellas")
    admin = await make_user(Role.account_admin, account_id=account.id)
    prospect = await make_user(Role.prospect, email="pat@acme.example", name="Pat Prospect")
    await sign_in(client, admin.email)
    await invite(client, prospect.email, role="account_admin")
    link = await invitation_link(app, smtp, prospect.email)

    client.cookies.clear()
    page = await client.get(link)
    assert "Sign in with it to accept" in page.text
    await sign_in(client, prospect.email)
    page = await client.get(link)
    assert "Accept and join Acme Hellas" in page.text
    joined = await client.post(f"{link}/join", headers=csrf_headers(client), follow_redirects=False)
    assert joined.status_code == 303
    row = await User.select(User.account, User.role).where(User.id == prospect.id).first()
    assert row == {"account": account.id, "role": Role.account_admin.value}
    assert "Invite a colleague" in (await client.get("/team")).text  # now an account admin


async def test_a_contact_of_another_account_cannot_accept(app: Litestar, client: Client, smtp: SmtpServer) -> None:
    mine = await make_account(name="Acme Hellas")
    theirs = await make_account(name="Secret Rival")
    admin = await make_user(Role.account_admin, account_id=mine.id)
    elsewhere = await make_user(Role.contact, email="busy@example.com", account_id=theirs.id)
    await sign_in(client, admin.email)
    sent = await invite(client, elsewhere.email)
    assert sent.status_code == 303  # the inviter learns nothing about other accounts
    link = await invitation_link(app, smtp, elsewhere.email)

    client.cookies.clear()
    page = await client.get(link)
    assert page.status_code == 409
    assert "already belongs to a contact of another customer account" in page.text
    assert "Secret Rival" not in page.text
    await sign_in(client, elsewhere.email)
    refused = await client.post(f"{link}/join", headers=csrf_headers(client), follow_redirects=False)
    assert refused.status_code == 409
    row = await User.select(User.account).where(User.id == elsewhere.id).first()
    assert row == {"account": theirs.id}


async def test_invitation_input_is_checked(app: Litestar, client: Client, smtp: SmtpServer) -> None:
    account = await make_account()
    admin = await make_user(Role.account_admin, account_id=account.id)
    member = await make_user(Role.contact, account_id=account.id)
    await sign_in(client, admin.email)
    bad = await invite(client, "not-an-email")
    assert bad.status_code == 422
    assert "Enter an email address" in bad.text
    taken = await invite(client, member.email)
    assert taken.status_code == 422
    assert "is already on your team" in taken.text

    await invite(client, "fresh@example.com")
    link = await invitation_link(app, smtp, "fresh@example.com")
    client.cookies.clear()
    await client.get(link)
    empty = await client.post(link, data={"name": "  ", "password": ""}, headers=csrf_headers(client))
    assert empty.status_code == 422
    assert "This field is required." in empty.text
    weak = await client.post(link, data={"name": "Fresh", "password": "short"}, headers=csrf_headers(client))
    assert weak.status_code == 422
    assert "at least 10 characters" in weak.text
    assert (await client.get(link)).status_code == 200  # mistakes do not use up the link


async def test_contacts_cannot_invite_or_deactivate(client: Client) -> None:
    account = await make_account(sharing_mode=SharingMode.all_contacts.value)
    contact = await make_user(Role.contact, account_id=account.id)
    colleague = await make_user(Role.contact, account_id=account.id)
    await sign_in(client, contact.email)
    assert (await invite(client, "x@example.com")).status_code == 403
    refused = await client.post(f"/team/{colleague.id}/deactivate", headers=csrf_headers(client))
    assert refused.status_code == 403


async def test_an_account_admin_deactivates_a_colleague_whose_session_ends(app: Litestar, client: Client) -> None:
    account = await make_account()
    admin = await make_user(Role.account_admin, account_id=account.id)
    colleague = await make_user(Role.contact, name="Gone Soon", account_id=account.id)
    outsider = await make_user(Role.contact, account_id=(await make_account()).id)

    # A second browser on the same running app: the colleague, signed in before the admin acts.
    async with Client(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as colleague_browser:
        await sign_in(colleague_browser, colleague.email)
        assert (await colleague_browser.get("/team", follow_redirects=False)).status_code == 200

        await sign_in(client, admin.email)
        await client.get("/team")
        done = await client.post(
            f"/team/{colleague.id}/deactivate", headers=csrf_headers(client), follow_redirects=True
        )
        assert done.status_code == 200  # followed to the team page
        assert "Gone Soon can no longer sign in." in done.text

        assert (await colleague_browser.get("/team", follow_redirects=False)).status_code == 303  # to sign-in
        assert (await sign_in(colleague_browser, colleague.email, PASSWORD)).status_code == 422

    myself = await client.post(f"/team/{admin.id}/deactivate", headers=csrf_headers(client), follow_redirects=True)
    assert "You cannot deactivate yourself." in myself.text
    foreign = await client.post(f"/team/{outsider.id}/deactivate", headers=csrf_headers(client))
    assert foreign.status_code == 404
    event = await AuditEvent.select().where(AuditEvent.kind == "contact_deactivated").first()
    assert event is not None
    assert (event["actor"], event["subject"], event["account"]) == (admin.id, colleague.id, account.id)


async def test_a_prospect_sees_an_explanation_on_the_team_page(client: Client) -> None:
    prospect = await make_user(Role.prospect)
    await sign_in(client, prospect.email)
    page = await client.get("/team")
    assert page.status_code == 200
    assert "not linked to a customer account yet" in page.text
