"""Where attachment bytes live: an interface, and the local-folder implementation the portal ships.

An S3-compatible store implements the same five methods; nothing else in the portal touches the files.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Protocol


class AttachmentStore(Protocol):
    """Where attachment bytes live. Keys come from `new_key()`, never from a filename."""

    async def write(self, key: str, data: bytes) -> None: ...

    async def read(self, key: str) -> bytes:
        """The bytes; FileNotFoundError when the key holds nothing."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the bytes; no error when they are already gone."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def keys_older_than(self, age: timedelta) -> list[str]:
        """Every stored key written more than `age` ago (for `sweep_orphans`)."""
        ...


def new_key() -> str:
    """`ab/cd/abcd…`: random, and spread over subfolders so that no folder holds millions of files."""
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name[2:4]}/{name}"


_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}$")


class LocalAttachmentStore:
    """Files in a folder on this machine (settings.attachments_dir); readable by the portal's user and group."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):  # a key is never user input, but a wrong one must not reach outside the root
            raise ValueError(f"not an attachment key: {key!r}")
        return self.root / key

    async def write(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(partial, path)  # readers never see half a file

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def keys_older_than(self, age: timedelta) -> list[str]:
        return await asyncio.to_thread(self._keys_older_than, age)

    def _keys_older_than(self, age: timedelta) -> list[str]:
        cutoff = time.time() - age.total_seconds()
        if not self.root.is_dir():
            return []
        keys = []
        for path in self.root.glob("*/*/*"):
            key = path.relative_to(self.root).as_posix()
            if _KEY.match(key) and path.stat().st_mtime < cutoff:
                keys.append(key)
        return keys


__all__ = ["AttachmentStore", "LocalAttachmentStore", "new_key"]
