"""What the API accepts and returns, as named structs the OpenAPI schema documents, with examples."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import Example

from portal.db.tables import CaseStatus, CaseType, Priority
from portal.services.attachments import Upload
from portal.services.case_details import CaseDetails, Entry

# --- Requests ------------------------------------------------------------------------------------------------------


class AttachmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """A file sent inline; its type is sniffed from its bytes, as for files uploaded in the portal."""

    filename: str
    content: Annotated[bytes, msgspec.Meta(description="The file's bytes, base64-encoded.")]


class NewCaseIn(msgspec.Struct, forbid_unknown_fields=True):
    """A case opened for a customer; it is theirs, as if they had opened it in the portal (channel "api")."""

    requester_email: str
    subject: str
    description: str
    type: CaseType = CaseType.question
    priority: Priority | None = None
    product_code: str | None = None
    category_code: str | None = None
    attachments: list[AttachmentIn] = msgspec.field(default_factory=list)


class ReplyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A message from the token's agent: public (the customer is emailed) or an internal note."""

    body: str = ""
    internal: bool = False
    attachments: list[AttachmentIn] = msgspec.field(default_factory=list)


class StatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: CaseStatus


NEW_CASE_EXAMPLE = Example(
    summary="A customer's incident",
    value={
        "requester_email": "maria@example.com",
        "type": "incident",
        "priority": "high",
        "subject": "Router keeps restarting",
        "description": "Since this morning the router restarts every ten minutes.",
        "product_code": "ROUTER-X",
    },
)
REPLY_EXAMPLE = Example(
    summary="A public reply with a file",
    value={
        "body": "We are looking into it. The log you asked for is attached.",
        "internal": False,
        "attachments": [{"filename": "steps.txt", "content": "MS4gVHVybiBpdCBvZmYuCjIuIFR1cm4gaXQgb24uCg=="}],
    },
)
STATUS_EXAMPLE = Example(summary="Resolve a case", value={"status": "resolved"})

# --- Responses -----------------------------------------------------------------------------------------------------


class CaseOut(msgspec.Struct):
    number: str
    type: CaseType
    status: CaseStatus
    priority: Priority
    subject: str
    channel: str
    account_id: int | None
    requester_email: str
    assignee_id: int | None
    team_id: int | None
    product_code: str | None
    category_code: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None


class AttachmentOut(msgspec.Struct):
    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(msgspec.Struct):
    id: int
    author: str
    by_staff: bool
    internal: bool
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]


class CaseDetailOut(msgspec.Struct):
    """A case with its whole conversation: public messages and internal notes (`internal: true`)."""

    case: CaseOut
    description: str
    tags: list[str]
    attachments: list[AttachmentOut]  # those of the description itself
    messages: list[MessageOut]


class CasePageOut(msgspec.Struct):
    """One page of cases in `(updated_at, number)` order; pass `next_cursor` as `cursor` for the next page."""

    items: list[CaseOut]
    next_cursor: str | None


class ReplyOut(msgspec.Struct):
    message_id: int
    case: CaseOut


def uploads(files: list[AttachmentIn]) -> list[Upload]:
    return [Upload(filename=file.filename, data=file.content) for file in files]


def case_out(row: dict[str, Any]) -> CaseOut:
    return CaseOut(
        number=row["number"],
        type=CaseType(row["type"]),
        status=CaseStatus(row["status"]),
        priority=Priority(row["priority"]),
        subject=row["subject"],
        channel=row["channel"],
        account_id=row["account"],
        requester_email=row["requester_email"],
        assignee_id=row["assignee"],
        team_id=row["team"],
        product_code=row["product_code"],
        category_code=row["category_code"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        first_response_at=row["first_response_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        due_at=row["due_at"],
    )


def _attachments(entry: Entry) -> list[AttachmentOut]:
    return [
        AttachmentOut(id=file["id"], filename=file["filename"], content_type=file["content_type"], size=file["size"])
        for file in entry.attachments
    ]


def case_detail_out(row: dict[str, Any], details: CaseDetails) -> CaseDetailOut:
    description, *messages = details.conversation
    return CaseDetailOut(
        case=case_out(row),
        description=description.body,
        tags=details.tags,
        attachments=_attachments(description),
        messages=[
            MessageOut(
                id=entry.id or 0,
                author=entry.author,
                by_staff=entry.by_staff,
                internal=entry.internal,
                body=entry.body,
                created_at=entry.created_at,
                attachments=_attachments(entry),
            )
            for entry in messages
        ],
    )


_CASE_EXAMPLE: dict[str, Any] = {
    "number": "C-2026-000123",
    "type": "incident",
    "status": "open",
    "priority": "high",
    "subject": "Router keeps restarting",
    "channel": "api",
    "account_id": 7,
    "requester_email": "maria@example.com",
    "assignee_id": 3,
    "team_id": None,
    "product_code": "ROUTER-X",
    "category_code": None,
    "created_at": "2026-03-02T09:15:00Z",
    "updated_at": "2026-03-02T10:40:00Z",
    "first_response_at": "2026-03-02T10:40:00Z",
    "resolved_at": None,
    "closed_at": None,
    "due_at": "2026-03-03T09:15:00Z",
}
CASE_EXAMPLE = Example(summary="A case", value=_CASE_EXAMPLE)
PAGE_EXAMPLE = Example(
    summary="A page of cases", value={"items": [_CASE_EXAMPLE], "next_cursor": "1772444400000000-123"}
)
DETAIL_EXAMPLE = Example(
    summary="A case with its conversation",
    value={
        "case": _CASE_EXAMPLE,
        "description": "Since this morning the router restarts every ten minutes.",
        "tags": ["vip"],
        "attachments": [{"id": 41, "filename": "log.txt", "content_type": "text/plain", "size": 5120}],
        "messages": [
            {
                "id": 900,
                "author": "Nikos Agent",
                "by_staff": True,
                "internal": True,
                "body": "Firmware 2.1 known issue.",
                "created_at": "2026-03-02T10:35:00Z",
                "attachments": [],
            },
            {
                "id": 901,
                "author": "Nikos Agent",
                "by_staff": True,
                "internal": False,
                "body": "We are looking into it.",
                "created_at": "2026-03-02T10:40:00Z",
                "attachments": [],
            },
        ],
    },
)
REPLY_OUT_EXAMPLE = Example(summary="The reply was added", value={"message_id": 901, "case": _CASE_EXAMPLE})
