"""Pinned libraries the portal builds on behave as their pins promise."""

from __future__ import annotations

import importlib.metadata
import json
import warnings
from pathlib import Path

import whoosh

ROOT = Path(__file__).parent.parent


def test_search_library_compiles_without_warnings() -> None:
    """Abandoned whoosh releases emit SyntaxWarnings on current Pythons; the pinned fork must not."""
    sources = sorted(Path(whoosh.__file__).parent.rglob("*.py"))
    assert sources
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for source in sources:
            compile(source.read_text(encoding="utf-8"), str(source), "exec")


def test_htmx_is_pinned_exactly_to_a_2_0_release() -> None:
    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"]["htmx.org"]
    assert wanted.startswith("2.0.")
    assert wanted[0].isdigit()  # no ^ or ~: an exact version
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/htmx.org"]["version"]
    assert locked == wanted


def test_exactly_one_whoosh_distribution_is_installed() -> None:
    """The forks all install the same `whoosh` package; two at once would overwrite each other's files."""
    names = {dist.metadata["Name"].lower() for dist in importlib.metadata.distributions()}
    assert names & {"whoosh", "whoosh-reloaded", "whoosh3", "whoosh-ng", "whoosh-novo"} == {"whoosh3"}
