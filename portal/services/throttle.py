"""Counting attempts per key (an IP address, an email address) in a sliding window, over a Litestar store.

The store is the app's `rate_limit` store: files on one machine, Redis when several share the load. Keys are
hashed, so the store never holds an email address.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

from litestar.stores.base import Store


@dataclass(frozen=True)
class Limit:
    """At most `count` attempts per `seconds`, counted under `bucket` (e.g. "sign-in-account")."""

    bucket: str
    count: int
    seconds: int


class Throttle:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _key(self, limit: Limit, key: str) -> str:
        digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
        return f"throttle-{limit.bucket}-{digest}"

    async def _recent(self, name: str, limit: Limit, now: float) -> list[float]:
        raw = await self.store.get(name)
        attempts: list[float] = json.loads(raw) if raw else []
        return [moment for moment in attempts if moment > now - limit.seconds]

    async def hit(self, limit: Limit, key: str) -> bool:
        """Count one attempt; False when it is over the limit (and should be refused).

        A sliding window: the attempts of the last `limit.seconds`, so no boundary lets a burst of twice the limit
        through. Refused attempts count too, so hammering keeps the door shut.
        """
        name = self._key(limit, key)
        now = time.time()
        attempts = [*await self._recent(name, limit, now), now][-(limit.count + 1) :]
        await self.store.set(name, json.dumps(attempts), expires_in=limit.seconds)
        return len(attempts) <= limit.count

    async def used(self, limit: Limit, key: str) -> int:
        return len(await self._recent(self._key(limit, key), limit, time.time()))
