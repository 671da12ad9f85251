"""Every case-related route, for every kind of visitor: who gets the page, who is refused, and that a refused post
changes nothing. A new route under these paths fails `test_every_case_route_is_in_the_table` until it is listed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from piccolo.table import Table

from portal.db.tables import (
    ApiToken,
    Attachment,
    CannedResponse,
    Case,
    CaseChange,
    CaseLink,
    CaseMessage,
    CaseTag,
    CaseView,
    Category,
    NotificationOptOut,
    Product,
    Role,
    SavedFilter,
    SupportTeam,
    TeamMembership,
)
from portal.services import api_tokens, deflection
from portal.services.attachments import Upload, check_uploads
from portal.services.users import CurrentUser
from tests import sample_files
from tests.factories import csrf_headers, make_account, make_user
from tests.web.customer_cases_helpers import open_case, signed_in, verified

CASE_PATHS = re.compile(r"case|attachment|/api|canned|product|categor|team|notification")
WATCHED: tuple[type[Table], ...] = (
    Case,
    CaseMessage,
    Attachment,
    CaseChange,
    CaseTag,
    CaseLink,
    CaseView,
    Product,
    Category,
    SupportTeam,
    TeamMembership,
    CannedResponse,
    SavedFilter,
    NotificationOptOut,
    ApiToken,
)

PERSONAS = ("anonymous", "prospect", "other_account", "colleague_own", "admin_admins_only", "agent", "manager", "admin")
CUSTOMERS = PERSONAS[1:5]
STAFF = PERSONAS[5:]

# Outcomes: a status code, or "login" (a redirect to the sign-in page), or "desk" (staff sent to the back office).
OK, SEE_OTHER, NOT_FOUND, FORBIDDEN, LOGIN, DESK = 200, 303, 404, 403, "login", "desk"


def outcomes(anonymous: Any, customers: Any, staff: Any, **exceptions: Any) -> dict[str, Any]:
    table = {"anonymous": anonymous} | dict.fromkeys(CUSTOMERS, customers) | dict.fromkeys(STAFF, staff)
    return table | exceptions


# The customer routes aim at a case the visitor may not see (another account's, or a colleague's under `own`),
# except the account admin under `admins_only`, whose target is a colleague's case they may see.
CASE_PAGE = outcomes(LOGIN, NOT_FOUND, DESK, admin_admins_only=OK)
ATTACHMENT = outcomes(LOGIN, NOT_FOUND, OK, admin_admins_only=OK)
CASE_POST = outcomes(LOGIN, NOT_FOUND, DESK, admin_admins_only=SEE_OTHER)
STAFF_PAGE = outcomes(LOGIN, FORBIDDEN, OK)
STAFF_POST = outcomes(LOGIN, FORBIDDEN, SEE_OTHER)
MANAGER_PAGE = outcomes(LOGIN, FORBIDDEN, OK, agent=FORBIDDEN)
MANAGER_POST = outcomes(LOGIN, FORBIDDEN, SEE_OTHER, agent=FORBIDDEN)
ADMIN_PAGE = outcomes(LOGIN, FORBIDDEN, FORBIDDEN, admin=OK)
ADMIN_POST = outcomes(LOGIN, FORBIDDEN, FORBIDDEN, admin=SEE_OTHER)
API = outcomes(401, 401, 401)  # only a bearer token opens the API: a session cookie is ignored
PUBLIC = outcomes(OK, OK, OK)


@dataclass
class World:
    users: dict[str, CurrentUser]
    case: dict[str, str]  # persona -> the case number they aim at
    attachment: dict[str, int]  # persona -> the attachment id they aim at
    ids: dict[str, int]


# (method, route path) -> (concrete path for a persona, form data, expected outcome per persona)
Route = tuple[Callable[[World, str], str], dict[str, Any], dict[str, Any]]


def fixed(path: str) -> Callable[[World, str], str]:
    return lambda world, persona: path.format(**world.ids)


def of_case(suffix: str = "", prefix: str = "/cases/") -> Callable[[World, str], str]:
    return lambda world, persona: f"{prefix}{world.case[persona]}{suffix}"


def of_attachment(prefix: str = "/attachments/", suffix: str = "/log.png") -> Callable[[World, str], str]:
    return lambda world, persona: f"{prefix}{world.attachment[persona]}{suffix}"


REPLY = {"body": "Another line"}
NEW_CASE = {"type": "question", "subject": "Refused?", "description": "Should not be saved", "priority": "normal"}
ROUTES: dict[tuple[str, str], Route] = {
    # The customer's cases
    ("GET", "/cases"): (fixed("/cases"), {}, outcomes(LOGIN, OK, DESK)),
    ("GET", "/cases/new"): (fixed("/cases/new"), {}, outcomes(LOGIN, OK, FORBIDDEN)),
    ("POST", "/cases"): (fixed("/cases"), NEW_CASE, outcomes(LOGIN, SEE_OTHER, FORBIDDEN)),
    # Articles suggested beside the new-case form; the token is another customer's form: a 404 to all
    ("POST", "/cases/new/suggestions"): (
        fixed("/cases/new/suggestions"),
        {"deflection": "{token}", "subject": "Printer"},
        outcomes(LOGIN, NOT_FOUND, NOT_FOUND),
    ),
    ("GET", "/cases/new/draft/{token:str}"): (
        fixed("/cases/new/draft/{token}"),
        {},
        outcomes(LOGIN, NOT_FOUND, NOT_FOUND),
    ),
    ("GET", "/cases/new/suggested/{token:str}/{article_id:int}"): (
        fixed("/cases/new/suggested/{token}/1"),
        {},
        outcomes(LOGIN, NOT_FOUND, NOT_FOUND),
    ),
    ("POST", "/cases/new/suggested/{token:str}/{article_id:int}/answered"): (
        fixed("/cases/new/suggested/{token}/1/answered"),
        {},
        outcomes(LOGIN, NOT_FOUND, NOT_FOUND),
    ),
    ("GET", "/cases/{number:str}"): (of_case(), {}, CASE_PAGE),
    ("POST", "/cases/{number:str}/replies"): (of_case("/replies"), REPLY, CASE_POST),
    ("POST", "/cases/{number:str}/close"): (of_case("/close"), {"confirm": "on"}, CASE_POST),
    ("POST", "/cases/{number:str}/reopen"): (of_case("/reopen"), REPLY, CASE_POST),
    ("GET", "/attachments/{attachment_id:int}/{filename:str}"): (of_attachment(), {}, ATTACHMENT),
    # The desk
    ("GET", "/backoffice/cases"): (fixed("/backoffice/cases"), {}, STAFF_PAGE),
    ("POST", "/backoffice/cases/bulk"): (
        fixed("/backoffice/cases/bulk"),
        {"case": "{case_id}", "action": "status", "bulk_status": "waiting_on_customer"},
        STAFF_POST,
    ),
    ("POST", "/backoffice/cases/saved-filters"): (
        fixed("/backoffice/cases/saved-filters"),
        {"name": "Mine", "query": "status=open"},
        STAFF_POST,
    ),
    ("POST", "/backoffice/cases/saved-filters/{filter_id:int}/delete"): (
        fixed("/backoffice/cases/saved-filters/{filter_id}/delete"),
        {},
        outcomes(LOGIN, FORBIDDEN, NOT_FOUND, agent=SEE_OTHER),  # an agent's own saved view
    ),
    ("GET", "/backoffice/cases/{number:str}"): (of_case(prefix="/backoffice/cases/"), {}, STAFF_PAGE),
    ("POST", "/backoffice/cases/{number:str}/replies"): (
        of_case("/replies", prefix="/backoffice/cases/"),
        {"body": "Internal", "kind": "internal"},
        STAFF_POST,
    ),
    ("POST", "/backoffice/cases/{number:str}/fields"): (
        of_case("/fields", prefix="/backoffice/cases/"),
        {"priority": "urgent"},
        STAFF_POST,
    ),
    ("POST", "/backoffice/cases/{number:str}/canned"): (
        of_case("/canned", prefix="/backoffice/cases/"),
        {"canned": "{canned_id}"},
        outcomes(LOGIN, FORBIDDEN, OK),
    ),
    ("POST", "/backoffice/cases/{number:str}/links"): (
        of_case("/links", prefix="/backoffice/cases/"),
        {"other": "{other_number}", "kind": "related"},
        STAFF_POST,
    ),
    ("POST", "/backoffice/cases/{number:str}/merge"): (
        of_case("/merge", prefix="/backoffice/cases/"),
        {"into": "{other_number}"},
        STAFF_POST,
    ),
    # Support set-up
    ("GET", "/backoffice/products"): (fixed("/backoffice/products"), {}, MANAGER_PAGE),
    ("POST", "/backoffice/products"): (
        fixed("/backoffice/products"),
        {"code": "p", "name_en": "P", "name_el": "Π"},
        MANAGER_POST,
    ),
    ("GET", "/backoffice/products/{product_id:int}"): (fixed("/backoffice/products/{product_id}"), {}, MANAGER_PAGE),
    ("POST", "/backoffice/products/{product_id:int}"): (
        fixed("/backoffice/products/{product_id}"),
        {"code": "renamed", "name_en": "Renamed", "name_el": "Μετονομασία"},
        MANAGER_POST,
    ),
    ("GET", "/backoffice/categories"): (fixed("/backoffice/categories"), {}, MANAGER_PAGE),
    ("POST", "/backoffice/categories"): (
        fixed("/backoffice/categories"),
        {"code": "c", "name_en": "C", "name_el": "Κ"},
        MANAGER_POST,
    ),
    ("GET", "/backoffice/categories/{category_id:int}"): (
        fixed("/backoffice/categories/{category_id}"),
        {},
        MANAGER_PAGE,
    ),
    ("POST", "/backoffice/categories/{category_id:int}"): (
        fixed("/backoffice/categories/{category_id}"),
        {"code": "renamed", "name_en": "Renamed", "name_el": "Μετονομασία"},
        MANAGER_POST,
    ),
    ("GET", "/backoffice/teams"): (fixed("/backoffice/teams"), {}, STAFF_PAGE),
    ("POST", "/backoffice/teams"): (fixed("/backoffice/teams"), {"name": "New team"}, MANAGER_POST),
    ("GET", "/backoffice/teams/{team_id:int}"): (fixed("/backoffice/teams/{team_id}"), {}, STAFF_PAGE),
    ("POST", "/backoffice/teams/{team_id:int}"): (
        fixed("/backoffice/teams/{team_id}"),
        {"name": "Renamed"},
        MANAGER_POST,
    ),
    ("POST", "/backoffice/teams/{team_id:int}/members"): (
        fixed("/backoffice/teams/{team_id}/members"),
        {"user_id": "{manager_id}"},
        MANAGER_POST,
    ),
    ("POST", "/backoffice/teams/{team_id:int}/members/{user_id:int}/remove"): (
        fixed("/backoffice/teams/{team_id}/members/{member_id}/remove"),
        {},
        MANAGER_POST,
    ),
    ("GET", "/backoffice/canned-responses"): (fixed("/backoffice/canned-responses"), {}, STAFF_PAGE),
    ("POST", "/backoffice/canned-responses"): (
        fixed("/backoffice/canned-responses"),
        {"title": "Hi", "body_en": "Hello", "body_el": "Γεια"},
        MANAGER_POST,
    ),
    ("GET", "/backoffice/canned-responses/{response_id:int}"): (
        fixed("/backoffice/canned-responses/{canned_id}"),
        {},
        STAFF_PAGE,
    ),
    ("POST", "/backoffice/canned-responses/{response_id:int}"): (
        fixed("/backoffice/canned-responses/{canned_id}"),
        {"title": "Renamed", "body_en": "Hello", "body_el": "Γεια", "is_active": "on"},
        MANAGER_POST,
    ),
    ("POST", "/backoffice/canned-responses/{response_id:int}/delete"): (
        fixed("/backoffice/canned-responses/{canned_id}/delete"),
        {},
        MANAGER_POST,
    ),
    ("GET", "/backoffice/api-tokens"): (fixed("/backoffice/api-tokens"), {}, ADMIN_PAGE),
    ("POST", "/backoffice/api-tokens"): (
        fixed("/backoffice/api-tokens"),
        {"name": "CI", "cases_read": "on", "acts_as": "{agent_id}"},
        outcomes(LOGIN, FORBIDDEN, FORBIDDEN, admin=OK),
    ),
    ("POST", "/backoffice/api-tokens/{token_id:int}/revoke"): (
        fixed("/backoffice/api-tokens/{token_id}/revoke"),
        {},
        ADMIN_POST,
    ),
    # Everyone's own email choices
    ("GET", "/profile/notifications"): (fixed("/profile/notifications"), {}, outcomes(LOGIN, OK, OK)),
    ("POST", "/profile/notifications"): (fixed("/profile/notifications"), {}, outcomes(LOGIN, SEE_OTHER, SEE_OTHER)),
    # The API
    ("GET", "/api/v1/cases"): (fixed("/api/v1/cases"), {}, API),
    ("POST", "/api/v1/cases"): (fixed("/api/v1/cases"), {}, API),
    ("GET", "/api/v1/cases/{number:str}"): (of_case(prefix="/api/v1/cases/"), {}, API),
    ("POST", "/api/v1/cases/{number:str}/replies"): (of_case("/replies", prefix="/api/v1/cases/"), {}, API),
    ("POST", "/api/v1/cases/{number:str}/status"): (of_case("/status", prefix="/api/v1/cases/"), {}, API),
    ("GET", "/api/v1/attachments/{attachment_id:int}"): (of_attachment("/api/v1/attachments/", ""), {}, API),
    ("GET", "/api/v1/schema"): (fixed("/api/v1/schema"), {}, PUBLIC),
    ("GET", "/api/v1/schema/openapi.json"): (fixed("/api/v1/schema/openapi.json"), {}, PUBLIC),
    ("GET", "/api/v1/schema/openapi.yaml"): (fixed("/api/v1/schema/openapi.yaml"), {}, PUBLIC),
    ("GET", "/api/v1/schema/{path:str}"): (fixed("/api/v1/schema/nowhere"), {}, outcomes(404, 404, 404)),
    # Colleagues (the team pages share the word "team"; their own tests cover them)
    ("GET", "/team"): (fixed("/team"), {}, outcomes(LOGIN, OK, FORBIDDEN)),
}
NOT_CASE_ROUTES = {
    ("GET", "/team/{colleague_id:int}"),
    ("POST", "/team/{colleague_id:int}/deactivate"),
    ("POST", "/team/invitations"),
    # Knowledge-base categories share the word "categor"; tests/web/test_kb_admin.py and test_kb_pages.py cover them
    ("GET", "/backoffice/kb/categories"),
    ("POST", "/backoffice/kb/categories"),
    ("GET", "/backoffice/kb/categories/{category_id:int}"),
    ("POST", "/backoffice/kb/categories/{category_id:int}"),
    ("GET", "/kb/category/{slug:str}"),
}


def case_routes(app: Litestar) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if not CASE_PATHS.search(route.path):
            continue
        for handler in route.route_handlers:  # type: ignore[attr-defined]
            found |= {(method, route.path) for method in handler.http_methods if method not in ("OPTIONS", "HEAD")}
    return found


def test_every_case_route_is_in_the_table(app: Litestar) -> None:
    assert case_routes(app) - NOT_CASE_ROUTES == set(ROUTES), "list each new route in ROUTES with who may use it"


async def _world(app: Litestar) -> World:
    own = await make_account(sharing_mode="own")
    shared = await make_account(sharing_mode="admins_only")
    owner = await verified(Role.contact, own)
    shared_contact = await verified(Role.contact, shared)
    png = check_uploads([Upload("log.png", sample_files.png())], app.state.settings.cases)
    own_case = await open_case(app, owner, files=png)
    shared_case = await open_case(app, shared_contact, files=png)
    other_own_case = await open_case(app, owner, subject="Second")
    users = {
        "prospect": await verified(Role.prospect),
        "other_account": await verified(Role.contact, await make_account(sharing_mode="all_contacts")),
        "colleague_own": await verified(Role.contact, own),
        "admin_admins_only": await verified(Role.account_admin, shared),
        "agent": await make_user(Role.agent),
        "manager": await make_user(Role.manager),
        "admin": await make_user(Role.admin),
    }
    attachments = {
        row["case"]: row["id"]
        for row in await Attachment.select(Attachment.id, Attachment.case.number.as_alias("case"))
    }
    case = dict.fromkeys(PERSONAS, own_case.number) | {"admin_admins_only": shared_case.number}
    ids = await _staff_objects(users["agent"])
    ids |= {"number": own_case.number, "other_number": other_own_case.number, "case_id": own_case.id}
    ids |= {"agent_id": users["agent"].id, "manager_id": users["manager"].id}
    ids |= {"token": await deflection.start(owner.id)}  # the case owner's new-case form, no persona's
    return World(users, case, {persona: attachments[number] for persona, number in case.items()}, ids)


async def _staff_objects(agent: CurrentUser) -> dict[str, Any]:
    product = await Product.insert(Product(code="router", name_en="Router", name_el="Δρομολογητής")).returning(
        Product.id
    )
    category = await Category.insert(Category(code="billing", name_en="Billing", name_el="Χρεώσεις")).returning(
        Category.id
    )
    team_id = (await SupportTeam.insert(SupportTeam(name="Tier 1")).returning(SupportTeam.id))[0]["id"]
    await TeamMembership.insert(TeamMembership(team=team_id, user=agent.id, key=f"{team_id}:{agent.id}"))
    canned = await CannedResponse.insert(
        CannedResponse(title="Thanks", body_en="Thanks", body_el="Ευχαριστούμε")
    ).returning(CannedResponse.id)
    saved = await SavedFilter.insert(SavedFilter(name="Urgent", query="priority=urgent", user=agent.id)).returning(
        SavedFilter.id
    )
    token = await ApiToken.insert(
        ApiToken(name="CI", prefix="abcd", token_hash="0" * 64, scopes=["cases:read"], acts_as=agent.id)
    ).returning(ApiToken.id)
    return {
        "product_id": product[0]["id"],
        "category_id": category[0]["id"],
        "team_id": team_id,
        "member_id": agent.id,
        "canned_id": canned[0]["id"],
        "filter_id": saved[0]["id"],
        "token_id": token[0]["id"],
    }


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of the case tables, but when an API token was last used (using one is no change)."""
    tables = {table._meta.tablename: await table.select().order_by(table._meta.primary_key) for table in WATCHED}
    for row in tables[ApiToken._meta.tablename]:
        row.pop("last_used_at")
    return tables


