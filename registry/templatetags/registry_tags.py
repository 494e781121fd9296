"""Template helpers for the register: GOV.UK-style form fields and the public picture."""

from django import forms, template

from registry.forms import field_anchor

register = template.Library()


def field_kind(bound):
    widget = bound.field.widget
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    return "input"


@register.inclusion_tag("registry/includes/field.html")
def form_field(bound, extra_class=""):
    """One question: label (or legend), hint, error and control, tied together for
    screen readers with aria-describedby."""
    kind = field_kind(bound)
    base_id = bound.auto_id or bound.html_name
    hint_id = f"{base_id}-hint"
    error_id = f"{base_id}-error"
    described = [hint_id] if bound.help_text else []
    if bound.errors:
        described.append(error_id)
    context = {
        "field": bound,
        "kind": kind,
        "hint_id": hint_id,
        "error_id": error_id,
        "described_by": " ".join(described),
        "anchor": field_anchor(bound),
        "extra_class": extra_class,
    }
    if kind in ("input", "checkbox"):
        attrs = {}
        if described:
            attrs["aria-describedby"] = " ".join(described)
        widget = bound.field.widget
        if kind == "input":
            css = "textarea" if isinstance(widget, forms.Textarea) else "input"
            if isinstance(widget, forms.Select):
                css = "select"
            attrs["class"] = f"{css}{' is-invalid' if bound.errors else ''}"
        context["control"] = bound.as_widget(attrs=attrs)
    return context


@register.inclusion_tag("registry/includes/picture.html")
def register_picture(picture, prefix="register", heading_level=2):
    """The accessible table and server-drawn SVG bar chart of the register's counts."""
    return {"picture": picture, "prefix": prefix, "heading_level": heading_level}


@register.inclusion_tag("registry/includes/picture.html")
def focus_group_register_picture(focus_group_page, prefix="focus-group"):
    """The picture across every live register under a focus group: one query; nothing is
    shown until someone has registered."""
    from pagecache import tags
    from registry.models import InterestRegisterPage, RegisterEntry
    from registry.stats import picture_for_entries

    def compute():
        registers = (
            InterestRegisterPage.objects.live()
            .descendant_of(focus_group_page)
            .filter(show_public_picture=True)
            .values("pk")
        )
        return picture_for_entries(RegisterEntry.objects.filter(page__in=registers))

    # Kept in the cache until any register's entries or pages change (registry/signals.py), so
    # a render usually costs no query for it and never shows stale counts.
    picture = tags.remember(
        f"registry:picture:group:{focus_group_page.pk}", ["registers"], compute, timeout=600
    )
    if not picture["total"]:
        return {"picture": None}
    return {"picture": picture, "prefix": prefix, "heading_level": 2}
