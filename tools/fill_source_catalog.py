"""Fill the English catalog from the source strings, so that English is a complete catalog like any other.

Usage: python tools/fill_source_catalog.py portal/locale/en/LC_MESSAGES/messages.po
"""

import sys

from babel.messages.pofile import read_po, write_po

path = sys.argv[1]
with open(path, "rb") as handle:
    catalog = read_po(handle)
for message in catalog:
    if isinstance(message.id, tuple | list) and not all(message.string):
        message.string = tuple(message.id)
    elif message.id and not message.string:
        message.string = message.id
    message.flags.discard("fuzzy")
with open(path, "wb") as handle:
    write_po(handle, catalog, sort_output=True, omit_header=False, width=110)
