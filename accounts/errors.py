"""The site's error pages (handler400, handler403, handler404, handler500 in config/urls.py).

Django renders these outside the middleware that failed: a 500 from an exception raised in a
middleware, or a 400 raised while reading a request, never passes through the middlewares that
add the security headers. So each page adds them itself (accounts/headers.py).

The 400 and 500 pages are standalone templates (no database, session or form) and these views,
unlike Django's defaults, do not read the request's form data for a CSRF token: when that data
is what could not be read, Django's own 400 and 500 views fail in turn (issue 11).
"""

import logging

from django.http import HttpResponseBadRequest, HttpResponseServerError
from django.template import loader
from django.views import defaults

from accounts.headers import add_security_headers

logger = logging.getLogger(__name__)


def render_standalone(template_name, response_class, request):
    response = response_class(loader.get_template(template_name).render())
    return add_security_headers(response, request)


def bad_request(request, exception=None):
    return render_standalone("400.html", HttpResponseBadRequest, request)


def permission_denied(request, exception=None):
    return add_security_headers(defaults.permission_denied(request, exception), request)


def page_not_found(request, exception=None):
    return add_security_headers(defaults.page_not_found(request, exception), request)


def server_error(request):
    return render_standalone("500.html", HttpResponseServerError, request)
