"""Which case emails the signed-in user receives: one checkbox per kind they are offered, all on by default."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from portal.i18n import gettext as _
from portal.services import notification_preferences as preferences
from portal.services.notification_preferences import AGENT_KINDS, CUSTOMER_KINDS, LABELS, NotificationKind
from portal.services.users import CurrentUser
from portal.web.auth.guards import requires_user
from portal.web.team.forms import FormData

AnyRequest = Request[Any, Any, Any]
PATH = "/profile/notifications"


async def preferences_page(user: CurrentUser) -> Template:
    declined = await preferences.opted_out(user.id)
    groups: list[tuple[str, tuple[NotificationKind, ...]]] = [(_("Your cases"), CUSTOMER_KINDS)]
    if user.is_staff:
        groups.append((_("Cases you work on"), AGENT_KINDS))
    context = {
        "groups": [(title, [(kind.value, LABELS[kind]) for kind in kinds]) for title, kinds in groups],
        "values": {kind.value: "on" for _title, kinds in groups for kind in kinds if kind.value not in declined},
    }
    return Template("notifications/preferences.html", context=context)


class NotificationPreferencesController(Controller):
    path = PATH
    guards = [requires_user]
    include_in_schema = False

    @get("/")
    async def show(self, request: AnyRequest) -> Template:
        return await preferences_page(request.user)

    @post("/", status_code=303)
    async def save(self, request: AnyRequest, data: FormData) -> Redirect:
        # A checkbox is sent only when ticked: what is missing is what the user turned off.
        await preferences.set_preferences(request.user.id, {name for name, value in data.items() if value == "on"})
        flash(request, _("Your email choices are saved."), "success")
        return Redirect(PATH, status_code=303)
