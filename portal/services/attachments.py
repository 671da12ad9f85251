"""Files on case messages: checked before anything is written, stored outside the web root, shown only to those
who may see them.

The type of a file is sniffed from its bytes (the `filetype` library, plus our own test for plain text), never
taken from its name or from what the browser claims. Only an allow-list is accepted. Markup a browser would run
(HTML, SVG) is refused even though it is text: a support case gains little from it, and refusing it keeps
the rule simple should a later store serve files from another origin. Executable names (`.exe`, `.js`, `.bat`,
macro-enabled Office files, ...) are refused whatever their bytes are, because the downloaded file keeps its
name and a double-click would run it.

Bytes are written before the `Attachment` rows, inside the caller's transaction. A rollback leaves the files
behind with no row; `sweep_orphans` removes such files later (the app runs it every hour).
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

import filetype  # type: ignore[import-untyped]
import structlog

from portal.db.tables import Attachment, MessageKind
from portal.i18n import gettext as _
from portal.services import access
from portal.services.attachment_store import AttachmentStore, LocalAttachmentStore, new_key
from portal.services.users import CurrentUser
from portal.settings import CaseSettings

log = structlog.get_logger("portal.attachments")

MB = 1024 * 1024  # what operating systems call a megabyte when they show a file's size
FILENAME_MAX = 120
SWEEP_INTERVAL = 3600.0
SWEEP_AGE = timedelta(hours=1)

INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TEXT = "text/plain"
ACCEPTED = INLINE_IMAGES | {
    TEXT,
    "image/bmp",
    "image/tiff",
    "image/heic",
    "application/pdf",
    "application/rtf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-outlook",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/zip",
    "application/gzip",
    "application/x-7z-compressed",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "audio/mpeg",
}
_ALIASES = {"image/apng": "image/png"}

# Names that run when opened, whatever the bytes inside. Compared with the last extension only, so
# `invoice.pdf.exe` is caught and `setup.exe.txt` (which opens in a text editor) is not.
# fmt: off
BLOCKED_EXTENSIONS = frozenset({
    "app", "appimage", "apk", "appx", "bat", "chm", "cmd", "com", "command", "cpl", "desktop", "dll", "dmg", "docm",
    "dotm", "exe", "hta", "htm", "html", "inf", "iso", "jar", "jnlp", "js", "jse", "lnk", "mht", "mhtml", "msc",
    "msi", "msix", "msp", "pif", "potm", "ppam", "ppsm", "pptm", "ps1", "psm1", "py", "pyw", "reg", "run", "scf",
    "scr", "sct", "sh", "svg", "svgz", "sys", "url", "vb", "vbe", "vbs", "ws", "wsc", "wsf", "wsh", "xhtml", "xlam",
    "xlsm", "xltm",
})
# fmt: on

# Legacy Office files, Outlook messages and Windows installers share one container (OLE); its bytes do not say
# which, so the name chooses among the Office types, and anything else in that container is refused.
_OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_OLE_BY_EXTENSION = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "msg": "application/vnd.ms-outlook",
}
# Bytes that never occur in text in any encoding (tab, newlines, form feed and escape are allowed).
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13, 27})
# What browsers' own sniffing takes for a web page (WHATWG MIME sniffing, "text/html" patterns), plus SVG.
_MARKUP = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|script|iframe|svg|style|title|"
    rb"table|div|font|a|b|p|br|h1)[\s>/]",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Upload:
    """A file as the web form or the API received it: the name the sender gave and the bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed `check_uploads`: a safe name, the sniffed type, ready to store."""

    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


class AttachmentRejected(Exception):
    """A file, or the set of files, cannot be accepted; `message` says why, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_uploads(uploads: Sequence[Upload], settings: CaseSettings) -> list[CheckedFile]:
    """Every upload checked, or `AttachmentRejected` for the first problem. Nothing is stored here."""
    if len(uploads) > settings.max_attachments:
        raise AttachmentRejected(_("Attach at most %(count)d files.") % {"count": settings.max_attachments})
    limit = int(settings.max_attachment_mb * MB)
    checked = []
    for upload in uploads:
        name = safe_filename(upload.filename)
        if not upload.data:
            raise AttachmentRejected(_("%(name)s is empty.") % {"name": name})
        if len(upload.data) > limit:
            raise AttachmentRejected(
                _("%(name)s is larger than %(size)s MB.") % {"name": name, "size": f"{settings.max_attachment_mb:g}"}
            )
        content_type = sniff(upload.data, name)
        if content_type is None:
            raise AttachmentRejected(_("We can't accept files of this type (%(name)s).") % {"name": name})
        digest = sha256(upload.data).hexdigest()
        checked.append(CheckedFile(name, content_type, len(upload.data), digest, upload.data))
    return checked


