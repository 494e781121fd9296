"""Response headers WhiteNoise adds to static files (WHITENOISE_ADD_HEADERS_FUNCTION).

WhiteNoise answers static files before the middlewares that set the security headers run, so
this adds them here (once per file, when WhiteNoise first finds it)."""

ONE_YEAR = 365 * 24 * 60 * 60


def static_file_headers(headers, path, url):
    """Files whose names carry a content hash never change: browsers and CDNs may keep them for
    a year without asking again. (WhiteNoise's own default is ten years; a year is the usual
    ceiling, and what caches honour everywhere.) Every file gets the site's security headers."""
    # Imported here: this module is imported by the settings, before apps can be.
    from accounts.headers import add_security_headers

    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = f"max-age={ONE_YEAR}, public, immutable"
    add_security_headers(headers)
