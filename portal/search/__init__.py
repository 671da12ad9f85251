"""Knowledge-base search: Greek and English in one index, audience enforced inside every query.

The portal talks to `SearchBackend`; `WhooshBackend` (via `open_or_rebuild`) is the one on local disk.
"""

from portal.search.backend import SearchBackend
from portal.search.documents import Audience, Clearance, SearchDocument, SearchHit, SearchQuery, SearchResults
from portal.search.whoosh_backend import WhooshBackend, open_or_rebuild

__all__ = [
    "Audience",
    "Clearance",
    "SearchBackend",
    "SearchDocument",
    "SearchHit",
    "SearchQuery",
    "SearchResults",
    "WhooshBackend",
    "open_or_rebuild",
]
