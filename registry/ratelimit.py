"""A per-address limit on posts to the register, kept in the cache.

The first REGISTRY_RATE_LIMIT posts from one address within REGISTRY_RATE_WINDOW seconds go
through; the next is answered with a "too many attempts" page (status 429) until the window
that began with the first post has passed. With several server processes the cache must be
shared between them (Redis or the database cache) for the limit to hold across processes.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def client_address(request):
    """REMOTE_ADDR, or the header named by REGISTRY_CLIENT_IP_HEADER behind a trusted proxy."""
    header = getattr(settings, "REGISTRY_CLIENT_IP_HEADER", "")
    if header:
        value = request.META.get(header, "")
        if value:
            # X-Forwarded-For: the proxy appends the address it saw last.
            return value.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def count_attempt(key, limit, window):
    """Count one attempt under ``key``; True once more than ``limit`` were made within the
    ``window`` seconds that began with the first. Shared by the register and password resets."""
    if cache.add(key, 1, timeout=window):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        count = 1
    return count > limit


def hashed(value):
    """What the cache keys carry instead of an address: never the address itself."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def too_many_attempts(request):
    """Count this post against its address; True if the address is over the limit."""
    return count_attempt(
        f"registry:posts:{hashed(client_address(request))}",
        settings.REGISTRY_RATE_LIMIT,
        settings.REGISTRY_RATE_WINDOW,
    )
