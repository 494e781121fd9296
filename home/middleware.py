"""When the database connection fails in the middle of a request.

A dropped connection (the database restarting, a failover, a network cut) would otherwise give
the generic 500 page and leave the broken connection in place for the thread's next request.
Instead the connection is dropped, so the next request opens a new one, and the visitor gets a
503 that says nothing was saved and to try again (with Retry-After). The page is a plain
template that needs no database (templates/503.html).
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_lost_connection(exception):
            return None  # a real bug, not a lost connection: the usual 500
        logger.error("Database connection lost during %s %s", request.method, request.path)
        connection.close()
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "60"
        response["Cache-Control"] = "private, no-store"
        return response


def is_lost_connection(exception):
    """Whether a database error means the connection (or the database) is unavailable, as
    opposed to a bug in a query. SQLite's connection never reports itself unusable, so a
    closed one is recognised by its message. A driver's own error can escape unwrapped when
    closing a cursor on a dead connection, so those count too."""
    if not isinstance(exception, (DatabaseError, connection.Database.Error)):
        return False
    if isinstance(exception, (InterfaceError, OperationalError)):
        return True
    return not connection.is_usable() or "closed" in str(exception).lower()
