"""django-axes' database handler, with a second lockout per address across usernames.

Axes locks a (username, address) pair out after AXES_FAILURE_LIMIT failures. One address
guessing a few passwords for each of many usernames was never locked (152 guesses over 38
usernames). So an address with ACCOUNTS_ADDRESS_FAILURE_LIMIT failures within the cool-off
time, whatever the usernames, is locked out for every username too, right password or not.

Why not axes' own AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]: axes
applies one failure limit to every parameter set (a callable AXES_FAILURE_LIMIT is given the
request and credentials, not the set), so the address would be locked after 5 failures over
all its users: a hospital's shared connection after five mistyped passwords. And a successful
sign-in would then clear every failure from the address, so one attacker's own account would
reset the count. Here the pair stays axes' only lockout parameter (a success clears only the
pair) and the address's failures are summed from the same AccessAttempt rows.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class SiteAxesHandler(AxesDatabaseHandler):
    def address_failures(self, request):
        address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
        if not address:
            return 0
        attempts = AccessAttempt.objects.filter(ip_address=address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def get_failures(self, request, credentials=None):
        """The pair's failures; or, once the address alone has reached its own limit, the
        pair's limit itself (which locks every username out from that address)."""
        failures = super().get_failures(request, credentials)
        pair_limit = get_failure_limit(request, credentials)
        address_limit = getattr(settings, "ACCOUNTS_ADDRESS_FAILURE_LIMIT", 0)
        if (
            failures < pair_limit
            and address_limit
            and self.address_failures(request) >= address_limit
        ):
            return pair_limit
        return failures


def address_is_locked_out(request):
    """Whether the address alone has reached ACCOUNTS_ADDRESS_FAILURE_LIMIT (every username is
    then refused from it), as opposed to only this username from this address."""
    limit = getattr(settings, "ACCOUNTS_ADDRESS_FAILURE_LIMIT", 0)
    return bool(limit) and SiteAxesHandler().address_failures(request) >= limit
