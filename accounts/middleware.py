"""Response headers for every page: the Content-Security-Policy and the few headers Django's own
SecurityMiddleware does not set (Permissions-Policy, Cross-Origin-Resource-Policy). And the
refusal of form posts Django cannot read (RefuseBadEncodingMiddleware)."""

import logging

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings

from accounts.errors import bad_request

logger = logging.getLogger(__name__)

PER_RESPONSE_OVERRIDES = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with a second policy for the Wagtail admin.

    Public pages get CONTENT_SECURITY_POLICY: no inline script or style at all. The Wagtail
    admin is not compatible with a strict policy (its editor, choosers and preview panel write
    inline styles and scripts), so paths under CONTENT_SECURITY_POLICY_ADMIN_PREFIX get
    CONTENT_SECURITY_POLICY_ADMIN instead: sources still limited to this site, inline code
    allowed. Only signed-in editors use those pages.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        # Public pages all share one policy with no nonce: build its header once, not per
        # response (it is the largest cost of serving a page from the page cache).
        self.public_header = build_policy()
        self.has_report_only = bool(getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None))
        self.admin_prefix = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN_PREFIX", None) or None

    def process_response(self, request, response):
        if (
            self.public_header
            and not self.has_report_only
            and not self.is_admin(request)
            and getattr(request, "_csp_nonce", None) is None
            and not any(hasattr(response, name) for name in PER_RESPONSE_OVERRIDES)
            and not (settings.DEBUG and response.status_code in (404, 500))
        ):
            if HEADER not in response:
                response[HEADER] = self.public_header
            # As django-csp does: a nonce asked for after the header is written is an error.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
            return response
        return super().process_response(request, response)

    def is_admin(self, request):
        """An admin page, or a page preview: Wagtail renders previews through a stand-in request
        for the page's public address, and shows them in a frame inside the admin, so they need
        the admin's policy (framing by this site allowed), not the public 'frame-ancestors none'.
        """
        if getattr(request, "is_preview", False):
            return True
        return bool(self.admin_prefix) and request.path_info.startswith(self.admin_prefix)

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and self.is_admin(request):
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


FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseBadEncodingMiddleware:
    """A form post declaring a charset other than UTF-8 gets the site's 400 page at once.

    Django refuses to read such a post (request.POST raises BadRequest for a url-encoded one;
    a multipart one would be decoded in the declared charset, so answers in UTF-16 or Latin-1
    would be saved garbled). Whatever reads request.POST first (the CSRF check) would fail, and
    Django's own 400 and 500 pages read it again and fail in turn: the visitor got the server's
    bare 500 page and the log a long traceback per request. Here: one short log line and the
    site's 400 page, with the security headers (nothing after this middleware runs).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            charset = request.content_params.get("charset")
            if charset is not None and charset.strip().lower() != "utf-8":
                logger.warning(
                    "Refused a form post to %s in charset %r: 400",
                    request.path[:200],
                    charset[:40],
                    extra={"request": request},
                )
                return bad_request(request)
        return self.get_response(request)
