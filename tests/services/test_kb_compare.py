"""Comparing article versions: changed lines marked, long unchanged stretches folded, every field compared."""

from __future__ import annotations

from portal.services.kb_compare import DiffLine, compare, diff_text


def test_changed_lines_are_deleted_then_inserted_between_kept_ones() -> None:
    assert diff_text("a\nb\nc\n", "a\nB\nc\n") == [
        DiffLine("same", "a"),
        DiffLine("del", "b"),
        DiffLine("ins", "B"),
        DiffLine("same", "c"),
    ]


def test_long_unchanged_stretches_fold_to_three_lines_of_context() -> None:
    before = "\n".join(f"line {n}" for n in range(1, 21))
    after = before.replace("line 10", "line ten")
    lines = diff_text(before, after)
    assert lines[0] == DiffLine("skip", "", folded=6)  # lines 1-6 folded, 7-9 kept before the change
    assert [line.text for line in lines[1:4]] == ["line 7", "line 8", "line 9"]
    assert lines[4:6] == [DiffLine("del", "line 10"), DiffLine("ins", "line ten")]
    assert [line.text for line in lines[6:9]] == ["line 11", "line 12", "line 13"]
    assert lines[9] == DiffLine("skip", "", folded=7)
    assert len(lines) == 10


def test_identical_texts_are_one_fold_and_new_text_is_all_inserted() -> None:
    assert diff_text("x\ny\nz", "x\ny\nz") == [DiffLine("skip", "", folded=3)]
    assert diff_text("", "new") == [DiffLine("ins", "new")]


def test_compare_covers_title_summary_and_body_and_says_which_changed() -> None:
    older = {"title": "Refunds", "summary": "How", "body": "Step one\n"}
    newer = {"title": "Refunds", "summary": "How to", "body": "Step one\n", "note": "ignored"}
    diffs = compare(older, newer)
    assert [diff.field for diff in diffs] == ["title", "summary", "body"]
    assert [diff.changed for diff in diffs] == [False, True, False]
