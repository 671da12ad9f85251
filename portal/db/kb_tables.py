"""The knowledge base's tables: articles in two languages with their versions, files and feedback, and the
record of case deflection (which articles a customer was shown while writing a case, and what came of it).

Kept beside `tables.py` rather than in it so each stays a readable size; both are the one place tables live.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.db.tables import Case, User


class ArticleStatus(StrEnum):
    draft = "draft"  # staff only, never indexed
    published = "published"
    archived = "archived"  # kept with its history, gone from the site and the index


class ArticleAudience(StrEnum):
    public = "public"  # anyone, signed in or not
    customers = "customers"  # signed-in customers (and staff)
    internal = "internal"  # staff only


class DeflectionOutcome(StrEnum):
    pending = "pending"  # the customer is still writing, or left without a word
    deflected = "deflected"  # "this answered my question": no case was opened
    case_opened = "case_opened"  # the articles shown did not help


class KbCategory(Table, tablename="kb_category"):
    """A knowledge-base category; categories form a tree through `parent`."""

    id: Serial
    slug = Varchar(length=60, unique=True)
    parent: ForeignKey[KbCategory] = ForeignKey(references="self", null=True, on_delete=OnDelete.restrict)
    name_en = Varchar(length=200)
    name_el = Varchar(length=200)
    description_en = Text(default="")
    description_el = Text(default="")
    position = Integer(default=0)  # order among siblings


class Article(Table, tablename="kb_article"):
    """One article in one language. Translations share the `slug`; `key` is "<slug>:<language>", the
    importer's upsert key and the article's id in the search index."""

    id: Serial
    key = Varchar(length=130, unique=True)
    slug = Varchar(length=120, index=True)
    language = Varchar(length=2)
    title = Varchar(length=200)
    summary = Varchar(length=500, default="")
    body = Text(default="")  # Markdown as the author wrote it
    body_html = Text(default="")  # rendered and sanitised on every save, so pages never render Markdown
    category = ForeignKey(references=KbCategory, null=True, on_delete=OnDelete.restrict, index=True)
    tags = JSON(default=[])
    products = JSON(default=[])  # product codes
    audience = Varchar(length=10, choices=ArticleAudience, default=ArticleAudience.public)
    status = Varchar(length=10, choices=ArticleStatus, default=ArticleStatus.draft, index=True)
    version = Integer(default=1)  # the number of the newest ArticleVersion
    author = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    views = Integer(default=0)
    helpful_yes = Integer(default=0)
    helpful_no = Integer(default=0)


class ArticleVersion(Table, tablename="kb_article_version"):
    """A saved state of an article, append-only; restoring one saves it again as the newest.
    `key` is "<article_id>:<number>"."""

    id: Serial
    article = ForeignKey(references=Article, null=False, on_delete=OnDelete.cascade, index=True)
    number = Integer()
    key = Varchar(length=40, unique=True)
    title = Varchar(length=200)
    summary = Varchar(length=500, default="")
    body = Text(default="")
    category = ForeignKey(references=KbCategory, null=True, on_delete=OnDelete.set_null)
    tags = JSON(default=[])
    products = JSON(default=[])
    audience = Varchar(length=10, choices=ArticleAudience, default=ArticleAudience.public)
    author = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    note = Varchar(length=200, default="")  # "imported", "restored version 3", ...
    created_at = Timestamptz(default=TimestamptzNow())


class ArticleFile(Table, tablename="kb_file"):
    """An image or attachment of an article, stored like case attachments (outside the web root)."""

    id: Serial
    article = ForeignKey(references=Article, null=False, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=100, unique=True)
    uploaded_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class ArticleFeedback(Table, tablename="kb_feedback"):
    """An answer to "was this helpful?", with an optional comment."""

    id: Serial
    article = ForeignKey(references=Article, null=False, on_delete=OnDelete.cascade, index=True)
    helpful = Boolean()
    comment = Text(default="")
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class Deflection(Table, tablename="kb_deflection"):
    """One new-case form as a customer filled it in: `token` travels in the form, the articles shown are in
    DeflectionShown, and `outcome` says whether a case was opened after all."""

    id: Serial
    token = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    outcome = Varchar(length=20, choices=DeflectionOutcome, default=DeflectionOutcome.pending, index=True)
    case = ForeignKey(references=Case, null=True, on_delete=OnDelete.set_null)
    article = ForeignKey(references=Article, null=True, on_delete=OnDelete.set_null)  # the one that answered
    started_at = Timestamptz(default=TimestamptzNow(), index=True)
    ended_at = Timestamptz(null=True, default=None)


class DeflectionShown(Table, tablename="kb_deflection_shown"):
    """An article suggested beside the new-case form (an impression), and whether it was opened (a click).
    `key` is "<deflection_id>:<article_id>": shown again as the customer types, it is counted once."""

    id: Serial
    deflection = ForeignKey(references=Deflection, null=False, on_delete=OnDelete.cascade, index=True)
    article = ForeignKey(references=Article, null=False, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=40, unique=True)
    position = Integer(default=0)
    clicked = Boolean(default=False)
    shown_at = Timestamptz(default=TimestamptzNow())
