"""A per-address limit on posts to the register (the counting is the shared ratelimit app's).

The first REGISTRY_RATE_LIMIT posts from one address within REGISTRY_RATE_WINDOW seconds go
through; the next is answered with a "too many attempts" page (status 429) until the window
that began with the first post has passed. Counted in the database, so the limit holds across
every process and server.
"""

from django.conf import settings

from ratelimit.addresses import client_address
from ratelimit.limits import count_attempt, hashed


def too_many_attempts(request):
    """Count this post against its address; True if the address is over the limit."""
    return count_attempt(
        f"registry:posts:{hashed(client_address(request))}",
        settings.REGISTRY_RATE_LIMIT,
        settings.REGISTRY_RATE_WINDOW,
    )