def outcome_of(response: httpx.Response) -> Any:
    if response.status_code in (302, 303):
        location = response.headers["location"]
        if location.startswith("/login"):
            return LOGIN
        if location.startswith("/backoffice") and not response.request.url.path.startswith("/backoffice"):
            return DESK
    return response.status_code


def _removals_last(item: tuple[tuple[str, str], Route]) -> tuple[bool, str, str]:
    (method, path), _route = item
    return path.endswith(("/delete", "/remove", "/revoke", "/merge")), method, path


@pytest.mark.parametrize("persona", PERSONAS)
async def test_each_route_gives_each_visitor_the_right_answer(
    app: Litestar, client: httpx.AsyncClient, persona: str
) -> None:
    world = await _world(app)
    if persona != "anonymous":
        await signed_in(client, world.users[persona])
    await client.get("/profile/notifications")  # for the CSRF cookie
    wrong = {}
    for (method, _route), (path_of, data, expected) in sorted(ROUTES.items(), key=_removals_last):
        path = path_of(world, persona)
        if method == "GET":
            response = await client.get(path, follow_redirects=False)
        else:
            form = {key: str(value).format(**world.ids) for key, value in data.items()}
            before = await snapshot()
            response = await client.post(path, data=form, headers=csrf_headers(client), follow_redirects=False)
            if expected[persona] not in (OK, SEE_OTHER):
                assert await snapshot() == before, f"{persona} {method} {path} changed data"
        got = outcome_of(response)
        if got != expected[persona]:
            wrong[f"{method} {path}"] = (got, expected[persona])
    assert not wrong, "\n".join(f"{route}: got {got}, expected {want}" for route, (got, want) in wrong.items())


