"""The plugin API: `hookimpl` marks a plugin's functions, `portal.plugins.hookspecs` lists the hooks.

from portal.plugins import hookimpl

@hookimpl
def portal_nav_items(request, portal):
    return [NavItem(label="Orders", path="/orders", audience=Audience.customer)]
"""

from portal.plugins.hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
