"""The visitor's address, the same for sign-in lockouts (AXES_CLIENT_IP_CALLABLE), rate limits
and logs.

Behind TRUSTED_PROXY_COUNT reverse proxies (a load balancer, a CDN), each proxy appends the
address it received the request from to X-Forwarded-For, and the nearest one connects to us:
the visitor is the TRUSTED_PROXY_COUNT-th address from the right. Anything further left was
written by the visitor, or by a proxy we do not know, and could be anything, so it is never
trusted. With TRUSTED_PROXY_COUNT at 0 (the default) X-Forwarded-For is ignored altogether and
the address is the connection's (REMOTE_ADDR).
"""

from django.conf import settings
from ipware import get_client_ip


def client_address(request):
    """The visitor's IP address as a string, or None if the request carries none."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        # django-ipware counts the proxies *inside* the header (its proxy_count: the entries to
        # the right of the client's): every proxy but the nearest, whose address is REMOTE_ADDR.
        # A header with fewer entries than that did not come through every proxy: not trusted.
        address, _ = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if address:
            return address
    return request.META.get("REMOTE_ADDR") or None


class ClientAddressFilter:
    """A logging filter: a log line about a request (Django's own carry it, as
    ``record.request``) ends with the visitor's address as read above, not the proxy's."""

    def filter(self, record):
        request = getattr(record, "request", None)
        address = None
        if request is not None and hasattr(request, "META"):
            try:
                address = client_address(request)
            except Exception:  # noqa: BLE001 - a log line must never fail over this
                address = None
        record.client = f" [client {address}]" if address else ""
        return True
