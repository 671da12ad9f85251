"""Piccolo's configuration module (`PICCOLO_CONF=portal.db.piccolo_conf`).

Piccolo looks up `DB` here whenever it needs the engine. `DB` is resolved lazily (PEP 562) to the engine the
running app bound, so importing this module reads nothing; only Piccolo's own CLI, used by developers to
generate migrations, falls back to building an engine from the environment.
"""

from typing import Any

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["portal.db.piccolo_app"])


def __getattr__(name: str) -> Any:
    if name != "DB":
        raise AttributeError(name)
    from portal.db import engine
    from portal.settings import Settings

    return engine.current() or engine.bind(Settings().database_url)
