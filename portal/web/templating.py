"""The Jinja environment: templates found by one glob, gettext, locale-aware filters, cache-busted static URLs."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import partial
from os import PathLike
from pathlib import Path
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from portal import i18n
from portal.settings import Settings
from portal.web import case_labels
from portal.web.knowledge.forms import safe_snippet
from portal.web.navigation import nav_badge, nav_items

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
STATIC_PATH = "/static"


def template_directories() -> list[Path | PathLike[Any] | str]:
    return [*sorted(WEB_DIR.glob("*/templates"))]


def static_fingerprints(directory: Path = STATIC_DIR) -> dict[str, str]:
    """A short content hash per static file, so URLs change when files do and can be cached for a year."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in directory.rglob("*")
        if path.is_file()
    }


def template_config(settings: Settings) -> TemplateConfig[JinjaTemplateEngine]:
    fingerprints = static_fingerprints()

    def static_url(file_path: str) -> str:
        version = fingerprints.get(file_path)
        return f"{STATIC_PATH}/{file_path}" + (f"?v={version}" if version else "")

    def configure(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.add_extension("jinja2.ext.i18n")
        env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
        env.globals.update(
            static_url=static_url,
            locales=i18n.LOCALES,
            locale_name=i18n.locale_name,
            current_locale=i18n.current_locale,
            settings=settings,
            sign_in_providers=settings.auth.providers,  # for oidc/_buttons.html, so no handler passes them
            **case_labels.TEMPLATE_GLOBALS,
        )
        env.filters.update(
            datetime=partial(_format_datetime, timezone=settings.i18n.timezone),
            date=i18n.format_date,
            number=i18n.format_number,
            snippet=safe_snippet,  # a search hit's snippet: only its <mark> highlights stay markup
        )
        engine.register_template_callable("nav_items", _nav_items)
        engine.register_template_callable("nav_badge", _nav_badge)
        engine.register_template_callable("current_user", _current_user)
        engine.register_template_callable("flashes", _flashes)

    return TemplateConfig(directory=template_directories(), engine=JinjaTemplateEngine, engine_callback=configure)


def _format_datetime(value: Any, format: str = "medium", *, timezone: str) -> str:
    return i18n.format_datetime(value, timezone, format)


def _nav_items(context: Mapping[str, Any]) -> list[Any]:
    return nav_items(context["request"])


def _nav_badge(context: Mapping[str, Any], item: Any) -> int:
    return nav_badge(context["request"], item)


def _current_user(context: Mapping[str, Any]) -> Any:
    return context["request"].scope.get("user")


def _flashes(context: Mapping[str, Any]) -> list[dict[str, str]]:
    """Messages queued by `flash()`, shown once. Pages outside the session (static, probes) have none."""
    session = context["request"].scope.get("session")
    if not isinstance(session, dict):
        return []
    return session.pop("_messages", [])  # type: ignore[no-any-return]
