"""Response headers WhiteNoise adds to static files (WHITENOISE_ADD_HEADERS_FUNCTION)."""

ONE_YEAR = 365 * 24 * 60 * 60


def one_year_for_hashed_files(headers, path, url):
    """Files whose names carry a content hash never change: browsers and CDNs may keep them for
    a year without asking again. (WhiteNoise's own default is ten years; a year is the usual
    ceiling, and what caches honour everywhere.)"""
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = f"max-age={ONE_YEAR}, public, immutable"
