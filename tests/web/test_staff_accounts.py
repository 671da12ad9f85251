"""Back-office accounts and people pages: search, paging, htmx rows, sharing, linking, roles, staff invitations."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar import Litestar

from portal.db.tables import Account, AuditEvent, Role, SharingMode, User
from portal.services.users import CurrentUser
from tests.factories import csrf_headers, make_account, make_user, sign_in
from tests.mail import SmtpServer, body
from tests.web.test_team import NEW_PASSWORD, delivered

Client = httpx.AsyncClient


async def signed_in_staff(client: Client, role: Role = Role.agent) -> CurrentUser:
    user = await make_user(role)
    await sign_in(client, user.email)
    await client.get("/backoffice")
    return user


async def post(client: Client, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    return await client.post(path, data=data or {}, headers=csrf_headers(client), follow_redirects=False)


async def audit_kinds() -> list[str]:
    return [row["kind"] for row in await AuditEvent.select(AuditEvent.kind).order_by(AuditEvent.id)]


async def test_the_back_office_home_links_to_accounts_and_people(client: Client) -> None:
    await signed_in_staff(client)
    home = await client.get("/backoffice")
    assert 'href="/backoffice/accounts"' in home.text
    assert 'href="/backoffice/people"' in home.text


async def test_accounts_list_searches_pages_and_answers_htmx_with_rows_only(client: Client) -> None:
    for number in range(30):
        await make_account(name=f"Zeta {number:02d}", domain=f"zeta{number}.example")
    await make_account(name="Acme Hellas", domain="acme.example")
    await signed_in_staff(client)

    first = await client.get("/backoffice/accounts")
    assert first.status_code == 200
    assert "<html" in first.text
    assert "Acme Hellas" in first.text
    assert "Page 1 of 2" in first.text
    second = await client.get("/backoffice/accounts", params={"page": "2"})
    assert "Zeta 29" in second.text
    assert "Acme Hellas" not in second.text

    found = await client.get("/backoffice/accounts", params={"q": "acme.ex"})
    assert "Acme Hellas" in found.text
    assert "Zeta 01" not in found.text

    rows = await client.get("/backoffice/accounts", params={"q": "acme"}, headers={"HX-Request": "true"})
    assert rows.status_code == 200
    assert "<html" not in rows.text
    assert "<table" in rows.text
    assert "Acme Hellas" in rows.text
    none = await client.get("/backoffice/accounts", params={"q": "nothing-like-it"}, headers={"HX-Request": "true"})
    assert "No account matches nothing-like-it." in none.text

    beyond = await client.get("/backoffice/accounts", params={"page": "99"})
    assert beyond.status_code == 200
    assert "Page 2 of 2" in beyond.text
    assert (await client.get("/backoffice/accounts", params={"page": "two"})).status_code == 400


async def test_staff_create_an_account_and_bad_input_gets_a_clear_message(client: Client) -> None:
    await signed_in_staff(client)
    empty = await post(client, "/backoffice/accounts", {"name": "  ", "kind": "company", "domain": ""})
    assert empty.status_code == 422
    assert "This field is required." in empty.text
    bad_domain = await post(client, "/backoffice/accounts", {"name": "Delta", "kind": "company", "domain": "http://x"})
    assert bad_domain.status_code == 422
    assert "Enter a domain such as example.com" in bad_domain.text
    bad_kind = await post(client, "/backoffice/accounts", {"name": "Delta", "kind": "robot"})
    assert bad_kind.status_code == 422

    created = await post(
        client, "/backoffice/accounts", {"name": "Delta", "kind": "person", "domain": "@Delta.Example"}
    )
    assert created.status_code == 303
    account = await Account.select().where(Account.name == "Delta").first()
    assert account is not None
    assert (account["kind"], account["domain"]) == ("person", "delta.example")
    page = await client.get(created.headers["location"])
    assert "Delta" in page.text
    assert "Private person" in page.text

    saved = await post(client, f"/backoffice/accounts/{account['id']}", {"name": "", "kind": "company"})
    assert saved.status_code == 422
    assert "This field is required." in saved.text
    assert (await post(client, "/backoffice/accounts/999999", {"name": "X"})).status_code == 404


async def test_a_manager_changes_the_sharing_mode_and_it_is_audited(client: Client) -> None:
    account = await make_account()
    manager = await signed_in_staff(client, Role.manager)
    changed = await post(client, f"/backoffice/accounts/{account.id}/sharing", {"sharing_mode": "all_contacts"})
    assert changed.status_code == 303
    page = await client.get(changed.headers["location"])
    assert "Case sharing saved." in page.text
    assert "All contacts see every case of the account" in page.text
    row = await Account.select(Account.sharing_mode).where(Account.id == account.id).first()
    assert row == {"sharing_mode": "all_contacts"}
    event = await AuditEvent.select().where(AuditEvent.kind == "sharing_mode_changed").first()
    assert event is not None
    assert (event["actor"], event["account"]) == (manager.id, account.id)

    bad = await post(client, f"/backoffice/accounts/{account.id}/sharing", {"sharing_mode": "everyone"})
    assert bad.status_code == 422
    assert (await post(client, "/backoffice/accounts/999999/sharing", {"sharing_mode": "own"})).status_code == 404


async def test_an_agent_may_not_change_the_sharing_mode(client: Client) -> None:
    account = await make_account()
    await signed_in_staff(client, Role.agent)
    assert (
        "Managers and administrators can change this." in (await client.get(f"/backoffice/accounts/{account.id}")).text
    )
    refused = await post(client, f"/backoffice/accounts/{account.id}/sharing", {"sharing_mode": "all_contacts"})
    assert refused.status_code == 403
    row = await Account.select(Account.sharing_mode).where(Account.id == account.id).first()
    assert row == {"sharing_mode": SharingMode.own.value}
    assert "sharing_mode_changed" not in await audit_kinds()


async def test_staff_link_a_flagged_prospect_in_one_click(client: Client) -> None:
    acme = await make_account(name="Acme Hellas", domain="acme.example")
    flagged = await make_user(Role.prospect, email="pat@acme.example", name="Pat Prospect")
    await User.update({User.likely_account: acme.id, User.company_name: "ACME"}).where(User.id == flagged.id)
    plain = await make_user(Role.prospect, name="Quinn Quiet")
    agent = await signed_in_staff(client, Role.agent)

    people = await client.get("/backoffice/people")
    flagged_section = people.text.split('id="flagged-title"')[1].split('id="prospects-title"')[0]
    assert "Pat Prospect" in flagged_section
    assert "Link to Acme Hellas" in flagged_section
    assert "Quinn Quiet" not in flagged_section
    assert "Quinn Quiet" in people.text

    linked = await post(client, f"/backoffice/people/{flagged.id}/link", {"account_id": str(acme.id)})
    assert linked.status_code == 303
    assert linked.headers["location"] == f"/backoffice/accounts/{acme.id}"
    page = await client.get(linked.headers["location"])
    assert "Pat Prospect is now a contact of Acme Hellas." in page.text
    row = await User.select(User.role, User.account, User.likely_account).where(User.id == flagged.id).first()
    assert row == {"role": "contact", "account": acme.id, "likely_account": None}
    event = await AuditEvent.select().where(AuditEvent.kind == "account_linked").first()
    assert event is not None
    assert (event["actor"], event["subject"], event["account"]) == (agent.id, flagged.id, acme.id)
    assert "Pat Prospect" not in (await client.get("/backoffice/people")).text

    again = await post(client, f"/backoffice/people/{flagged.id}/link", {"account_id": str(acme.id)})
    assert again.status_code == 422
    assert "Only prospects can be linked" in again.text
    assert plain.id  # untouched
    assert (await User.select(User.role).where(User.id == plain.id).first()) == {"role": "prospect"}


async def test_linking_to_another_or_a_new_account_and_bad_input(client: Client) -> None:
    await make_account(name="Olympus Trading", domain="olympus.example")
    prospect = await make_user(Role.prospect, name="Pia Prospect")
    await signed_in_staff(client)

    search = await client.get(f"/backoffice/people/{prospect.id}", params={"q": "olymp"})
    assert "Link to Olympus Trading" in search.text

    unknown = await post(client, f"/backoffice/people/{prospect.id}/link", {"account_id": "424242"})
    assert unknown.status_code == 422
    assert "There is no account number 424242." in unknown.text
    garbage = await post(client, f"/backoffice/people/{prospect.id}/link", {"account_id": "acme"})
    assert garbage.status_code == 422
    assert "Enter the number of an account" in garbage.text
    huge = await post(client, f"/backoffice/people/{prospect.id}/link", {"account_id": "9" * 30})
    assert huge.status_code == 422
    assert (await post(client, "/backoffice/people/999999/link", {"account_id": "1"})).status_code == 404

    nameless = await post(client, f"/backoffice/people/{prospect.id}/link-new", {"name": "", "kind": "company"})
    assert nameless.status_code == 422
    assert "This field is required." in nameless.text
    assert await Account.count() == 1

    created = await post(
        client, f"/backoffice/people/{prospect.id}/link-new", {"name": "Pia's Bakery", "kind": "person", "domain": ""}
    )
    assert created.status_code == 303
    page = await client.get(created.headers["location"])
    assert "Pia Prospect is now a contact of Pia&#39;s Bakery." in page.text
    row = await User.select(User.role, User.account.name).where(User.id == prospect.id).first()
    assert row == {"role": "contact", "account.name": "Pia's Bakery"}


async def test_admins_change_roles_and_others_may_not(client: Client) -> None:
    account = await make_account()
    contact = await make_user(Role.contact, account_id=account.id)
    prospect = await make_user(Role.prospect)
    admin = await signed_in_staff(client, Role.admin)

    promoted = await post(client, f"/backoffice/people/{contact.id}/role", {"role": "account_admin"})
    assert promoted.status_code == 303
    assert (await User.select(User.role).where(User.id == contact.id).first()) == {"role": "account_admin"}
    event = await AuditEvent.select().where(AuditEvent.kind == "role_changed").first()
    assert event is not None
    assert (event["actor"], event["subject"]) == (admin.id, contact.id)

    unlinked = await post(client, f"/backoffice/people/{prospect.id}/role", {"role": "contact"})
    assert unlinked.status_code == 422
    assert "Link this person to an account first" in unlinked.text
    myself = await post(client, f"/backoffice/people/{admin.id}/role", {"role": "agent"})
    assert myself.status_code == 422
    assert "You cannot change your own role." in myself.text
    nonsense = await post(client, f"/backoffice/people/{contact.id}/role", {"role": "emperor"})
    assert nonsense.status_code == 422

    client.cookies.clear()
    await signed_in_staff(client, Role.manager)
    assert (await post(client, f"/backoffice/people/{contact.id}/role", {"role": "contact"})).status_code == 403


@pytest.mark.parametrize("role", [Role.agent, Role.manager])
async def test_only_admins_invite_staff(client: Client, role: Role) -> None:
    await signed_in_staff(client, role)
    refused = await post(client, "/backoffice/people/invitations", {"email": "new@portal.example", "role": "agent"})
    assert refused.status_code == 403


async def test_an_admin_invites_staff_who_accept_and_land_in_the_back_office(
    app: Litestar, client: Client, smtp: SmtpServer
) -> None:
    existing = await make_user(Role.contact, account_id=(await make_account()).id)
    await signed_in_staff(client, Role.admin)
    taken = await post(client, "/backoffice/people/invitations", {"email": existing.email, "role": "agent"})
    assert taken.status_code == 422
    assert "already has a sign-in" in taken.text

    sent = await post(client, "/backoffice/people/invitations", {"email": "mgr@portal.example", "role": "manager"})
    assert sent.status_code == 303
    message = (await delivered(app, smtp, "mgr@portal.example"))[-1]
    assert "as a manager" in body(message, "plain")
    link = re.search(r"http://testserver\.local(/invitation/\S+)", body(message, "plain"))
    assert link

    client.cookies.clear()
    await client.get(link.group(1))
    accepted = await client.post(
        link.group(1),
        data={"name": "Mona Manager", "password": NEW_PASSWORD},
        headers=csrf_headers(client),
        follow_redirects=True,
    )
    assert accepted.status_code == 200  # followed to the back office
    assert "Welcome, Mona." in accepted.text
    assert str(accepted.url).endswith("/backoffice")
    row = await User.select(User.role, User.account).where(User.email == "mgr@portal.example").first()
    assert row == {"role": "manager", "account": None}
    assert "invitation_accepted" in await audit_kinds()


async def test_the_demo_shows_every_sharing_mode_and_a_flagged_prospect(client: Client) -> None:
    from portal.services import demo

    await demo.load()
    await demo.load()  # twice changes nothing
    modes = {row["sharing_mode"] for row in await Account.select(Account.sharing_mode)}
    assert modes == {mode.value for mode in SharingMode}
    await sign_in(client, "manager@portal.example", demo.DEMO_PASSWORD)
    people = await client.get("/backoffice/people")
    flagged = people.text.split('id="flagged-title"')[1].split('id="prospects-title"')[0]
    assert "dimitra@acme.example" in flagged
    assert "Σύνδεση με Acme Hellas S.A." in flagged  # the demo manager reads Greek


async def test_demo_people_arrive_with_confirmed_addresses(client: Client) -> None:
    from portal.services import demo

    await demo.load()
    unconfirmed = await User.count().where(User.email_verified_at.is_null())
    assert unconfirmed == 0
    await sign_in(client, "maria@acme.example", demo.DEMO_PASSWORD)
    assert "Επιβεβαιώστε τη διεύθυνση email σας" not in (await client.get("/account")).text
