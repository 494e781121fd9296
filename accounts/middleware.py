"""Response headers for every page: the Content-Security-Policy and the few headers Django's own
SecurityMiddleware does not set (Permissions-Policy, Cross-Origin-Resource-Policy)."""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with a second policy for the Wagtail admin.

    Public pages get CONTENT_SECURITY_POLICY: no inline script or style at all. The Wagtail
    admin is not compatible with a strict policy (its editor, choosers and preview panel write
    inline styles and scripts), so paths under CONTENT_SECURITY_POLICY_ADMIN_PREFIX get
    CONTENT_SECURITY_POLICY_ADMIN instead: sources still limited to this site, inline code
    allowed. Only signed-in editors use those pages.
    """

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        prefix = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN_PREFIX", None)
        if (
            not report_only
            and parts.config is None
            and prefix
            and request.path_info.startswith(prefix)
        ):
            parts.config = dict(settings.CONTENT_SECURITY_POLICY_ADMIN)
        return parts


class SecurityHeadersMiddleware:
    """Deny powerful browser features and keep other sites from embedding our responses."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = getattr(settings, "PERMISSIONS_POLICY", "")
        self.resource_policy = getattr(settings, "SECURE_CROSS_ORIGIN_RESOURCE_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        if self.resource_policy:
            response.headers.setdefault("Cross-Origin-Resource-Policy", self.resource_policy)
        return response
