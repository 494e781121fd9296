"""Signed, expiring links that let a registrant update or withdraw their entry without an
account. The link carries the entry's random public id, signed with SECRET_KEY and a time
stamp; it stops working after REGISTRY_LINK_MAX_AGE_DAYS, or as soon as the entry is gone."""

import base64
import binascii
import datetime as dt

from django.conf import settings
from django.core import signing

SALT = "registry.manage-entry"


class LinkExpired(Exception):
    """The link was genuine but is older than REGISTRY_LINK_MAX_AGE_DAYS."""


class LinkInvalid(Exception):
    """The link was altered, truncated or never issued by this site."""


def max_age():
    return dt.timedelta(days=settings.REGISTRY_LINK_MAX_AGE_DAYS)


def make_token(entry):
    """The signed value, base64url-encoded so that it is one plain URL path segment."""
    signed = signing.TimestampSigner(salt=SALT).sign(entry.public_id.hex)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def read_token(token):
    """The public id inside a token, or LinkExpired / LinkInvalid."""
    try:
        padded = token + "=" * (-len(token) % 4)
        signed = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise LinkInvalid from error
    try:
        return signing.TimestampSigner(salt=SALT).unsign(signed, max_age=max_age())
    except signing.SignatureExpired as error:
        raise LinkExpired from error
    except signing.BadSignature as error:
        raise LinkInvalid from error
