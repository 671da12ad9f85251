"""Comparing two versions of an article: a line diff of the title, summary and body, for the back office.

Plain text in, plain text out: the template escapes every line, so the diff of Markdown containing markup can
never become markup itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["same", "ins", "del", "skip"]

FIELDS = ("title", "summary", "body")
CONTEXT = 3  # unchanged lines kept around each change; longer unchanged runs are folded


@dataclass(frozen=True)
class DiffLine:
    kind: Kind
    text: str  # for "skip", empty: the template says how many lines were folded
    folded: int = 0


@dataclass(frozen=True)
class FieldDiff:
    field: str
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return any(line.kind in ("ins", "del") for line in self.lines)


def diff_text(old: str, new: str, context: int = CONTEXT) -> list[DiffLine]:
    """Lines of `old` and `new` marked as kept, deleted or inserted; long unchanged runs folded to `context`."""
    before, after = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    opcodes = matcher.get_opcodes()
    for index, (tag, a1, a2, b1, b2) in enumerate(opcodes):
        if tag == "equal":
            lines.extend(_fold(before[a1:a2], context, first=index == 0, last=index == len(opcodes) - 1))
            continue
        lines.extend(DiffLine("del", text) for text in before[a1:a2])
        lines.extend(DiffLine("ins", text) for text in after[b1:b2])
    return lines


def _fold(same: list[str], context: int, *, first: bool, last: bool) -> list[DiffLine]:
    head = 0 if first else context
    tail = 0 if last else context
    if len(same) <= head + tail + 1:
        return [DiffLine("same", text) for text in same]
    kept_head = [DiffLine("same", text) for text in same[:head]]
    kept_tail = [DiffLine("same", text) for text in same[len(same) - tail :]] if tail else []
    return [*kept_head, DiffLine("skip", "", folded=len(same) - head - tail), *kept_tail]


def compare(older: Mapping[str, Any], newer: Mapping[str, Any]) -> list[FieldDiff]:
    """The title, summary and body of two versions (dicts as `knowledge.version()` returns them), compared."""
    return [FieldDiff(field, diff_text(str(older.get(field) or ""), str(newer.get(field) or ""))) for field in FIELDS]


__all__ = ["DiffLine", "FieldDiff", "compare", "diff_text"]