def request_body_limit(settings: CaseSettings) -> int:
    """The largest request body to read: a message's full allowance of files, plus room for the text and the
    multipart framing. Within it, a too-large file gets its own message next to the field rather than a 413."""
    return int(settings.max_attachment_mb * MB) * settings.max_attachments + 2 * MB


def safe_filename(name: str) -> str:
    """The last part of a path, without control characters, at most FILENAME_MAX characters, never empty."""
    base = PureWindowsPath(PurePosixPath(name.replace("\\", "/")).name).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(char for char in base if unicodedata.category(char)[0] != "C")
    base = base.strip().strip(".").strip()  # ".." and names of dots only; a trailing dot confuses Windows
    if not base:
        return "file"
    if len(base) > FILENAME_MAX:
        stem, dot, extension = base.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            return stem[: FILENAME_MAX - len(extension) - 1].rstrip() + "." + extension
        return base[:FILENAME_MAX]
    return base


def extension_of(name: str) -> str:
    _, dot, extension = name.rpartition(".")
    return extension.lower() if dot else ""


def sniff(data: bytes, name: str) -> str | None:
    """The accepted content type of `data`, or None when it is not accepted (`name` can only refuse, or choose
    among the legacy Office types, never make a file acceptable)."""
    extension = extension_of(name)
    if extension in BLOCKED_EXTENSIONS:
        return None
    if data.startswith(_OLE_SIGNATURE):
        return _OLE_BY_EXTENSION.get(extension)
    kind = filetype.guess(data)
    if kind is not None:
        mime = _ALIASES.get(kind.mime, kind.mime)
        return mime if mime in ACCEPTED else None
    if _is_text(data):
        return None if _MARKUP.match(data[:2048].lstrip(b"\xef\xbb\xbf")) else TEXT
    return None


def _is_text(data: bytes) -> bool:
    """Text in any encoding: UTF-8, or a legacy one such as the Greek Windows code page Excel exports CSV in."""
    return data.translate(None, _BINARY_BYTES) == data


def is_inline_image(content_type: str) -> bool:
    """Images a browser only draws (never runs), safe to show inline: PNG, JPEG, GIF and WebP."""
    return content_type in INLINE_IMAGES


# --- Attaching, moving, sweeping ------------------------------------------------------------------------------------


async def attach(
    store: AttachmentStore,
    files: Sequence[CheckedFile],
    *,
    case_id: int,
    message_id: int | None,
    uploaded_by: int | None,
) -> list[int]:
    """Store the files and record them on the case (and message); returns the new attachment ids.

    Call it inside the transaction that creates the message: the rows commit or roll back with it.
    """
    rows = []
    for file in files:
        key = new_key()
        await store.write(key, file.data)
        rows.append(
            Attachment(
                case=case_id,
                message=message_id,
                uploaded_by=uploaded_by,
                filename=file.filename,
                content_type=file.content_type,
                size=file.size,
                sha256=file.sha256,
                storage_key=key,
            )
        )
    if not rows:
        return []
    inserted = await Attachment.insert(*rows).returning(Attachment.id)
    return [row["id"] for row in inserted]


