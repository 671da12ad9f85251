"""The language switcher: a plain form, so it works without JavaScript."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.response import Redirect

from portal import i18n
from portal.db.tables import User
from portal.web.auth.controllers import FormData, safe_next

ONE_YEAR = 365 * 24 * 3600


class LanguageController(Controller):
    include_in_schema = False

    @post("/language", name="set_language", status_code=303)
    async def set_language(self, request: Request[Any, Any, Any], data: FormData) -> Redirect:
        locale = data.get("locale")
        response = Redirect(safe_next(data.get("next")) or "/", status_code=303)
        if locale in i18n.LOCALES:
            response.set_cookie(i18n.LOCALE_COOKIE, locale, max_age=ONE_YEAR, samesite="lax", httponly=True)
            if request.user is not None:
                await User.update({User.locale: locale}).where(User.id == request.user.id)
        return response
