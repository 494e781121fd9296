"""iCalendar (RFC 5545) files for opportunity deadlines, so people can add them to a calendar."""

import datetime as dt

from django.utils import timezone
from django.utils.html import strip_tags


def _escape(text):
    """Escape a TEXT value: backslash, semicolon, comma and newlines (RFC 5545 3.3.11)."""
    text = strip_tags(str(text)).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line):
    """Fold a content line at 75 octets, continuation lines starting with a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    limit = 75
    for char in line:
        char_bytes = char.encode("utf-8")
        if len(current) + len(char_bytes) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
            limit = 74  # the leading space of a continuation line counts
        current += char_bytes
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _utc_stamp(value):
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def opportunity_ics(opportunity, page_url, request=None):
    """A one-event calendar at the deadline moment, in UTC so every calendar app agrees."""
    deadline = opportunity.deadline_at
    host = request.get_host().split(":")[0] if request else "bcis-focus-groups"
    description = f"{opportunity.summary}\n\nApplication deadline: {deadline:%d %B %Y, %H:%M %Z}."
    if opportunity.link:
        description += f"\nMore information and how to apply: {opportunity.link}"
    description += f"\nListed on: {page_url}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//British Cardiovascular Interventional Society//Focus groups//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:opportunity-{opportunity.pk}-deadline@{host}",
        f"DTSTAMP:{_utc_stamp(timezone.now())}",
        f"DTSTART:{_utc_stamp(deadline)}",
        f"DTEND:{_utc_stamp(deadline)}",
        f"SUMMARY:{_escape('Application deadline: ' + opportunity.title)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{opportunity.link or page_url}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_escape(opportunity.title + ' closes in one week')}",
        "TRIGGER:-P7D",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
