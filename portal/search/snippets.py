"""Highlighted snippets: the part of a text around the first words whose stems the query asked for.

whoosh's highlighter runs the whole analysis chain over every token of the text; for ten bodies of a few
hundred words that was most of a search's time. Here a word is matched by the same `fold` and `stem` the
index uses (both cached), so a snippet costs a regular-expression scan.
"""

from __future__ import annotations

import html
import re

from portal.search.analysis import STOP_WORDS, TOKEN_PATTERN, fold, stem

TOKEN = re.compile(TOKEN_PATTERN)
SURROUND = 60  # characters shown before the first match


def _stems(token: str) -> set[str]:
    folded = fold(token)
    parts = [folded.replace("-", ""), *folded.split("-")] if "-" in folded else [folded]
    return {stem(part) for part in parts if len(part) >= 2 and part not in STOP_WORDS}


def snippet(text: str, terms: set[str], max_chars: int) -> str:
    """Escaped text of at most about `max_chars` around the first match, matches in `<mark>`; "" if none."""
    matches = [(m.start(), m.end(), found) for m in TOKEN.finditer(text) if (found := _stems(m.group()) & terms)]
    if not matches:
        return ""
    start = max(0, matches[0][0] - SURROUND)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < matches[0][0] else start
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", matches[0][1], end)
        end = space if space > 0 else end
    numbers: dict[str, int] = {}
    out: list[str] = ["… " if start else ""]
    position = start
    for begin, finish, found in matches:
        if begin < position or finish > end:
            continue
        number = numbers.setdefault(min(found), len(numbers))
        out.append(html.escape(text[position:begin]))
        out.append(f'<mark class="match term{number}">{html.escape(text[begin:finish])}</mark>')
        position = finish
    out.append(html.escape(text[position:end]))
    out.append(" …" if end < len(text) else "")
    return "".join(out).strip()
