"""Snippets of matching text for search results, escaped, with the query's words in <mark>.

Built from the text the search backend indexed, so a phrase found inside a PDF is shown in
context. Everything is escaped before the <mark> tags are added.
"""

import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

SNIPPET_BEFORE = 90
SNIPPET_LENGTH = 260
MIN_TERM_LENGTH = 2


def query_terms(query):
    """The words worth highlighting: letters and digits, at least two characters, no repeats."""
    seen, terms = set(), []
    for word in re.findall(r"\w+", query.lower()):
        if len(word) >= MIN_TERM_LENGTH and word not in seen:
            seen.add(word)
            terms.append(word)
    return terms[:12]


def terms_pattern(terms):
    """Matches any of the terms at the start of a word, so "train" marks "training" too."""
    if not terms:
        return None
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)


def highlight(text, terms):
    """Escape the text and wrap each word that starts with a query term in <mark>."""
    pattern = terms_pattern(terms)
    text = text or ""
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped


def _window(text, start):
    """A slice of about SNIPPET_LENGTH characters starting shortly before `start`, cut at spaces."""
    begin = max(0, start - SNIPPET_BEFORE)
    if begin > 0:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < start else begin
    end = begin + SNIPPET_LENGTH
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > start else end
    prefix = "… " if begin > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix, text[begin:end].strip().lstrip("-–—,.;:!? "), suffix


def best_start(text, terms, max_matches=500):
    """Where the most different query words appear close together, or None if none appear."""
    pattern = terms_pattern(terms)
    if pattern is None or not text:
        return None
    matches = []
    for number, match in enumerate(pattern.finditer(text)):
        if number >= max_matches:
            break
        matches.append((match.start(), _term_of(match.group(0), terms)))
    best, best_score = None, 0
    reach = SNIPPET_LENGTH - SNIPPET_BEFORE
    for index, (position, _term) in enumerate(matches):
        nearby = {term for pos, term in matches[index:] if pos - position < reach}
        if len(nearby) > best_score:
            best, best_score = position, len(nearby)
    return best


def _term_of(word, terms):
    word = word.lower()
    return next((t for t in sorted(terms, key=len, reverse=True) if word.startswith(t)), word)


def make_snippet(body, terms, fallback=""):
    """About two lines of the indexed text around the first match, highlighted.

    When no query word appears literally (the search engine matched a word form such as
    "trains" for "training"), the start of the text, or the fallback, is shown instead.
    """
    text = " ".join((body or "").split())
    start = best_start(text, terms)
    if start is None:
        text = " ".join((fallback or "").split()) or text
        if not text:
            return ""
        start = 0
    prefix, middle, suffix = _window(text, start)
    return mark_safe(f"{prefix}{highlight(middle, terms)}{suffix}")  # noqa: S308 - escaped
