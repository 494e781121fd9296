"""The site's security headers as one list, for responses the middleware never sees.

SecurityMiddleware, accounts.middleware.SiteCSPMiddleware and SecurityHeadersMiddleware set
these on every page that passes through them. Some responses do not: static files (WhiteNoise
answers them before those middlewares run, see config/static_headers.py), error pages Django
renders outside the middleware that failed (config/urls.py's handlers), and the 400 that
accounts.middleware.RefuseBadEncodingMiddleware answers before any other middleware.
"""

from csp.utils import build_policy
from django.conf import settings


def content_security_policy(path=""):
    """The public policy, or the admin's looser one under CONTENT_SECURITY_POLICY_ADMIN_PREFIX
    (as accounts.middleware.SiteCSPMiddleware chooses)."""
    admin_prefix = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN_PREFIX", None)
    if admin_prefix and path.startswith(admin_prefix):
        return build_policy(config=dict(settings.CONTENT_SECURITY_POLICY_ADMIN))
    return build_policy()


def security_headers(path=""):
    """The headers a response for ``path`` carries, as a dict (read from the settings)."""
    headers = {"Content-Security-Policy": content_security_policy(path)}
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    if settings.SECURE_REFERRER_POLICY:
        headers["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    if getattr(settings, "SECURE_CROSS_ORIGIN_RESOURCE_POLICY", ""):
        headers["Cross-Origin-Resource-Policy"] = settings.SECURE_CROSS_ORIGIN_RESOURCE_POLICY
    if getattr(settings, "PERMISSIONS_POLICY", ""):
        headers["Permissions-Policy"] = settings.PERMISSIONS_POLICY
    if settings.X_FRAME_OPTIONS:
        headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    return headers


def add_security_headers(headers, request=None):
    """Add the site's security headers to ``headers`` (a response, or WhiteNoise's headers),
    keeping any the response already has (a document's own deny-all policy, for one)."""
    path = getattr(request, "path_info", "") or ""
    for name, value in security_headers(path).items():
        if name not in headers:
            headers[name] = value
    return headers