# --- Bad input: never a 500, nothing half-saved -----------------------------------------------------------------

TOO_BIG = (str(2**31), str(2**63), "9" * 40)  # PostgreSQL's int and bigint, and beyond what SQLite stores
NOT_IDS = (*TOO_BIG, "-1", "0", "²", "abc", "%00")


def _with_id(route: str, value: str) -> str:
    return re.sub(r"\{[a-z_]+:(int|str)\}", value, route)


async def _as_admin_with_token(app: Litestar, client: httpx.AsyncClient) -> tuple[World, dict[str, str]]:
    world = await _world(app)
    await signed_in(client, world.users["admin"])
    await client.get("/backoffice/cases")  # for the CSRF cookie
    new = api_tokens.NewToken(
        "Probe", [api_tokens.Scope.cases_read, api_tokens.Scope.cases_write], world.ids["agent_id"]
    )
    _id, token = await api_tokens.create(world.users["admin"], new)
    return world, {"Authorization": f"Bearer {token}"} | csrf_headers(client)


async def test_no_route_answers_a_malformed_or_out_of_range_id_with_an_error(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    _world, headers = await _as_admin_with_token(app, client)
    before = await snapshot()
    failed = {}
    for method, route in sorted(ROUTES):
        if "{" not in route or route.startswith("/api/v1/schema"):
            continue
        for value in NOT_IDS:
            path = _with_id(route, value)
            response = await client.request(method, path, headers=headers, follow_redirects=False)
            staff_sent_to_desk = response.headers.get("location", "").startswith("/backoffice/cases/")
            if response.status_code not in (404, 405, 422) and not staff_sent_to_desk:
                failed[f"{method} {path}"] = response.status_code
    assert not failed
    assert await snapshot() == before


MALFORMED_QUERIES = [
    *(f"/backoffice/cases?{name}={value}" for name in ("assignee", "team", "product") for value in NOT_IDS),
    *(f"/backoffice/cases?sort=priority&cursor={key}~1" for key in TOO_BIG),
    *(f"/backoffice/cases?sort=updated&cursor=2026-01-01T00:00:00%2B00:00~{value}" for value in NOT_IDS),
    *(f"/api/v1/cases?cursor=1-{value}" for value in NOT_IDS),
    "/api/v1/cases?cursor=99999999999999999999-1",
    "/backoffice/cases?q=" + "x%00" * 3000,
]
CUSTOMER_MALFORMED_QUERIES = [*(f"/cases?product={value}" for value in NOT_IDS), "/cases?after=" + "A" * 5000]


async def test_malformed_filters_and_cursors_show_the_first_page(app: Litestar, client: httpx.AsyncClient) -> None:
    world, headers = await _as_admin_with_token(app, client)
    failed = {}
    for path in MALFORMED_QUERIES:
        if (response := await client.get(path, headers=headers, follow_redirects=False)).status_code not in (200, 422):
            failed[path[:120]] = response.status_code
    await signed_in(client, world.users["admin_admins_only"])
    for path in CUSTOMER_MALFORMED_QUERIES:
        if (response := await client.get(path, follow_redirects=False)).status_code != 200:
            failed[path[:120]] = response.status_code
    assert not failed


@pytest.mark.parametrize(
    ("path", "data", "field_message"),
    [
        (
            "/backoffice/cases/bulk",
            {"case": "²", "action": "status", "bulk_status": "open"},
            "Select at least one case.",
        ),
        (
            "/backoffice/cases/bulk",
            {"case": str(2**31), "action": "assign", "bulk_assignee": "²"},
            "Select at least one case.",
        ),
        ("/backoffice/cases/{number}/fields", {"assignee": "²"}, None),
        ("/backoffice/cases/{number}/fields", {"team": str(2**31)}, None),
        ("/backoffice/cases/{number}/canned", {"canned": "²"}, "Choose one of the canned responses offered."),
        ("/backoffice/cases/{number}/canned", {"canned": str(2**31)}, "Choose one of the canned responses offered."),
        ("/backoffice/cases/{number}/merge", {"into": "C-\x00"}, None),
        ("/backoffice/cases/{number}/links", {"other": "9" * 40}, None),
        ("/backoffice/cases/{number}/replies", {"body": "ok", "kind": "internal", "status": "nonsense"}, None),
        ("/backoffice/teams/{team_id}/members", {"user_id": "²"}, None),
        ("/backoffice/categories", {"code": "x", "name_en": "X", "name_el": "Χ", "product_id": str(2**31)}, None),
        ("/backoffice/api-tokens", {"name": "x", "cases_read": "on", "acts_as": str(2**31)}, None),
    ],
)
async def test_staff_forms_refuse_bad_values_beside_the_field(
    app: Litestar, client: httpx.AsyncClient, path: str, data: dict[str, str], field_message: str | None
) -> None:
    world, headers = await _as_admin_with_token(app, client)
    before = await snapshot()
    response = await client.post(path.format(**world.ids), data=data, headers=headers, follow_redirects=False)
    assert 400 <= response.status_code < 500, response.text[:500]
    if field_message:
        assert field_message in response.text
    assert await snapshot() == before


@pytest.mark.parametrize(
    "data",
    [
        NEW_CASE | {"subject": ""},
        NEW_CASE | {"description": "x" * 1_000_000},
        NEW_CASE | {"product": str(2**31)},
        NEW_CASE | {"product": "²"},
        NEW_CASE | {"category": "9" * 12},
        NEW_CASE | {"type": "nonsense"},
        NEW_CASE | {"priority": "urgent\x00"},
    ],
)
async def test_a_customer_gets_a_clear_message_for_a_bad_new_case(
    app: Litestar, client: httpx.AsyncClient, data: dict[str, str]
) -> None:
    world = await _world(app)
    await signed_in(client, world.users["admin_admins_only"])
    await client.get("/cases/new")
    before = await snapshot()
    response = await client.post("/cases", data=data, headers=csrf_headers(client), follow_redirects=False)
    assert response.status_code == 422, response.text[:500]
    assert 'class="field-error' in response.text or "error" in response.text
    assert await snapshot() == before


async def test_a_nul_byte_in_a_staff_note_is_dropped_not_an_error(app: Litestar, client: httpx.AsyncClient) -> None:
    world, headers = await _as_admin_with_token(app, client)
    path = f"/backoffice/cases/{world.ids['number']}/replies"
    response = await client.post(
        path, data={"body": "a\x00b", "kind": "internal"}, headers=headers, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Internal note added." in response.text
    assert await CaseMessage.exists().where(CaseMessage.body == "ab")


async def test_nul_bytes_never_reach_the_database(app: Litestar, client: httpx.AsyncClient) -> None:
    """PostgreSQL refuses text holding a NUL byte with an error: every form and the API answer 4xx or drop it."""
    world, headers = await _as_admin_with_token(app, client)
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/backoffice/teams", {"data": {"name": "Tier\x002"}}),
        ("/backoffice/products", {"data": {"code": "a\x00", "name_en": "A\x00", "name_el": "Α"}}),
        ("/backoffice/canned-responses", {"data": {"title": "T\x00", "body_en": "B\x00", "body_el": "Β"}}),
        ("/backoffice/cases/saved-filters", {"data": {"name": "N\x00", "query": "q=\x00"}}),
        ("/backoffice/cases/{number}/fields", {"data": {"tags": "vip\x00"}}),
        (
            "/api/v1/cases",
            {
                "json": {
                    "type": "question",
                    "subject": "S\x00",
                    "description": "D\x00",
                    "requester_email": world.users["colleague_own"].email,
                }
            },
        ),
        ("/api/v1/cases/{number}/replies", {"json": {"body": "B\x00"}}),
    ]
    failed = {}
    for path, body in posts:
        response = await client.post(path.format(**world.ids), headers=headers, follow_redirects=False, **body)
        if response.status_code >= 500:
            failed[path] = response.status_code
    assert not failed
