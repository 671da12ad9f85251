"""Email domains: which ones are free-mail providers, and which account a company address likely belongs to.

The one list of free-mail domains: an address at one of them says nothing about the person's employer, so it
is never matched against `Account.domain`.
"""

from __future__ import annotations

from portal.db.tables import Account

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.gr",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "tutanota.com",
        "zoho.com",
        "mail.com",
        "yandex.com",
        "mail.ru",
        "web.de",
        "freemail.gr",
        "in.gr",
        "otenet.gr",
        "windowslive.com",
    }
)

# Providers with a domain per country (gmx.de, gmx.net, yahoo.co.uk, hotmail.fr...): any domain that starts
# with one of these labels followed by a dot.
FREE_MAIL_FAMILIES = ("gmx", "yahoo", "hotmail", "outlook", "live")


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def is_free_mail(domain: str) -> bool:
    domain = domain.strip().lower()
    return domain in FREE_MAIL_DOMAINS or ("." in domain and domain.split(".", 1)[0] in FREE_MAIL_FAMILIES)


async def likely_account_id(email: str) -> int | None:
    """The account whose domain matches this address, for staff to confirm; never for free-mail addresses."""
    domain = domain_of(email)
    if not domain or is_free_mail(domain):
        return None
    row = await Account.select(Account.id).where(Account.domain == domain).order_by(Account.id).first()
    return row["id"] if row else None
