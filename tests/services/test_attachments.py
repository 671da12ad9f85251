"""Attachments: what is accepted (by its bytes, never its name), limits, safe names, storage and sweeping."""

from __future__ import annotations

import itertools
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from portal.db import engine as db_engine
from portal.db.tables import Attachment, Case, Role
from portal.services import attachments
from portal.services.attachments import AttachmentRejected, LocalAttachmentStore, Upload, check_uploads
from portal.settings import CaseSettings
from tests import sample_files
from tests.factories import make_user

LIMITS = CaseSettings(max_attachment_mb=1, max_attachments=3)
_numbers = itertools.count(1)


def checked(filename: str, data: bytes) -> attachments.CheckedFile:
    return check_uploads([Upload(filename, data)], LIMITS)[0]


def refusal(*uploads: Upload, limits: CaseSettings = LIMITS) -> str:
    with pytest.raises(AttachmentRejected) as refused:
        check_uploads(uploads, limits)
    return refused.value.message


# --- Types come from the bytes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "content_type"),
    [
        ("screenshot.png", sample_files.png(), "image/png"),
        ("screenshot.pdf", sample_files.png(), "image/png"),  # the name does not decide
        ("invoice.pdf", sample_files.pdf(), "application/pdf"),
        (
            "offer.docx",
            sample_files.docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("logs.zip", sample_files.plain_zip(), "application/zip"),
        ("notes.txt", "Γειά σας, ο εκτυπωτής δεν τυπώνει.\n".encode(), "text/plain"),
        ("orders.csv", "κωδικός;ποσό\r\n1;10,50\r\n".encode("cp1253"), "text/plain"),  # Excel's Greek CSV
        ("setup.exe.txt", b"just some text\n", "text/plain"),
        ("old.doc", sample_files.ole(), "application/msword"),
        ("mail.msg", sample_files.ole(), "application/vnd.ms-outlook"),
    ],
)
def test_accepted_files_get_the_type_their_bytes_show(filename: str, data: bytes, content_type: str) -> None:
    file = checked(filename, data)
    assert (file.filename, file.content_type, file.size) == (filename, content_type, len(data))


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("invoice.pdf", sample_files.exe()),  # a program in disguise
        ("photo.png", sample_files.html()),  # a web page in disguise
        ("logo.png", sample_files.svg()),  # SVG can carry scripts
        ("page.txt", b"  <html><body>hello</body></html>"),
        ("setup.msi", sample_files.ole()),  # installers share the legacy Office container
        ("data.bin", sample_files.ole()),
        ("run.bat", b"echo hello\r\n"),  # text, but it runs when double-clicked
        ("invoice.pdf.exe", sample_files.pdf()),
        ("macro.docm", sample_files.docx()),
        ("program", b"\x7fELF\x02\x01\x01\x00" + bytes(200)),
    ],
)
def test_programs_markup_and_unknown_binaries_are_refused(filename: str, data: bytes) -> None:
    assert refusal(Upload(filename, data)) == f"We can't accept files of this type ({filename})."


def test_only_png_jpeg_gif_and_webp_are_shown_inline() -> None:
    assert all(attachments.is_inline_image(kind) for kind in ["image/png", "image/jpeg", "image/gif", "image/webp"])
    assert not any(attachments.is_inline_image(kind) for kind in ["image/svg+xml", "application/pdf", "text/plain"])


# --- Limits -------------------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_by_name() -> None:
    big = Upload("report.pdf", sample_files.pdf() + bytes(1024 * 1024))
    assert refusal(big) == "report.pdf is larger than 1 MB."
    exactly = Upload("fits.pdf", sample_files.pdf().ljust(1024 * 1024, b" "))
    assert check_uploads([exactly], LIMITS)[0].size == 1024 * 1024


def test_too_many_files_are_refused_before_any_is_looked_at() -> None:
    four = [Upload(f"shot{n}.png", sample_files.png()) for n in range(4)]
    assert refusal(*four) == "Attach at most 3 files."
    assert len(check_uploads(four[:3], LIMITS)) == 3


def test_an_empty_file_is_refused() -> None:
    assert refusal(Upload("empty.txt", b"")) == "empty.txt is empty."


def test_one_bad_file_refuses_the_whole_set() -> None:
    assert refusal(Upload("ok.png", sample_files.png()), Upload("bad.pdf", sample_files.exe())).endswith("(bad.pdf).")


def test_checked_files_carry_a_sha256_of_their_bytes() -> None:
    assert checked("a.txt", b"abc\n").sha256 == "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb"


