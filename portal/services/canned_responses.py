"""Canned responses: reply templates in English and Greek with placeholders such as {customer_name}.

Bodies are typed by staff, so they are filled by a plain substitution of known `{name}`s, never `str.format`:
a stray brace, a `{0}` or `{x.__class__}` stays as typed instead of raising or reaching into objects.
"""

from __future__ import annotations

import re
from typing import Any

from portal.db.tables import CannedResponse
from portal.i18n import gettext as _
from portal.services.accounts import Refused, typed_text, valid_id
from portal.services.refusals import FieldRefused

TITLE_MAX = 200
BODY_MAX = 20_000

PLACEHOLDERS = (
    "customer_name",
    "customer_first_name",
    "case_number",
    "case_subject",
    "agent_name",
    "agent_first_name",
)

# `{word}` where word could be a placeholder's name; anything else with braces is just text.
_PLACEHOLDER = re.compile(r"\{([^\W\d]\w*)\}")


def _first(name: str) -> str:
    return name.split()[0] if name.strip() else name


def placeholders_in(body: str) -> list[str]:
    """The `{names}` in `body`, in order of first appearance."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(body)))


def unknown_placeholders(body: str) -> list[str]:
    return [name for name in placeholders_in(body) if name not in PLACEHOLDERS]


def placeholder_problem(body: str) -> str | None:
    """What is wrong with the placeholders of `body`, said for the user; None when nothing is."""
    unknown = unknown_placeholders(body)
    if not unknown:
        return None
    return _("Unknown placeholder %(unknown)s. Use only: %(known)s.") % {
        "unknown": ", ".join(f"{{{name}}}" for name in unknown),
        "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
    }


def render(body: str, *, customer_name: str, case_number: str, agent_name: str, case_subject: str) -> str:
    """Fill the known placeholders of `body`; unknown ones and any other braces are left as typed."""
    values = {
        "customer_name": customer_name,
        "customer_first_name": _first(customer_name),
        "case_number": case_number,
        "case_subject": case_subject,
        "agent_name": agent_name,
        "agent_first_name": _first(agent_name),
    }
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), body)


def body_for(row: dict[str, Any], locale: str) -> str:
    """The body in the customer's language: Greek for "el", English otherwise."""
    return str(row["body_el"] if locale == "el" else row["body_en"])


# --- Reading ----------------------------------------------------------------------------------------------


async def active_responses() -> list[dict[str, Any]]:
    """What the reply form offers, by title."""
    return await CannedResponse.select().where(CannedResponse.is_active.eq(True)).order_by(CannedResponse.title)


async def all_responses() -> list[dict[str, Any]]:
    return await (
        CannedResponse.select().order_by(CannedResponse.is_active, ascending=False).order_by(CannedResponse.title)
    )


async def get_response(response_id: int) -> dict[str, Any] | None:
    if not valid_id(response_id):
        return None
    return await CannedResponse.select().where(CannedResponse.id == response_id).first()


async def for_case(
    response_id: int, *, locale: str, customer_name: str, case_number: str, agent_name: str, case_subject: str
) -> str:
    """An active canned response filled in for one case, in the customer's language (`locale`).

    Raises Refused when the response does not exist or has been switched off since the form was shown.
    """
    row = await get_response(response_id)
    if row is None or not row["is_active"]:
        raise Refused(_("This canned response is no longer available."))
    return render(
        body_for(row, locale),
        customer_name=customer_name,
        case_number=case_number,
        agent_name=agent_name,
        case_subject=case_subject,
    )


# --- Writing ----------------------------------------------------------------------------------------------


def _checked(title: str, body_en: str, body_el: str) -> tuple[str, str, str]:
    title = typed_text(title)
    if not title:
        raise FieldRefused("title", _("This field is required."))
    if len(title) > TITLE_MAX:
        raise FieldRefused("title", _("Use at most %(count)d characters.") % {"count": TITLE_MAX})
    bodies = []
    for field, body in (("body_en", body_en), ("body_el", body_el)):
        body = typed_text(body)
        if not body:
            raise FieldRefused(field, _("This field is required."))
        if len(body) > BODY_MAX:
            raise FieldRefused(field, _("Use at most %(count)d characters.") % {"count": BODY_MAX})
        if problem := placeholder_problem(body):
            raise FieldRefused(field, problem)
        bodies.append(body)
    return title, bodies[0], bodies[1]


async def create_response(*, title: str, body_en: str, body_el: str, created_by: int | None = None) -> int:
    title, body_en, body_el = _checked(title, body_en, body_el)
    response = CannedResponse(title=title, body_en=body_en, body_el=body_el, created_by=created_by)
    rows = await CannedResponse.insert(response).returning(CannedResponse.id)
    return int(rows[0]["id"])


async def update_response(response_id: int, *, title: str, body_en: str, body_el: str, is_active: bool) -> None:
    title, body_en, body_el = _checked(title, body_en, body_el)
    if await get_response(response_id) is None:
        raise FieldRefused("title", _("This canned response does not exist."))
    await CannedResponse.update(
        {
            CannedResponse.title: title,
            CannedResponse.body_en: body_en,
            CannedResponse.body_el: body_el,
            CannedResponse.is_active: is_active,
        }
    ).where(CannedResponse.id == response_id)


async def delete_response(response_id: int) -> bool:
    """Nothing refers to a canned response (replies keep their own text), so it can really go."""
    if not valid_id(response_id):
        return False
    return bool(await CannedResponse.delete().where(CannedResponse.id == response_id).returning(CannedResponse.id))
