"""The register's public form: the fixed core questions, then the questions editors added.

Error messages follow the GOV.UK style: say what to do ("Enter your GMC number"), not what
went wrong. Browser validation is off (the template sets `novalidate`), so every message
comes from here and is shown both in the summary at the top and next to its field.
"""

import datetime as dt
import decimal
import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from wagtail.contrib.forms.forms import FormBuilder

from registry.choices import (
    CONSENT_CONTACT_LABEL,
    CONSENT_PRIVACY_LABEL,
    CONSENT_SHARE_LABEL,
    DEFAULT_EXPERIENCE_HINT,
    DEFAULT_EXPERIENCE_LABEL,
    DEFAULT_EXPERIENCE_REQUIRED,
    DEFAULT_INTENTION_HINT,
    DEFAULT_INTENTION_LABEL,
    DEFAULT_INTENTION_REQUIRED,
    DEFAULT_PARTNER_PURPOSE,
    EXPERIENCE_CHOICES,
    INTENTION_CHOICES,
    REGION_CHOICES,
    ROLE_CHOICES,
    ROLE_OTHER,
    consent_share_hint,
    consent_share_label,
)

EXTRA_PREFIX = "extra_"
HONEYPOT_FIELD = "website"

# Characters removed from every answer: control characters (newlines and tabs survive in
# multi-line answers) and the invisible bidirectional overrides that can disguise text.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def tidy_text(value, multiline=False):
    """NFC-normalise and drop control and bidi-override characters; trim the ends."""
    if not isinstance(value, str):
        return value
    # Null characters are kept so that the form's own validator rejects them with a message.
    keep = {"\n", "\t", "\x00"} if multiline else {"\x00"}
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = "".join(
        ch
        for ch in value
        if ch in keep or (unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS)
    )
    return cleaned.strip()


def too_long(label, limit):
    return f"{label} must be {limit:,} characters or fewer"


class TidyCharField(forms.CharField):
    """A CharField whose value is tidied (see tidy_text) before length checks run."""

    def __init__(self, *args, multiline=False, **kwargs):
        self.multiline = multiline
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return tidy_text(value, self.multiline)


class NormalisedEmailField(forms.EmailField):
    """An email address, stripped and lower-cased before its length and format are checked, so
    that what is checked is exactly what is stored. (Lower-casing can lengthen an address: 'İ'
    becomes two characters.) Too long an address gets only the length message."""

    def to_python(self, value):
        return super().to_python(value).lower()

    def run_validators(self, value):
        if value not in self.empty_values and self.max_length and len(value) > self.max_length:
            raise ValidationError(self.error_messages["max_length"], code="max_length")
        super().run_validators(value)


class StrictCheckbox(forms.CheckboxInput):
    """A tick box that counts as ticked only when the exact value it renders comes back.

    Django's own tick box treats any value but 'false' as ticked, so a posted '0', 'off' or
    'no' would count as agreement. A consent must be given by ticking the box; the same goes
    for the one-tick-box questions editors add."""

    TICKED = "on"  # what browsers send for a ticked box; rendered explicitly below

    def format_value(self, value):
        return self.TICKED

    def value_from_datadict(self, data, files, name):
        return data.get(name) == self.TICKED


GMC_VALIDATOR = RegexValidator(
    r"^[0-9]{7}\Z", message="Enter your GMC number as 7 digits, like 1234567", flags=re.ASCII
)


class GMCNumberField(TidyCharField):
    """A GMC number as people type it: spaces, tabs and other blank characters anywhere in
    it ("1234 567", " 1234567 ") are dropped before it is checked, so it is stored as its 7
    digits."""

    def to_python(self, value):
        value = super().to_python(value)
        return "".join(value.split()) if isinstance(value, str) else value


