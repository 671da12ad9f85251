"""Cases for the browser tests, made through the real services in the test's process.

The live server shares the database and the data directory (attachments), so what these write it shows and
serves; emails they queue are sent by the live server's mailer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from portal.db.tables import CaseStatus, CaseType
from portal.services import cases
from portal.services.attachment_store import LocalAttachmentStore
from portal.services.attachments import Upload, check_uploads
from portal.services.cases import CaseRef, NewCase
from portal.services.mail import Mailer
from portal.services.users import CurrentUser
from portal.settings import Settings
from tests import sample_files


@dataclass(frozen=True)
class CaseWriter:
    """Opens and answers cases as another browser (or the email channel) would."""

    settings: Settings

    @cached_property
    def mailer(self) -> Mailer:
        return Mailer(self.settings)

    @cached_property
    def store(self) -> LocalAttachmentStore:
        return LocalAttachmentStore(self.settings.attachments_dir)

    async def open(self, user: CurrentUser, subject: str, files: Sequence[Upload] = ()) -> CaseRef:
        checked = check_uploads(list(files), self.settings.cases)
        new = NewCase(type=CaseType.incident, subject=subject, description="It stopped working this morning.")
        return await cases.open_case(user, new, checked, mailer=self.mailer, store=self.store)

    async def reply(
        self,
        user: CurrentUser,
        case: CaseRef,
        body: str,
        files: Sequence[Upload] = (),
        *,
        internal: bool = False,
        status: CaseStatus | None = None,
    ) -> None:
        checked = check_uploads(list(files), self.settings.cases)
        await cases.reply(
            user, case.id, body, checked, mailer=self.mailer, store=self.store, internal=internal, status=status
        )

    async def answered(self, customer: CurrentUser, agent: CurrentUser, subject: str) -> CaseRef:
        """A case with everything its pages can show: photos, a public reply, an internal note, a status change."""
        case = await self.open(customer, subject, [Upload("photo.png", sample_files.png())])
        await self.reply(agent, case, "We are looking into it.", status=CaseStatus.waiting_on_customer)
        note = [Upload("firmware.pdf", sample_files.pdf())]
        await self.reply(agent, case, "Firmware is two versions old.", note, internal=True)
        return case
