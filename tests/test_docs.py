"""The README is the first thing a user reads: its commands and its configuration table must be true."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from portal.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def environment_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            names += [f"PORTAL_{name.upper()}__{key.upper()}" for key in section.model_fields]
        else:
            names.append(f"PORTAL_{name.upper()}")
    return names


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [name for name in environment_names() if f"`{name}`" not in README]
    assert missing == []


def test_readme_opens_with_the_run_and_test_commands_and_make_has_them() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.DOTALL)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make run", "make test"]
    makefile = (Path(__file__).parent.parent / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
