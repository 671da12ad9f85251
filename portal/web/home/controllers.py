from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template


class HomeController(Controller):
    include_in_schema = False

    @get("/", name="home")
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        return Template("home/index.html")