# --- Names --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\maria\\Desktop\\report.txt", "report.txt"),
        ("/home/x/../notes.txt", "notes.txt"),
        ("bad\x00name\r\n.txt", "badname.txt"),
        ("right\u202eto-left.txt", "rightto-left.txt"),  # the override that disguises extensions
        ("..", "file"),
        ("", "file"),
        ("  spaced out.txt  ", "spaced out.txt"),
        ("Αναφορά βλάβης.txt", "Αναφορά βλάβης.txt"),
    ],
)
def test_names_lose_their_path_and_control_characters(given: str, kept: str) -> None:
    assert checked(given, b"text\n").filename == kept


def test_long_names_are_cut_but_keep_their_extension() -> None:
    name = checked("x" * 300 + ".txt", b"text\n").filename
    assert len(name) == attachments.FILENAME_MAX
    assert name.endswith("x.txt")


# --- Storing, moving, sweeping ------------------------------------------------------------------------------------


async def make_case() -> int:
    requester = await make_user(Role.contact)
    number = next(_numbers)
    case = Case(number=f"C-2026-{number:06d}", subject="Printer", description="It jams.", requester=requester.id)
    await case.save()
    return int(case.id)


async def test_attach_stores_the_bytes_under_a_random_key_outside_the_name(
    migrated_database: str, tmp_path: Path
) -> None:
    store = LocalAttachmentStore(tmp_path / "attachments")
    case_id = await make_case()
    files = check_uploads([Upload("../../etc/passwd.txt", b"root\n"), Upload("shot.png", sample_files.png())], LIMITS)

    ids = await attachments.attach(store, files, case_id=case_id, message_id=None, uploaded_by=None)

    rows = await Attachment.select().where(Attachment.id.is_in(ids)).order_by(Attachment.id)
    assert [(row["filename"], row["content_type"], row["size"]) for row in rows] == [
        ("passwd.txt", "text/plain", 5),
        ("shot.png", "image/png", len(sample_files.png())),
    ]
    for row, file in zip(rows, files, strict=True):
        assert "passwd" not in row["storage_key"]
        assert await store.read(row["storage_key"]) == file.data
        path = tmp_path / "attachments" / row["storage_key"]
        assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0  # nothing for other users of the machine
    assert [info.filename for info in await attachments.of_case(case_id, with_internal=False)] == [
        "passwd.txt",
        "shot.png",
    ]


async def test_files_of_a_rolled_back_transaction_are_swept_later(migrated_database: str, tmp_path: Path) -> None:
    store = LocalAttachmentStore(tmp_path)
    case_id = await make_case()
    kept = await attachments.attach(
        store, [checked("kept.txt", b"kept\n")], case_id=case_id, message_id=None, uploaded_by=None
    )

    async def a_reply_that_fails_after_attaching() -> None:
        engine = db_engine.current()
        assert engine is not None
        async with db_engine.write_transaction(engine):
            files = [checked("lost.txt", b"lost\n")]
            await attachments.attach(store, files, case_id=case_id, message_id=None, uploaded_by=None)
            raise RuntimeError("the message could not be saved")

    with pytest.raises(RuntimeError):
        await a_reply_that_fails_after_attaching()
    assert await Attachment.count() == 1
    assert len(await store.keys_older_than(timedelta(0))) == 2

    assert await attachments.sweep_orphans(store, older_than=timedelta(hours=1)) == 0  # too young: maybe in flight
    assert await attachments.sweep_orphans(store, older_than=timedelta(0)) == 1

    (kept_row,) = await Attachment.select().where(Attachment.id == kept[0])
    assert await store.keys_older_than(timedelta(0)) == [kept_row["storage_key"]]


async def test_moving_to_another_case_takes_every_attachment(migrated_database: str, tmp_path: Path) -> None:
    store = LocalAttachmentStore(tmp_path)
    duplicate, target = await make_case(), await make_case()
    await attachments.attach(store, [checked("a.txt", b"a\n")], case_id=duplicate, message_id=None, uploaded_by=None)

    await attachments.move_to_case(duplicate, target)

    assert [info.filename for info in await attachments.of_case(target, with_internal=True)] == ["a.txt"]
    assert await attachments.of_case(duplicate, with_internal=True) == []


async def test_the_local_store_refuses_keys_that_are_not_its_own(tmp_path: Path) -> None:
    store = LocalAttachmentStore(tmp_path)
    with pytest.raises(ValueError, match="not an attachment key"):
        await store.read("../../etc/passwd")
    key = attachments.new_key()
    assert not await store.exists(key)
    await store.write(key, b"x")
    assert await store.exists(key)
    await store.delete(key)
    await store.delete(key)  # already gone: no error
    assert not os.listdir(tmp_path / key.rsplit("/", 1)[0])


def test_the_request_body_limit_leaves_room_for_every_file_at_full_size() -> None:
    assert attachments.request_body_limit(CaseSettings(max_attachment_mb=10, max_attachments=5)) > 50 * 1024 * 1024
