"""What staff do to cases besides replying: change fields, merge a duplicate, link related cases, and the
automatic closing of resolved cases. Each change leaves a timeline row (who, when, from, to) and an event."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.db.tables import (
    STAFF_ROLES,
    Case,
    CaseMessage,
    CaseStatus,
    CaseTag,
    Category,
    MessageKind,
    Priority,
    Product,
    SupportTeam,
    User,
)
from portal.i18n import gettext as _
from portal.plugins import outbox
from portal.plugins.events import CaseAssigned, CaseMerged
from portal.services import attachments, case_notifications, sla
from portal.services.accounts import locking, valid_id
from portal.services.cases import (
    PRIORITY_RANK,
    CaseInputError,
    CaseNotFound,
    link_cases,
    record_change,
    set_status,
)
from portal.services.mail import Mailer
from portal.services.registration import transaction
from portal.services.users import CurrentUser
from portal.settings import CaseSettings

TAG_PATTERN = re.compile(r"^[\w-]{1,50}$")
UNSET: Any = object()  # "leave this field as it is", as opposed to None, "clear it"


@dataclass(frozen=True)
class CaseChanges:
    """Fields to change; those left UNSET stay as they are."""

    status: CaseStatus = UNSET
    priority: Priority = UNSET
    assignee_id: int | None = UNSET
    team_id: int | None = UNSET
    product_id: int | None = UNSET
    category_id: int | None = UNSET
    tags: Sequence[str] = UNSET


def normalise_tags(text: str) -> list[str]:
    """ "VIP, billing  vip" -> ["billing", "vip"]: lower-case, unique, sorted; `ValueError` for an invalid tag."""
    tags = sorted({tag.strip().lower() for tag in re.split(r"[,\s]+", text) if tag.strip()})
    for tag in tags:
        if not TAG_PATTERN.match(tag):
            raise ValueError(_("Tags are single words of letters, digits, - and _ (at most 50 characters)."))
    return tags


async def tags_of(case_id: int) -> list[str]:
    rows = await CaseTag.select(CaseTag.tag).where(CaseTag.case == case_id).order_by(CaseTag.tag)
    return [row["tag"] for row in rows]


async def _check(changes: CaseChanges, case: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if changes.assignee_id not in (UNSET, None):
        agent = (
            await User.exists().where(
                (User.id == changes.assignee_id) & User.role.is_in(list(STAFF_ROLES)) & (User.is_active == True)  # noqa: E712
            )
            if valid_id(changes.assignee_id)
            else False
        )
        if not agent:
            errors["assignee"] = _("Choose one of the agents offered.")
    if changes.team_id not in (UNSET, None):
        team = (
            await SupportTeam.exists().where(SupportTeam.id == changes.team_id) if valid_id(changes.team_id) else False
        )
        if not team:
            errors["team"] = _("Choose one of the teams offered.")
    if changes.product_id not in (UNSET, None):
        product = (
            await Product.exists().where(Product.id == changes.product_id) if valid_id(changes.product_id) else False
        )
        if not product:
            errors["product"] = _("Choose one of the products offered.")
    if changes.category_id not in (UNSET, None):
        product_id = case["product"] if changes.product_id is UNSET else changes.product_id
        row = (
            await Category.select(Category.product).where(Category.id == changes.category_id).first()
            if valid_id(changes.category_id)
            else None
        )
        if row is None or row["product"] not in (None, product_id):
            errors["category"] = _("Choose one of the categories offered.")
    return errors


async def _names(table: Any, column: Any, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await table.select(table.id, column).where(table.id.is_in(wanted))
    return {row["id"]: row[column._meta.name] for row in rows}


async def change(user: CurrentUser, case_id: int, changes: CaseChanges, *, mailer: Mailer) -> list[str]:
    """Staff change fields of a case; returns the names of the fields that really changed."""
    if not user.is_staff:
        raise CaseNotFound()
    now = datetime.now(UTC)
    async with transaction(mailer):
        case = await locking(Case.select().where(Case.id == case_id)).first() if valid_id(case_id) else None
        if case is None:
            raise CaseNotFound()
        errors = await _check(changes, case)
        if errors:
            raise CaseInputError(errors)
        values: dict[Any, Any] = {}
        changed: list[str] = []
        if changes.status is not UNSET and changes.status != case["status"]:
            values |= await set_status(case, changes.status, user.id, now)
            changed.append("status")
        if changes.priority is not UNSET and changes.priority != case["priority"]:
            values |= {Case.priority: changes.priority, Case.priority_rank: PRIORITY_RANK[changes.priority]}
            values |= await sla.priority_changed(case, changes.priority)
            await record_change(case_id, user.id, "priority", case["priority"], changes.priority)
            changed.append("priority")
        for name, column, table, label in (
            ("assignee_id", Case.assignee, User, User.name),
            ("team_id", Case.team, SupportTeam, SupportTeam.name),
            ("product_id", Case.product, Product, Product.code),
            ("category_id", Case.category, Category, Category.code),
        ):
            wanted = getattr(changes, name)
            old = case[column._meta.name]
            if wanted is UNSET or wanted == old:
                continue
            names = await _names(table, label, [old, wanted])
            await record_change(case_id, user.id, column._meta.name, names.get(old), names.get(wanted))
            values[column] = wanted
            changed.append(column._meta.name)
        if changes.tags is not UNSET:
            old_tags = await tags_of(case_id)
            new_tags = sorted(set(changes.tags))
            if new_tags != old_tags:
                await CaseTag.delete().where(CaseTag.case == case_id)
                if new_tags:
                    await CaseTag.insert(*[CaseTag(case=case_id, tag=tag, key=f"{case_id}:{tag}") for tag in new_tags])
                await record_change(case_id, user.id, "tags", ", ".join(old_tags) or None, ", ".join(new_tags) or None)
                changed.append("tags")
        if not changed:
            return []
        await Case.update(values | {Case.updated_at: now}).where(Case.id == case_id)
        if "assignee" in changed or "team" in changed:
            assignee = case["assignee"] if changes.assignee_id is UNSET else changes.assignee_id
            team = case["team"] if changes.team_id is UNSET else changes.team_id
            await outbox.record(CaseAssigned(case_id=case_id, assignee_id=assignee, team_id=team, actor_id=user.id))
            if "assignee" in changed and assignee is not None:
                await case_notifications.assigned_to_you(mailer, case_id, assignee, user.id)
        if "status" in changed and changes.status == CaseStatus.resolved:
            await case_notifications.case_resolved(mailer, case_id)
    return changed


async def change_many(user: CurrentUser, case_ids: Sequence[int], changes: CaseChanges, *, mailer: Mailer) -> int:
    """Bulk assign or bulk status change from the queue: each case as if changed alone; returns how many changed.

    A case that no longer exists (merged and deleted meanwhile) is skipped; invalid choices refuse the whole batch.
    """
    done = 0
    for case_id in dict.fromkeys(case_ids):
        try:
            if await change(user, case_id, changes, mailer=mailer):
                done += 1
        except CaseNotFound:
            continue
    return done


async def merge(user: CurrentUser, case_id: int, into_number: str, *, mailer: Mailer) -> dict[str, Any]:
    """Merge duplicate `case_id` into the case numbered `into_number`; returns the target case's row.

    Messages and attachments move, the duplicate closes pointing at its target, and its requester is told. Only
    cases of the same customer (the same account, or the same person when there is none) merge: otherwise one
    customer would read another's messages.
    """
    if not user.is_staff:
        raise CaseNotFound()
    now = datetime.now(UTC)
    async with transaction(mailer):
        source = await locking(Case.select().where(Case.id == case_id)).first() if valid_id(case_id) else None
        if source is None:
            raise CaseNotFound()
        target: dict[str, Any] | None = await locking(
            Case.select().where(Case.number == into_number.strip().upper())
        ).first()
        if target is None:
            raise CaseInputError({"into": _("There is no case numbered %(number)s.") % {"number": into_number}})
        if target["id"] == source["id"]:
            raise CaseInputError({"into": _("A case cannot be merged into itself.")})
        if target["merged_into"] is not None:
            raise CaseInputError({"into": _("That case was itself merged; merge into the case it went to.")})
        same_customer = (
            source["account"] == target["account"]
            if source["account"] is not None
            else source["requester"] == target["requester"]
        )
        if not same_customer:
            raise CaseInputError({"into": _("Only cases of the same customer can be merged.")})
        await CaseMessage.update({CaseMessage.case: target["id"]}).where(CaseMessage.case == source["id"])
        await attachments.move_to_case(source["id"], target["id"])
        # The duplicate's own description becomes a message of the target, so nothing the customer wrote is lost.
        await CaseMessage.insert(
            CaseMessage(
                case=target["id"],
                author=source["requester"],
                kind=MessageKind.public,
                body=f"{source['subject']}\n\n{source['description']}",
                created_at=source["created_at"],
            ),
            CaseMessage(
                case=target["id"],
                author=user.id,
                kind=MessageKind.internal,
                body=_("%(number)s was merged into this case.") % {"number": source["number"]},
                created_at=now,
            ),
        )
        values = await set_status(source, CaseStatus.closed, user.id, now)
        await Case.update(values | {Case.merged_into: target["id"], Case.updated_at: now}).where(
            Case.id == source["id"]
        )
        await Case.update({Case.updated_at: now, Case.last_public_at: now}).where(Case.id == target["id"])
        await record_change(source["id"], user.id, "merged_into", None, target["number"])
        await record_change(target["id"], user.id, "merged_from", None, source["number"])
        await link_cases(source["id"], target["id"], user.id)
        await outbox.record(CaseMerged(case_id=source["id"], into_case_id=target["id"], actor_id=user.id))
        await case_notifications.case_merged(mailer, source["id"], target["id"])
    return target


async def link(user: CurrentUser, case_id: int, other_number: str) -> dict[str, Any]:
    """Staff link a related case (both ways); returns the other case's row."""
    if not user.is_staff:
        raise CaseNotFound()
    async with transaction():
        other = await Case.select().where(Case.number == other_number.strip().upper()).first()
        if other is None:
            raise CaseInputError({"other": _("There is no case numbered %(number)s.") % {"number": other_number}})
        if other["id"] == case_id:
            raise CaseInputError({"other": _("A case cannot be linked to itself.")})
        if await link_cases(case_id, other["id"], user.id):
            await record_change(case_id, user.id, "linked", None, other["number"])
    return other


async def close_resolved(settings: CaseSettings, *, now: datetime | None = None) -> int:
    """Close the cases resolved more than `auto_close_days` ago; returns how many. Run by `portal worker`."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=settings.auto_close_days)
    due = await Case.select(Case.id).where((Case.status == CaseStatus.resolved) & (Case.resolved_at <= cutoff))
    closed = 0
    for row in due:
        async with transaction():
            case = await locking(Case.select().where(Case.id == row["id"])).first()
            if case is None or case["status"] != CaseStatus.resolved:
                continue  # the customer replied meanwhile
            values = await set_status(case, CaseStatus.closed, None, now)
            await Case.update(values | {Case.updated_at: now}).where(Case.id == case["id"])
            closed += 1
    return closed