class RegisterForm(forms.Form):
    """The core questions every register asks, in the order they are shown."""

    use_required_attribute = False

    full_name = TidyCharField(
        label="Full name",
        help_text="As it appears on the GMC register.",
        max_length=200,
        error_messages={
            "required": "Enter your full name",
            "max_length": too_long("Full name", 200),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    email = NormalisedEmailField(
        label="Email address",
        help_text=("We send your confirmation here, with a link to update or withdraw your entry."),
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": too_long("Email address", 254),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    gmc_number = GMCNumberField(
        label="GMC number",
        help_text="Your 7-digit General Medical Council reference number, like 1234567.",
        max_length=20,
        validators=[GMC_VALIDATOR],
        error_messages={
            "required": "Enter your GMC number",
            "max_length": "Enter your GMC number as 7 digits, like 1234567",
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    role = forms.ChoiceField(
        label="Current role",
        help_text="Choose the one that fits best.",
        choices=ROLE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select your current role",
            "invalid_choice": "Select your current role from the list",
        },
    )
    role_other = TidyCharField(
        label="If other, your role",
        help_text="Only needed if you chose 'Other', for example 'Consultant cardiologist'.",
        max_length=200,
        required=False,
        error_messages={"max_length": too_long("Your role", 200)},
    )
    hospital = TidyCharField(
        label="Hospital or NHS trust",
        help_text="Where you mainly work now.",
        max_length=200,
        error_messages={
            "required": "Enter your hospital or NHS trust",
            "max_length": too_long("Hospital or NHS trust", 200),
        },
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    region = forms.ChoiceField(
        label="Region",
        help_text="The NHS England region, or the nation, where you work.",
        choices=[("", "Choose your region")] + REGION_CHOICES,
        error_messages={
            "required": "Select your region",
            "invalid_choice": "Select your region from the list",
        },
    )
    # The experience and training questions are worded by each register (see apply_wording);
    # these are the defaults. Experience answers are stored as the words chosen.
    experience = forms.ChoiceField(
        label=DEFAULT_EXPERIENCE_LABEL,
        help_text=DEFAULT_EXPERIENCE_HINT,
        choices=[(label, label) for _, label in EXPERIENCE_CHOICES],
        widget=forms.RadioSelect,
        error_messages={
            "required": DEFAULT_EXPERIENCE_REQUIRED,
            "invalid_choice": "Select your experience from the list",
        },
    )
    experience_details = TidyCharField(
        label="More about your experience (optional)",
        help_text="For example, how many procedures, or courses you have attended.",
        max_length=2000,
        required=False,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": too_long("More about your experience", 2000)},
    )
    training_intention = forms.ChoiceField(
        label=DEFAULT_INTENTION_LABEL,
        help_text=DEFAULT_INTENTION_HINT,
        choices=INTENTION_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": DEFAULT_INTENTION_REQUIRED,
            "invalid_choice": "Select when you intend to seek training from the list",
        },
    )
    comments = TidyCharField(
        label="Comments (optional)",
        help_text="Anything else you would like the focus group to know.",
        max_length=2000,
        required=False,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": too_long("Comments", 2000)},
    )
    consent_privacy = forms.BooleanField(
        widget=StrictCheckbox,
        label=CONSENT_PRIVACY_LABEL,
        help_text="Required to join the register.",
        error_messages={"required": "Agree to the privacy notice to join the register"},
    )
    consent_contact = forms.BooleanField(
        widget=StrictCheckbox,
        label=CONSENT_CONTACT_LABEL,
        help_text="Optional. The focus group emails you when a course or fellowship opens.",
        required=False,
    )
    consent_share = forms.BooleanField(
        widget=StrictCheckbox,
        label=CONSENT_SHARE_LABEL,
        help_text=consent_share_hint(DEFAULT_PARTNER_PURPOSE),
        required=False,
    )
    # The honeypot: hidden from people by CSS, filled in by bots that fill in everything.
    website = forms.CharField(
        label="Leave this field empty",
        help_text="This field is a trap for automated spam; people never see it.",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    CORE_FIELDS = [
        "full_name",
        "email",
        "gmc_number",
        "role",
        "role_other",
        "hospital",
        "region",
        "experience",
        "experience_details",
        "training_intention",
        "comments",
    ]
    CONSENT_FIELDS = ["consent_privacy", "consent_contact", "consent_share"]

    def __init__(self, *args, page=None, user=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        self.page = page
        self.user = user
        super().__init__(*args, **kwargs)
        if page is not None:
            self.apply_wording(page)

    def apply_wording(self, page):
        """Word the experience, training and sharing questions as this register does. Error
        messages keep today's words for the default wording and name the question otherwise."""
        experience = self.fields["experience"]
        experience.label = page.experience_label
        experience.help_text = page.experience_hint
        experience.choices = [(answer, answer) for answer in page.experience_answers()]
        if page.experience_label != DEFAULT_EXPERIENCE_LABEL:
            experience.error_messages["required"] = f"Answer the question '{page.experience_label}'"
        intention = self.fields["training_intention"]
        intention.label = page.intention_label
        intention.help_text = page.intention_hint
        if page.intention_label != DEFAULT_INTENTION_LABEL:
            intention.error_messages["required"] = f"Answer the question '{page.intention_label}'"
        if page.ask_to_share:
            share = self.fields["consent_share"]
            share.label = consent_share_label(page.partner_name)
            share.help_text = consent_share_hint(page.partner_purpose)
        else:
            del self.fields["consent_share"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == ROLE_OTHER and not cleaned.get("role_other"):
            self.add_error("role_other", "Enter your role, as you chose 'Other'")
        if cleaned.get("role") and cleaned.get("role") != ROLE_OTHER:
            cleaned["role_other"] = ""
        return cleaned

    # --- what the template needs -------------------------------------------------------
    @property
    def is_bot(self):
        return bool(self.data.get(HONEYPOT_FIELD))

    def core_fields(self):
        return [self[name] for name in self.CORE_FIELDS if name in self.fields]

    def extra_fields(self):
        return [self[name] for name in self.fields if name.startswith(EXTRA_PREFIX)]

    def consent_fields(self):
        return [self[name] for name in self.CONSENT_FIELDS if name in self.fields]

    def fields_in_order(self):
        return self.core_fields() + self.extra_fields() + self.consent_fields()

    def error_list(self):
        """[(anchor id, message)] in the order the fields appear on the page."""
        items = []
        for bound in self.fields_in_order():
            for message in bound.errors:
                items.append((field_anchor(bound), message))
        for message in self.non_field_errors():
            items.append(("", message))
        return items

    def extra_answers(self):
        """The editors' questions' answers, JSON-ready, keyed by each question's clean name."""
        return {
            name[len(EXTRA_PREFIX) :]: to_json_value(value)
            for name, value in self.cleaned_data.items()
            if name.startswith(EXTRA_PREFIX)
        }


class UpdateForm(RegisterForm):
    """What a registrant can change through their signed link: everything but the email."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["email"]
        del self.fields[HONEYPOT_FIELD]

    @property
    def is_bot(self):
        return False


def field_anchor(bound):
    """The id the error summary links to: the input itself, or a group's first option."""
    widget = bound.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        subwidgets = bound.subwidgets
        if subwidgets:
            return subwidgets[0].id_for_label
    return bound.id_for_label


def to_json_value(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if value is None:
        return ""
    return value


class ExtraQuestionsBuilder(FormBuilder):
    """Wagtail's form builder, with a length limit on every text answer and tidy text."""

    def create_singleline_field(self, field, options):
        return TidyCharField(max_length=255, **options)

    def create_multiline_field(self, field, options):
        options.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        return TidyCharField(max_length=2000, multiline=True, **options)

    def create_email_field(self, field, options):
        return forms.EmailField(max_length=254, **options)

    def create_checkbox_field(self, field, options):
        return forms.BooleanField(widget=StrictCheckbox, **options)

    def create_url_field(self, field, options):
        return forms.URLField(max_length=2000, assume_scheme="https", **options)

    def create_number_field(self, field, options):
        return forms.DecimalField(max_digits=15, decimal_places=4, **options)

    def create_dropdown_field(self, field, options):
        options["choices"] = [("", "Choose one")] + self.get_formatted_field_choices(field)
        return forms.ChoiceField(**options)

    def get_field_options(self, field):
        options = super().get_field_options(field)
        label = field.label
        options["error_messages"] = {
            "required": f"Answer the question '{label}'",
            "invalid_choice": f"Choose an answer to '{label}' from the list",
            "max_length": f"Your answer to '{label}' is too long",
        }
        if field.field_type == "checkbox" and field.required:
            options["error_messages"]["required"] = f"Tick the box '{label}' to continue"
        return options

    @property
    def formfields(self):
        return {f"{EXTRA_PREFIX}{name}": value for name, value in super().formfields.items()}


def build_register_form_class(form_fields, update=False):
    base = UpdateForm if update else RegisterForm
    extras = ExtraQuestionsBuilder(list(form_fields)).formfields
    return type("InterestRegisterForm", (base,), dict(extras))
