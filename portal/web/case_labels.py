"""How a case's status, priority and type read, in one place for the customer pages and the desk.

Customers and staff differ in one word only: a case waiting on the customer asks the customer for their reply.
"""

from __future__ import annotations

from collections.abc import Callable

from babel.support import LazyProxy

from portal.db.sla_tables import Entitlement
from portal.db.tables import CaseStatus, CaseType, Priority
from portal.i18n import lazy_gettext as _l

STATUS: dict[str, LazyProxy] = {
    CaseStatus.new: _l("New"),
    CaseStatus.open: _l("Open"),
    CaseStatus.waiting_on_customer: _l("Waiting on customer"),
    CaseStatus.on_hold: _l("On hold"),
    CaseStatus.resolved: _l("Resolved"),
    CaseStatus.closed: _l("Closed"),
}
CUSTOMER_STATUS: dict[str, LazyProxy] = STATUS | {CaseStatus.waiting_on_customer: _l("Waiting for your reply")}
PRIORITY: dict[str, LazyProxy] = {
    Priority.low: _l("Low"),
    Priority.normal: _l("Normal"),
    Priority.high: _l("High"),
    Priority.urgent: _l("Urgent"),
}
CASE_TYPE: dict[str, LazyProxy] = {
    CaseType.question: _l("Question"),
    CaseType.incident: _l("Incident"),
    CaseType.service_request: _l("Service request"),
    CaseType.complaint: _l("Complaint"),
}


def _reader(table: dict[str, LazyProxy]) -> Callable[[str], str]:
    def read(value: str) -> str:
        return str(table.get(value, value))  # an unknown value (a newer version's) shows as stored

    return read


# Where the case's service times come from, as the agent reads it; the last three ask the agent to check.
ENTITLEMENT: dict[str, LazyProxy] = {
    Entitlement.contract: _l("Covered by a contract"),
    Entitlement.no_contract: _l("No contract: standard service times"),
    Entitlement.not_entitled: _l("Not an entitled contact of the contract"),
    Entitlement.product_not_covered: _l("Product not covered by the contract"),
    Entitlement.expired: _l("The contract has expired"),
}

TEMPLATE_GLOBALS = {
    "status_label": _reader(STATUS),
    "customer_status_label": _reader(CUSTOMER_STATUS),
    "priority_label": _reader(PRIORITY),
    "case_type_label": _reader(CASE_TYPE),
    "entitlement_label": _reader(ENTITLEMENT),
}
