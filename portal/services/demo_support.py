"""Demo data for support: products, case categories, teams of the demo agents, canned responses in both languages.

Like the rest of the demo it skips what is already there, so loading twice changes nothing.
"""

from __future__ import annotations

from portal.db.tables import CannedResponse, Category, Product, SupportTeam, User
from portal.services import canned_responses, catalog, support_teams

# code: (English name, Greek name)
DEMO_PRODUCTS = {
    "cloud-pbx": ("Cloud PBX", "Τηλεφωνικό κέντρο cloud"),
    "fibre-broadband": ("Fibre broadband", "Ευρυζωνική σύνδεση οπτικών ινών"),
    "field-service": ("Field service", "Τεχνική υποστήριξη στο χώρο σας"),
}

# code: (English name, Greek name, product code or None for every product)
DEMO_CATEGORIES = {
    "billing": ("Billing", "Χρεώσεις και λογαριασμοί", None),
    "installation": ("Installation", "Εγκατάσταση", None),
    "technical-fault": ("Technical fault", "Τεχνική βλάβη", None),
    "account-changes": ("Account changes", "Αλλαγές στο λογαριασμό", None),
    "call-routing": ("Call routing", "Δρομολόγηση κλήσεων", "cloud-pbx"),
}

# team name: member emails (demo logins)
DEMO_TEAMS = {
    "First line": ["agent@portal.example", "agent2@portal.example"],
    "Network specialists": ["agent@portal.example", "manager@portal.example"],
}

# title: (English body, Greek body)
DEMO_RESPONSES = {
    "We are looking into it": (
        "Dear {customer_first_name},\n\nThank you for contacting us about case {case_number}. We are looking into"
        " it and will get back to you as soon as possible.\n\nKind regards,\n{agent_name}",
        "Αγαπητέ/ή {customer_first_name},\n\nΣας ευχαριστούμε που επικοινωνήσατε μαζί μας για την υπόθεση"
        " {case_number}. Την εξετάζουμε και θα σας απαντήσουμε το συντομότερο δυνατό.\n\nΜε εκτίμηση,\n{agent_name}",
    ),
    "Need more information": (
        'Dear {customer_first_name},\n\nTo help with "{case_subject}" we need a little more information: could'
        " you tell us when the problem started and whether it happens all the time?\n\nThank you,\n{agent_first_name}",
        "Αγαπητέ/ή {customer_first_name},\n\nΓια να σας βοηθήσουμε με το «{case_subject}» χρειαζόμαστε μερικές"
        " ακόμη πληροφορίες: πότε ξεκίνησε το πρόβλημα και αν συμβαίνει συνεχώς;\n\nΣας ευχαριστούμε,\n"
        "{agent_first_name}",
    ),
    "Technician visit booked": (
        "Dear {customer_name},\n\nA technician will visit you about case {case_number}. We will call you the day"
        " before to confirm the time.\n\nKind regards,\n{agent_name}",
        "Αγαπητέ/ή {customer_name},\n\nΈνας τεχνικός θα σας επισκεφθεί για την υπόθεση {case_number}. Θα σας"
        " τηλεφωνήσουμε την προηγούμενη μέρα για να επιβεβαιώσουμε την ώρα.\n\nΜε εκτίμηση,\n{agent_name}",
    ),
    "Resolved: please confirm": (
        "Dear {customer_first_name},\n\nWe believe case {case_number} is now resolved. If anything is still not"
        " right, simply reply and we will reopen it.\n\nKind regards,\n{agent_name}",
        "Αγαπητέ/ή {customer_first_name},\n\nΠιστεύουμε ότι η υπόθεση {case_number} έχει πλέον επιλυθεί. Αν κάτι"
        " δεν είναι ακόμη σωστό, απλώς απαντήστε και θα την ανοίξουμε ξανά.\n\nΜε εκτίμηση,\n{agent_name}",
    ),
}


async def load() -> None:
    """Create the support set-up the demo's cases and agents use; run after the demo users exist."""
    product_ids: dict[str, int] = {}
    for code, (name_en, name_el) in DEMO_PRODUCTS.items():
        row = await Product.select(Product.id).where(Product.code == code).first()
        product_ids[code] = (
            row["id"] if row else await catalog.create_product(code=code, name_en=name_en, name_el=name_el)
        )
    for code, (name_en, name_el, product) in DEMO_CATEGORIES.items():
        if not await Category.exists().where(Category.code == code):
            product_id = product_ids[product] if product else None
            await catalog.create_category(code=code, name_en=name_en, name_el=name_el, product_id=product_id)
    for name, emails in DEMO_TEAMS.items():
        row = await SupportTeam.select(SupportTeam.id).where(SupportTeam.name == name).first()
        team_id = row["id"] if row else await support_teams.create_team(name)
        for user in await User.select(User.id).where(User.email.is_in(emails)):
            await support_teams.add_member(team_id, user["id"])
    for title, (body_en, body_el) in DEMO_RESPONSES.items():
        if not await CannedResponse.exists().where(CannedResponse.title == title):
            await canned_responses.create_response(title=title, body_en=body_en, body_el=body_el)
