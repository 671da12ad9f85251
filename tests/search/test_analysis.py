"""Folding and stemming make Greek and English words match however they are typed."""

from __future__ import annotations

import pytest

from portal.search.analysis import fold, query_stems, query_words, text_analyzer


def stems(text: str) -> list[str]:
    return [token.text for token in text_analyzer()(text)]


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("πελατης", "πελάτης"),
        ("ΠΕΛΑΤΗΣ", "πελάτης"),
        ("Πελάτες", "πελάτης"),  # plural, capitalised
        ("καφέδες", "ΚΑΦΕΣ"),
        ("cafe", "Café"),
        ("CAFÉ", "cafe"),
        ("passwords", "password"),
        ("Printing", "printed"),
        ("τιμολογίων", "τιμολόγια"),
        ("λογαριασμού", "Λογαριασμοί"),
        ("εκτυπωτη", "εκτυπωτές"),
        ("υπολογιστη", "υπολογιστές"),
    ],
)
def test_inflected_accentless_and_capitalised_forms_share_a_stem(typed: str, written: str) -> None:
    assert stems(typed) == stems(written)
    assert len(stems(typed)) == 1


def test_folding_drops_tonos_dialytika_latin_accents_and_final_sigma() -> None:
    assert fold("Πελάτης") == "πελατησ"
    assert fold("ΠΡΩΤΕΪΝΗ") == fold("πρωτεΐνη") == "πρωτεινη"
    assert fold("Crème Brûlée") == "creme brulee"
    assert fold("ς") == fold("Σ") == fold("σ")


def test_mixed_language_text_is_stemmed_per_word_script() -> None:
    assert stems("Οι πελάτες printing invoices") == ["πελατ", "print", "invoic"]


def test_stop_words_of_both_languages_are_dropped_with_or_without_accents() -> None:
    assert query_words("the password και ο κωδικός είναι ειναι") == ["password", "κωδικοσ"]


def test_query_stems_drop_duplicates_and_keep_order() -> None:
    assert query_stems("Λογαριασμός λογαριασμού password passwords") == ["λογαριασμ", "password"]
