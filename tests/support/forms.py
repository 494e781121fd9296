"""Answering a page's form over HTTP as a careful person would, for tests that drive a real
server (gunicorn, Varnish) with `requests` rather than Django's test client."""

import re

from bs4 import BeautifulSoup


def find_post_form(html):
    """The page's POST form that carries a CSRF token (a BeautifulSoup tag), or None."""
    soup = BeautifulSoup(html, "html.parser")
    for form in soup.find_all("form"):
        if (form.get("method") or "").lower() == "post" and form.find(
            "input", attrs={"name": "csrfmiddlewaretoken"}
        ):
            return form
    return None


def hidden_from_people(field):
    """A honeypot: out of the tab order, or inside something hidden from people."""
    if field.get("tabindex") == "-1":
        return True
    for element in (field, *field.parents):
        classes = " ".join(element.get("class") or []) if element.name else ""
        if element.name and (
            element.has_attr("hidden")
            or element.get("aria-hidden") == "true"
            or "honeypot" in classes.lower()
        ):
            return True
    return False


def text_answer(name, kind, serial):
    name = name.lower()
    if kind == "email" or "email" in name:
        return f"visitor-{serial}@example.org"
    if "gmc" in name:
        return str(1_000_000 + serial % 9_000_000)
    if kind == "number":
        return "1"
    if kind == "date":
        return "2026-01-15"
    if kind == "url":
        return "https://example.org/"
    if kind == "tel" or "phone" in name:
        return "01234 567890"
    if "name" in name:
        return f"Test Visitor {serial}"
    if "hospital" in name or "trust" in name:
        return "Test General Hospital"
    return "A considered answer"


def fill_form(form, serial):
    """(name, value) pairs answering every question of ``form``: hidden inputs keep their
    values (the CSRF token), every tick box is ticked (the consents), the first real choice
    is picked in radio groups and drop-downs, text gets a plausible answer unique per
    ``serial`` where it must be (email, GMC number); honeypots are left empty."""
    data, radios = [], set()
    for field in form.find_all(["input", "select", "textarea"]):
        name, kind = field.get("name"), (field.get("type") or "text").lower()
        if not name or kind in {"submit", "button", "reset", "image", "file"}:
            continue
        if kind == "hidden":
            data.append((name, field.get("value", "")))
        elif hidden_from_people(field):
            continue
        elif field.name == "select":
            choices = [o.get("value") for o in field.find_all("option") if o.get("value")]
            if choices:
                data.append((name, choices[0]))
        elif field.name == "textarea":
            data.append((name, field.get_text() or "A considered answer"))
        elif kind == "checkbox":
            data.append((name, field.get("value") or "on"))
        elif kind == "radio":
            if name not in radios:
                radios.add(name)
                data.append((name, field.get("value", "")))
        else:
            data.append((name, text_answer(name, kind, serial)))
    return data


REJECTED = re.compile(r'error-summary|aria-invalid="true"|class="[^"]*error-message', re.I)


def looks_rejected(html):
    """A form page shown again with validation errors."""
    return bool(REJECTED.search(html))
