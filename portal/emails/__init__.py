"""Email templates: `NAME.txt` (first line `Subject: ...`) and `NAME.html`, rendered in the recipient's language."""