async def move_to_case(from_case_id: int, to_case_id: int) -> None:
    """Attachments follow their messages when a duplicate case is merged into another."""
    await Attachment.update({Attachment.case: to_case_id}).where(Attachment.case == from_case_id)


async def sweep_orphans(store: AttachmentStore, older_than: timedelta = SWEEP_AGE) -> int:
    """Delete stored files that no attachment row names (left by rolled-back transactions); returns how many.

    Only files older than `older_than` are considered, so a transaction still running keeps its files.
    """
    keys = await store.keys_older_than(older_than)
    deleted = 0
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        known = await Attachment.select(Attachment.storage_key).where(Attachment.storage_key.is_in(batch))
        for key in set(batch) - {row["storage_key"] for row in known}:
            await store.delete(key)
            deleted += 1
    if deleted:
        log.info("orphaned attachments deleted", count=deleted)
    return deleted


async def sweep_periodically(store: AttachmentStore, interval: float = SWEEP_INTERVAL) -> None:
    while True:
        try:
            await sweep_orphans(store)
        except Exception:  # a full disk or a database restart must not end the loop for good
            log.exception("sweeping orphaned attachments failed")
        await asyncio.sleep(interval)


# --- Reading ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentInfo:
    """What a page shows of an attachment, and what the download needs."""

    id: int
    case_id: int
    message_id: int | None
    filename: str
    content_type: str
    size: int
    storage_key: str
    internal: bool

    @property
    def url(self) -> str:
        return f"/attachments/{self.id}/{quote(self.filename, safe='')}"

    @property
    def inline(self) -> bool:
        return is_inline_image(self.content_type)


_COLUMNS = (
    Attachment.id,
    Attachment.case.as_alias("case_id"),
    Attachment.message.as_alias("message_id"),
    Attachment.filename,
    Attachment.content_type,
    Attachment.size,
    Attachment.storage_key,
    Attachment.message.kind.as_alias("kind"),
)


def _info(row: dict[str, Any]) -> AttachmentInfo:
    return AttachmentInfo(
        id=row["id"],
        case_id=row["case_id"],
        message_id=row["message_id"],
        filename=row["filename"],
        content_type=row["content_type"],
        size=row["size"],
        storage_key=row["storage_key"],
        internal=row["kind"] == MessageKind.internal,
    )


async def of_case(case_id: int, *, with_internal: bool) -> list[AttachmentInfo]:
    """A case's attachments in upload order; those of internal notes only when `with_internal` (staff)."""
    rows = await Attachment.select(*_COLUMNS).where(Attachment.case == case_id).order_by(Attachment.id)
    return [info for info in map(_info, rows) if with_internal or not info.internal]


async def visible_to(user: CurrentUser, attachment_id: int) -> AttachmentInfo | None:
    """The attachment if `user` may see its case (and, for customers, it is not on an internal note), else None."""
    row = await (
        Attachment.select(
            *_COLUMNS,
            Attachment.case.account.as_alias("account_id"),
            Attachment.case.requester.as_alias("requester_id"),
        )
        .where(Attachment.id == attachment_id)
        .first()
    )
    if row is None:
        return None
    info = _info(row)
    if user.is_staff:
        return info
    if info.internal:
        return None
    scope = await access.case_scope(user)
    return info if scope.allows(account_id=row["account_id"], user_id=row["requester_id"]) else None


__all__ = [
    "AttachmentInfo",
    "AttachmentRejected",
    "AttachmentStore",
    "CheckedFile",
    "LocalAttachmentStore",
    "Upload",
    "attach",
    "check_uploads",
    "is_inline_image",
    "move_to_case",
    "new_key",
    "of_case",
    "request_body_limit",
    "sweep_orphans",
    "visible_to",
]
