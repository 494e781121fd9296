from django import forms

from registry.choices import INTENTION_CHOICES, REGION_CHOICES, ROLE_CHOICES
from registry.models import InterestRegisterPage


def with_any(choices, label):
    return [("", label), *choices]


class AlertForm(forms.Form):
    """Who the alert goes to (every filter optional) and its subject line."""

    register = forms.ModelChoiceField(
        queryset=InterestRegisterPage.objects.order_by("title"),
        required=False,
        empty_label="Every register",
        help_text="Send only to people on this register.",
    )
    region = forms.ChoiceField(
        choices=with_any(REGION_CHOICES, "Every region"),
        required=False,
        help_text="Send only to people in this region.",
    )
    role = forms.ChoiceField(
        choices=with_any(ROLE_CHOICES, "Every role"),
        required=False,
        help_text="Send only to people in this role.",
    )
    training_intention = forms.ChoiceField(
        label="Training plans",
        choices=with_any(INTENTION_CHOICES, "Any plans"),
        required=False,
        help_text="Send only to people with these training plans.",
    )
    subject = forms.CharField(
        max_length=200,
        help_text="The email's subject line. Say what the opportunity is in a few words.",
    )

    def describe(self):
        """The filters in words, for the log: 'Register: X; Region: London'."""
        parts = []
        for name in ("register", "region", "role", "training_intention"):
            value = self.cleaned_data.get(name)
            if value:
                field = self.fields[name]
                shown = value.title if name == "register" else dict(field.choices).get(value, value)
                parts.append(f"{field.label or name.capitalize()}: {shown}")
        return "; ".join(parts) or "Everyone who agreed to be contacted"
