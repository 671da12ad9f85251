"""Where sessions and rate-limit counters live: Redis when configured (shared by every node), else files."""

from __future__ import annotations

from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore

from portal.settings import Settings

STORE_NAMES = ("sessions", "rate_limit")


def build_stores(settings: Settings) -> dict[str, Store]:
    if settings.redis.url:
        root = RedisStore.with_client(url=settings.redis.url, namespace="portal")
        return {name: root.with_namespace(name) for name in STORE_NAMES}
    return {name: FileStore(settings.data_dir / "stores" / name, create_directories=True) for name in STORE_NAMES}


async def delete_expired(stores: dict[str, Store]) -> None:
    """Files and memory keep expired entries until asked; Redis expires them itself."""
    for store in stores.values():
        if isinstance(store, FileStore):
            await store.delete_expired()
