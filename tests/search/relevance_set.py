"""The labelled relevance set: queries as customers (and a few staff) type them, over the seed articles in
`knowledge_base/`, each with the article ("slug:lang") that must come first or in the top three.

Written from what people type into a help-centre box, not from the articles' wording: no accents, capitals,
inflected forms, typos, words of both languages in one query. Run `python -m tests.search.relevance_set` for
the per-query table and the accuracy figures.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from portal.search.documents import Clearance, Language, SearchQuery
from portal.search.whoosh_backend import WhooshBackend
from portal.services.kb_files import read_articles, seed_document

KNOWLEDGE_BASE = Path(__file__).resolve().parent.parent.parent / "knowledge_base"


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    expected: str  # "slug:lang"
    first: bool  # must be the first hit; otherwise in the top three
    kind: str  # what the query tests: plain, accentless, caps, inflected, typo, mixed, phrase, staff
    clearance: Clearance = "customer"

    @property
    def language(self) -> Language:
        return "el" if self.expected.endswith(":el") else "en"


def q(text: str, expected: str, kind: str, *, first: bool = True, clearance: Clearance = "customer") -> Labelled:
    return Labelled(text, expected, first, kind, clearance)


GREEK = [
    q("δεν μπορω να συνδεθω", "sign-in-options:el", "phrase", first=False),
    q("ξέχασα τον κωδικό μου", "reset-password:el", "phrase"),
    q("ξεχασα τον κωδικο", "reset-password:el", "accentless"),
    q("ΕΠΙΣΤΡΟΦΗ ΧΡΗΜΑΤΩΝ", "returns-and-refunds:el", "caps"),
    q("επιστροφη προιοντος", "returns-and-refunds:el", "accentless"),
    q("πού είναι η παραγγελία μου", "track-your-order:el", "phrase"),
    q("ο εκτυπωτης δεν εκτυπωνει", "printer-not-printing:el", "accentless"),
    q("δεν εχω ιντερνετ", "router-no-internet:el", "accentless"),
    q("αδυναμο wifi", "router-no-internet:el", "mixed"),
    q("αλλαγη τονερ", "replace-toner-cartridge:el", "accentless"),
    q("μεταφορικά για νησιά", "delivery-times-and-costs:el", "inflected"),
    q("πόσο κοστίζουν τα μεταφορικά", "delivery-times-and-costs:el", "phrase", first=False),
    q("τιμολογιο", "invoices-and-credit-notes:el", "accentless"),
    q("πιστωτικό τιμολόγιο", "invoices-and-credit-notes:el", "plain"),
    q("πληρωμη με καρτα", "payment-methods:el", "accentless"),
    q("αντικαταβολή", "payment-methods:el", "plain"),
    q("ατοκες δοσεις", "payment-methods:el", "accentless", first=False),
    q("πόντοι επιβράβευσης", "loyalty-points-and-tiers:el", "plain"),
    q("εγγραφη στην πυλη", "create-an-account:el", "accentless"),
    q("δεν ηρθε το email επιβεβαιωσης", "create-an-account:el", "phrase", first=False),
    q("προσκληση συναδελφου", "invite-your-team:el", "inflected"),
    q("ωραριο εξυπηρετησης", "contact-support-and-business-hours:el", "accentless"),
    q("τηλέφωνο επικοινωνίας", "contact-support-and-business-hours:el", "plain", first=False),
    q("θελω να κανω παραπονο", "make-a-complaint:el", "phrase"),
    q("ανοιγμα αιτηματος υποστηριξης", "open-a-support-case:el", "accentless"),
    q("χρόνος απόκρισης SLA", "response-times-and-sla:el", "mixed"),
    q("έχασα το κινητό μου", "lost-authenticator-device:el", "phrase"),
    q("ΚΩΔΙΚΟΙ ΑΝΑΚΤΗΣΗΣ", "lost-authenticator-device:el", "caps", first=False),
    q("ενεργοποιηση 2FA", "two-factor-authentication:el", "mixed"),
    q("αλλαγη email", "change-email-address:el", "mixed"),
    q("διαγραφη λογαριασμου", "download-or-delete-your-data:el", "accentless"),
    q("αποσύνδεση από όλες τις συσκευές", "sign-out-everywhere:el", "phrase", first=False),
    q("εκτυπωτις", "printer-not-printing:el", "typo", first=False),
    q("παρακολουθιση παραγγελιας", "track-your-order:el", "typo", first=False),
    q("τιμολογειο", "invoices-and-credit-notes:el", "typo", first=False),
    q("ποιος βλέπει τα αιτήματά μας", "case-sharing-modes:el", "phrase", first=False),
    q("router δεν συνδεεται", "router-no-internet:el", "mixed"),
    q("reset κωδικου", "reset-password:el", "mixed", first=False),
    q("χτυπημενο δεμα", "track-your-order:el", "accentless"),
    q("GDPR προσωπικα δεδομενα", "download-or-delete-your-data:el", "mixed"),
    q("ΜΑΡΚ myDATA", "invoices-and-credit-notes:el", "caps"),
    q("router den syndeetai", "router-no-internet:el", "mixed", first=False),  # Greeklish: only "router" helps
    q("προτεραιοτητα P1", "case-priority-triage:el", "staff", first=False, clearance="staff"),
    q("κλιμακωση παραπονου", "complaint-escalation-handling:el", "staff", first=False, clearance="staff"),
]

ENGLISH = [
    q("forgot password", "reset-password:en", "plain"),
    q("can't log in", "sign-in-options:en", "phrase", first=False),
    q("refund", "returns-and-refunds:en", "plain"),
    q("RETURN A PRODUCT", "returns-and-refunds:en", "caps"),
    q("where is my order", "track-your-order:en", "phrase"),
    q("printer offline", "printer-not-printing:en", "plain"),
    q("printer wont print", "printer-not-printing:en", "inflected"),
    q("paper jam", "printer-not-printing:en", "plain"),
    q("no internet", "router-no-internet:en", "plain"),
    q("wifi slow", "router-no-internet:en", "plain"),
    q("shipping costs", "delivery-times-and-costs:en", "inflected"),
    q("delivery to the islands", "delivery-times-and-costs:en", "phrase"),
    q("copy of my invoice", "invoices-and-credit-notes:en", "phrase"),
    q("credit notes", "invoices-and-credit-notes:en", "inflected"),
    q("pay by bank transfer", "payment-methods:en", "phrase"),
    q("cash on delivery", "payment-methods:en", "phrase"),
    q("when do loyalty points expire", "loyalty-points-and-tiers:en", "phrase"),
    q("GOLD TIER", "loyalty-points-and-tiers:en", "caps"),
    q("create an account", "create-an-account:en", "plain"),
    q("didn't receive confirmation email", "create-an-account:en", "phrase", first=False),
    q("inviting colleagues", "invite-your-team:en", "inflected"),
    q("opening hours", "contact-support-and-business-hours:en", "plain"),
    q("support phone number", "contact-support-and-business-hours:en", "plain", first=False),
    q("complaint", "make-a-complaint:en", "plain"),
    q("open a ticket", "open-a-support-case:en", "plain"),
    q("attachment size limit", "open-a-support-case:en", "plain", first=False),
    q("sla response time", "response-times-and-sla:en", "plain"),
    q("lost my phone 2fa", "lost-authenticator-device:en", "phrase"),
    q("enable two factor", "two-factor-authentication:en", "plain"),
    q("change my email address", "change-email-address:en", "phrase"),
    q("delete my account", "download-or-delete-your-data:en", "phrase"),
    q("laptop stolen", "sign-out-everywhere:en", "plain"),
    q("who can see our cases", "case-sharing-modes:en", "phrase", first=False),
    q("pasword reset", "reset-password:en", "typo"),
    q("delivry time", "delivery-times-and-costs:en", "typo", first=False),
    q("complant", "make-a-complaint:en", "typo", first=False),
    q("autenticator app", "two-factor-authentication:en", "typo", first=False),
    q("invoise", "invoices-and-credit-notes:en", "typo", first=False),
    q("price quote", "request-product-information:en", "plain"),
    q("sign in with google", "sign-in-options:en", "phrase"),
    q("Order Status", "track-your-order:en", "plain"),
    q("escalate a complaint", "make-a-complaint:en", "plain", first=False),
    q("printer κολλημένο χαρτί", "printer-not-printing:en", "mixed", first=False),
    q("Café Wi-Fi not working", "router-no-internet:en", "accentless", first=False),
    q("refund approval limit", "refund-approval-limits:en", "staff", clearance="staff"),
    q("verify caller identity", "verifying-customer-identity:en", "staff", clearance="staff"),
]

QUERIES = GREEK + ENGLISH


def build_index(path: Path) -> WhooshBackend:
    backend = WhooshBackend(path)
    backend.rebuild(seed_document(article) for article in read_articles(KNOWLEDGE_BASE))
    return backend


def rank_of(backend: WhooshBackend, labelled: Labelled) -> int | None:
    """1-based position of the expected article among the first ten hits, or None."""
    query = SearchQuery(labelled.text, labelled.clearance, labelled.language, facets=False)
    ids = [hit.id for hit in backend.search(query).hits]
    return ids.index(labelled.expected) + 1 if labelled.expected in ids else None


def _line(labelled: Labelled, rank: int | None) -> str:
    return f"{labelled.text} -> {labelled.expected} (rank {rank})"


def measure(backend: WhooshBackend) -> dict[str, object]:
    ranks = [(labelled, rank_of(backend, labelled)) for labelled in QUERIES]
    top1 = sum(rank == 1 for _, rank in ranks)
    top3 = sum(rank is not None and rank <= 3 for _, rank in ranks)
    return {
        "queries": len(ranks),
        "greek": len(GREEK),
        "english": len(ENGLISH),
        "top1": round(top1 / len(ranks), 3),
        "top3": round(top3 / len(ranks), 3),
        "must_be_first_missed": [
            f"{lab.text} -> {lab.expected} (rank {r})" for lab, r in ranks if lab.first and r != 1
        ],
        "outside_top3": [f"{lab.text} -> {lab.expected} (rank {r})" for lab, r in ranks if r is None or r > 3],
        "ranks": {f"{lab.text} -> {lab.expected}": r for lab, r in ranks},
    }


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        figures = measure(build_index(Path(tmp) / "search"))
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
