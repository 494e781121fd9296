"""Counting attempts per key in fixed windows, shared by every process and server.

A window begins with the first attempt under a key and lasts ``window`` seconds; attempts past
``limit`` within it are refused until it ends. Used by the register (posts per address) and
by password resets (requests per address, emails per recipient).
"""

import datetime
import hashlib

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from ratelimit.models import AttemptCount


def _count_in_window(key, now, window_ends_at):
    """One attempt more under ``key``, or the first of a new window if the last one has
    ended. A single UPDATE: two processes counting at once both count. True if a row was
    there."""
    live = Q(window_ends_at__gt=now)
    return AttemptCount.objects.filter(key=key).update(
        count=Case(When(live, then=F("count") + 1), default=Value(1)),
        window_ends_at=Case(When(live, then=F("window_ends_at")), default=Value(window_ends_at)),
    )


def count_attempt(key, limit, window):
    """Count one attempt under ``key``; True once more than ``limit`` were made within the
    ``window`` seconds that began with the first."""
    now = timezone.now()
    window_ends_at = now + datetime.timedelta(seconds=window)
    with transaction.atomic():
        if not _count_in_window(key, now, window_ends_at):
            try:
                with transaction.atomic():
                    AttemptCount.objects.create(key=key, count=1, window_ends_at=window_ends_at)
            except IntegrityError:  # another process created it first: count in that row
                _count_in_window(key, now, window_ends_at)
        # Read inside the transaction that updated the row: its lock keeps others waiting, so
        # this is the count our own attempt made.
        count = AttemptCount.objects.filter(key=key).values_list("count", flat=True).get()
    return count > limit


def hashed(value):
    """What the keys carry instead of an address or email: never the value itself."""
    return hashlib.sha256((value or "unknown").encode()).hexdigest()[:32]


def purge_ended_windows(now=None):
    """Delete the counters whose window has ended (they would restart at 1 anyway)."""
    deleted, _ = AttemptCount.objects.filter(window_ends_at__lte=now or timezone.now()).delete()
    return deleted
