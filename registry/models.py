"""The interest register: the form page editors place under a focus group, its entries and
the log of every export of personal data.

What the register counts and exports (name, GMC number, role, region, intention, consents...)
lives in real columns on RegisterEntry. Questions editors add with the form builder are
answered into RegisterEntry.extra_answers, keyed by the question's stable clean name.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    PageChooserPanel,
    TabbedInterface,
)
from wagtail.contrib.forms.models import AbstractForm, AbstractFormField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.search import index

from focusgroups.previews import DevicePreviewSizes
from registry.choices import (
    DEFAULT_EXPERIENCE_ANSWERS,
    DEFAULT_EXPERIENCE_HINT,
    DEFAULT_EXPERIENCE_LABEL,
    DEFAULT_INTENTION_HINT,
    DEFAULT_INTENTION_LABEL,
    DEFAULT_PARTNER_NAME,
    DEFAULT_PARTNER_PURPOSE,
    DEFAULT_SECTION_HEADING,
    INTENTION_CHOICES,
    REGION_CHOICES,
    ROLE_CHOICES,
)

RICH_TEXT_FEATURES = ["bold", "italic", "link", "document-link", "ol", "ul"]

# The question types editors can add. Hidden fields, date-times and multiple-select boxes
# are left out: every extra question must be visible and easy to answer on a phone.
EXTRA_FIELD_CHOICES = [
    ("singleline", "Single line text"),
    ("multiline", "Several lines of text"),
    ("email", "Email address"),
    ("number", "Number"),
    ("url", "Web address"),
    ("checkbox", "One tick box (yes or no)"),
    ("checkboxes", "Tick boxes (choose any)"),
    ("radio", "Radio buttons (choose one)"),
    ("dropdown", "Drop-down list (choose one)"),
    ("date", "Date"),
]


def split_addresses(value):
    """'a@x.org, b@y.org' or one address per line -> ['a@x.org', 'b@y.org']."""
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def split_answers(value):
    """The experience question's answers, one per line, blank lines and spaces dropped."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def validate_addresses(value):
    for address in split_addresses(value):
        try:
            validate_email(address)
        except ValidationError as error:
            raise ValidationError(f"'{address}' is not a valid email address.") from error


class InterestRegisterPage(DevicePreviewSizes, RoutablePageMixin, AbstractForm):
    """A register where clinicians record their interest and their plans to seek training."""

    template = "registry/interest_register_page.html"
    parent_page_types = ["focusgroups.FocusGroupPage"]
    subpage_types = []

    introduction = RichTextField(
        features=RICH_TEXT_FEATURES,
        help_text=(
            "Shown above the form: who should register, what the register is for and what "
            "happens to the answers."
        ),
    )
    thank_you_text = RichTextField(
        features=RICH_TEXT_FEATURES,
        help_text=(
            "Shown after someone sends the form, above two sentences the page always adds: "
            "that an email is on its way, and that an address already on the register keeps "
            "the answers it had and is emailed a link to change them. The same page is shown "
            "to everyone, so do not say here that the answers were saved."
        ),
    )
    privacy_notice_text = RichTextField(
        blank=True,
        features=RICH_TEXT_FEATURES,
        help_text=(
            "The privacy notice shown on the form, next to the consent tick boxes. Leave empty "
            "if you link to a privacy notice page below instead (one of the two is needed)."
        ),
    )
    privacy_notice_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A page holding the full privacy notice, linked from the form. Optional.",
    )
    privacy_notice_version = models.CharField(
        max_length=40,
        default="1",
        help_text=(
            "A short label for the current privacy notice, such as '1' or 'November 2026'. "
            "Change it whenever you change the notice: each entry records the version the "
            "person agreed to."
        ),
    )
    opens_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Optional. The register accepts entries from this moment (UK time).",
    )
    closes_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Optional. The register stops accepting entries at this moment (UK time).",
    )
    closed_text = models.TextField(
        blank=True,
        max_length=600,
        help_text=(
            "Optional. Shown instead of the form while the register is closed. If empty, the "
            "page says the register is closed and gives the opening date if there is one."
        ),
    )
    show_public_picture = models.BooleanField(
        default=True,
        help_text=(
            "Show how many people have registered, by region and by training intention, on "
            "this page and on the focus group page. Counts under 5 are never shown exactly."
        ),
    )

    # The wording of the questions every register asks, so that each register speaks about
    # its own focus group. The defaults are the stroke thrombectomy register's words.
    section_heading = models.CharField(
        "experience and training heading",
        max_length=120,
        default=DEFAULT_SECTION_HEADING,
        help_text=(
            "The heading above the experience and training questions on the form, e.g. "
            "'TAVI experience and training'."
        ),
    )
    experience_label = models.CharField(
        "experience question",
        max_length=200,
        default=DEFAULT_EXPERIENCE_LABEL,
        help_text=(
            "The question about people's experience, as they read it, e.g. 'Experience "
            "relevant to TAVI'."
        ),
    )
    experience_hint = models.CharField(
        "experience hint",
        max_length=255,
        default=DEFAULT_EXPERIENCE_HINT,
        help_text="A short hint shown under the experience question.",
    )
    experience_choices = models.TextField(
        "experience answers",
        max_length=2000,
        default=DEFAULT_EXPERIENCE_ANSWERS,
        help_text=(
            "The answers people choose from, one per line, from least to most experience. "
            "Each entry keeps the answer exactly as it was worded when the person chose it, "
            "so rewording an answer later does not change earlier entries."
        ),
    )
    intention_label = models.CharField(
        "training question",
        max_length=200,
        default=DEFAULT_INTENTION_LABEL,
        help_text=(
            "The question about when people intend to seek training, e.g. 'When do you "
            "intend to seek TAVI training?'. The answers are always the same three (within "
            "12 months, later, undecided), so that registers can be compared."
        ),
    )
    intention_hint = models.CharField(
        "training hint",
        max_length=255,
        default=DEFAULT_INTENTION_HINT,
        help_text="A short hint shown under the training question.",
    )
    ask_to_share = models.BooleanField(
        "ask to share with a partner programme",
        default=True,
        help_text=(
            "Tick to offer people an optional tick box agreeing to their details being passed "
            "to the partner programme named below. Untick if this register shares with nobody."
        ),
    )
    partner_name = models.CharField(
        "partner programme",
        max_length=120,
        default=DEFAULT_PARTNER_NAME,
        blank=True,
        help_text=(
            "The programme's name as it reads after 'Share my details with the', e.g. "
            "'NHS England thrombectomy programme'."
        ),
    )
    partner_purpose = models.CharField(
        "what the partner programme does",
        max_length=200,
        default=DEFAULT_PARTNER_PURPOSE,
        blank=True,
        help_text=(
            "Finishes the sentence 'Your name, hospital, region and training plans are "
            "passed to the programme that …', e.g. 'plans the national thrombectomy "
            "workforce'."
        ),
    )
    confirmation_intro = models.TextField(
        "confirmation email opening",
        max_length=600,
        blank=True,
        help_text=(
            "The first paragraph of the email people get after registering. Leave empty for "
            "'Thank you for joining the (register's title) of the British Cardiovascular "
            "Interventional Society.'"
        ),
    )

    content_panels = AbstractForm.content_panels + [
        FieldPanel("introduction"),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [
                FieldPanel("privacy_notice_text"),
                PageChooserPanel("privacy_notice_page"),
                FieldPanel("privacy_notice_version"),
            ],
            heading="Privacy notice",
        ),
        FieldPanel("show_public_picture"),
    ]
    question_panels = [
        InlinePanel(
            "form_fields",
            label="Question",
            heading="Further questions",
            help_text=(
                "The form always asks the core questions (name, email, GMC number, role, "
                "hospital, region, experience, training intention, comments and consent). "
                "Add any further questions here; answers appear in the admin and in exports."
            ),
        ),
    ]
    wording_panels = [
        MultiFieldPanel(
            [
                FieldPanel("section_heading"),
                FieldPanel("experience_label"),
                FieldPanel("experience_hint"),
                FieldPanel("experience_choices"),
            ],
            heading="Experience question",
        ),
        MultiFieldPanel(
            [FieldPanel("intention_label"), FieldPanel("intention_hint")],
            heading="Training question",
        ),
        MultiFieldPanel(
            [
                FieldPanel("ask_to_share"),
                FieldPanel("partner_name"),
                FieldPanel("partner_purpose"),
            ],
            heading="Sharing with a partner programme",
        ),
        FieldPanel("confirmation_intro"),
    ]
    settings_tab_panels = [
        HelpPanel(
            content=(
                "<p>Who is emailed about new entries is set by the register managers, under "
                "Interest register → Notifications, not on this page.</p>"
            ),
            heading="Notifications",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("closed_text"),
            ],
            heading="Opening and closing",
        ),
    ]

    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Content"),
            ObjectList(wording_panels, heading="Core questions"),
            ObjectList(question_panels, heading="Further questions"),
            ObjectList(settings_tab_panels, heading="Dates"),
            ObjectList(AbstractForm.promote_panels, heading="Promote"),
            ObjectList(AbstractForm.settings_panels, heading="Settings"),
        ]
    )

    search_fields = AbstractForm.search_fields + [index.SearchField("introduction")]

    preview_modes = [("form", "Form"), ("thank_you", "Thank-you page"), ("closed", "Closed")]

    class Meta:
        verbose_name = "interest register page"

    def clean(self):
        super().clean()
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": "The closing time must be after the opening time."})
        if not self.privacy_notice_text and not self.privacy_notice_page_id:
            raise ValidationError(
                {"privacy_notice_text": "Write a privacy notice here or choose a page holding it."}
            )
        answers = split_answers(self.experience_choices)
        if len(answers) < 2:
            raise ValidationError(
                {"experience_choices": "Give at least two answers, one per line."}
            )
        if len(set(answers)) < len(answers):
            raise ValidationError({"experience_choices": "Give each answer only once."})
        if any(len(answer) > 255 for answer in answers):
            raise ValidationError(
                {"experience_choices": "Keep each answer to 255 characters or fewer."}
            )
        if self.ask_to_share and not (self.partner_name.strip() and self.partner_purpose.strip()):
            raise ValidationError(
                {
                    "partner_name": "Name the partner programme and say what it does, or "
                    "untick 'ask to share with a partner programme'."
                }
            )

    # --- state -------------------------------------------------------------------------
    def is_open(self, now=None):
        now = now or timezone.now()
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)

    def not_yet_open(self, now=None):
        return bool(self.opens_at and (now or timezone.now()) < self.opens_at)

    def get_staff_addresses(self):
        """The staff addresses told about each new entry: set by register managers (see
        RegisterNotificationSettings), never by page editors."""
        addresses = (
            RegisterNotificationSettings.objects.filter(page_id=self.pk)
            .values_list("staff_notification_addresses", flat=True)
            .first()
        )
        return split_addresses(addresses or "")

    def consent_version(self):
        from registry.choices import CONSENT_WORDING_VERSION

        version = f"{CONSENT_WORDING_VERSION}; privacy notice {self.privacy_notice_version}"
        if self.ask_to_share and self.partner_name != DEFAULT_PARTNER_NAME:
            version += f"; sharing with {self.partner_name}"
        return version[:100]

    def experience_answers(self):
        return split_answers(self.experience_choices)

    def share_label(self):
        from registry.choices import consent_share_label

        return consent_share_label(self.partner_name) if self.ask_to_share else ""

    # --- the form ----------------------------------------------------------------------
    def get_form_class(self):
        from registry.forms import build_register_form_class

        return build_register_form_class(self.get_form_fields())

    def get_update_form_class(self):
        from registry.forms import build_register_form_class

        return build_register_form_class(self.get_form_fields(), update=True)

    def extra_questions(self):
        """(clean name, label) of the questions editors added, in their order."""
        return [
            (field.clean_name or field.get_field_clean_name(), field.label)
            for field in self.get_form_fields()
        ]

    # --- views -------------------------------------------------------------------------
    @path("")
    def form_view(self, request):
        from registry import views

        return views.register(self, request)

    @path("thank-you/")
    def thank_you_view(self, request):
        from registry import views

        return views.thank_you(self, request)

    @path("manage/<str:token>/")
    def manage_view(self, request, token):
        from registry import views

        return views.manage(self, request, token)

    @path("manage/<str:token>/withdraw/")
    def withdraw_view(self, request, token):
        from registry import views

        return views.withdraw(self, request, token)

    def serve_preview(self, request, mode_name):
        from registry import views

        return views.preview(self, request, mode_name)

    def get_picture(self):
        """The public counts for this register (one query), or None if hidden."""
        if not self.show_public_picture:
            return None
        from pagecache import tags
        from registry.stats import picture_for_entries

        tags.add(f"register:{self.pk}")

        return picture_for_entries(RegisterEntry.objects.filter(page=self))


class RegisterNotificationSettings(models.Model):
    """Who is told about new entries on one register.

    The notification carries each new entry's name, hospital, region, role and intention, so
    where it goes is register data: it is kept off the page, out of the page editor's reach,
    and changed only by people who may view the entries (registry/wagtail_hooks.py)."""

    page = models.OneToOneField(
        InterestRegisterPage,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name="register",
        help_text="The register these notification settings are for.",
    )
    staff_notification_addresses = models.TextField(
        blank=True,
        max_length=1000,
        validators=[validate_addresses],
        help_text=(
            "Email addresses told about each new entry, separated by commas or one per line. "
            "Each email gives the person's name, hospital, region, role and training "
            "intention, so list only people allowed to see register entries. Leave empty to "
            "send no notifications."
        ),
    )

    class Meta:
        verbose_name = "notification settings"
        verbose_name_plural = "notification settings"

    def __str__(self):
        return f"Notifications for {self.page.title}"


class RegisterFormField(AbstractFormField):
    """A further question an editor adds to one register page."""

    page = ParentalKey(InterestRegisterPage, on_delete=models.CASCADE, related_name="form_fields")
    label = models.CharField(
        verbose_name="question",
        max_length=255,
        help_text="The question as people read it, e.g. 'Does your hospital have a stroke unit?'",
    )
    required = models.BooleanField(
        verbose_name="answer required",
        default=True,
        help_text="Tick if people must answer this question before the form is accepted.",
    )
    choices = models.TextField(
        blank=True,
        max_length=2000,
        help_text=(
            "For tick boxes, radio buttons and drop-down lists only: the possible answers, "
            "one per line."
        ),
    )
    default_value = models.TextField(
        blank=True,
        max_length=2000,
        help_text="Optional. An answer filled in in advance, which people can change.",
    )
    field_type = models.CharField(
        verbose_name="question type",
        max_length=16,
        choices=EXTRA_FIELD_CHOICES,
        help_text="How people answer: text, a number, tick boxes, a choice from a list...",
    )
    field_type.required_on_save = True
    help_text = models.CharField(
        verbose_name="hint",
        max_length=255,
        help_text=(
            "A short hint shown under the question, such as what to include or an example. "
            "Every question needs one."
        ),
    )

    panels = [
        FieldPanel("label"),
        FieldPanel("help_text"),
        FieldPanel("required"),
        FieldPanel("field_type", classname="formbuilder-type", required_on_save=True),
        FieldPanel("choices", classname="formbuilder-choices"),
        FieldPanel("default_value", classname="formbuilder-default"),
    ]


class RegisterEntry(models.Model):
    """One person's entry on one register. Unique per register and (lower-cased) email."""

    # Entries hold no references Wagtail's editors need ("where is this page used?"), and the
    # index update would run as a task inside the registrant's transaction, where a failure
    # rolls the entry back without an error.
    wagtail_reference_index_ignore = True

    # PROTECT: deleting a register page must never delete people's entries with it; the admin
    # refuses first, with a message (registry/wagtail_hooks.py).
    page = models.ForeignKey(
        InterestRegisterPage,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name="register",
        help_text="The register this entry belongs to.",
    )
    public_id = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Identifies the entry in the registrant's signed update link.",
    )
    full_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, help_text="Stored in lower case.")
    gmc_number = models.CharField("GMC number", max_length=7)
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    role_other = models.CharField("role (if other)", max_length=200, blank=True)
    hospital = models.CharField("hospital or trust", max_length=200)
    region = models.CharField(max_length=30, choices=REGION_CHOICES)
    # The answer's words as the person chose them (each register words its own answers).
    experience = models.CharField(max_length=255)
    experience_details = models.TextField("experience details", max_length=2000, blank=True)
    training_intention = models.CharField(max_length=30, choices=INTENTION_CHOICES)
    comments = models.TextField(max_length=2000, blank=True)
    extra_answers = models.JSONField(
        default=dict, blank=True, help_text="Answers to the questions editors added."
    )

    consent_privacy_at = models.DateTimeField("agreed to the privacy notice at")
    consent_contact_at = models.DateTimeField(
        "agreed to contact about training at", null=True, blank=True
    )
    consent_share_at = models.DateTimeField(
        "agreed to sharing with the partner programme at", null=True, blank=True
    )
    consent_wording_version = models.CharField(
        "consent wording version",
        max_length=100,
        help_text="The version of the consent statements and privacy notice agreed to.",
    )

    created_at = models.DateTimeField("registered", default=timezone.now, db_index=True)
    updated_at = models.DateTimeField("last updated", default=timezone.now)
    confirmed_at = models.DateTimeField(
        "last confirmed",
        default=timezone.now,
        db_index=True,
        help_text="When the registrant last sent, updated or confirmed the entry.",
    )
    reconfirmation_sent_at = models.DateTimeField(
        "re-confirmation requested at", null=True, blank=True
    )
    email_problem = models.CharField(
        max_length=300,
        blank=True,
        help_text="Set when an email about this entry could not be sent.",
    )

    class Meta:
        verbose_name = "register entry"
        verbose_name_plural = "register entries"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["page", "email"], name="registry_one_entry_per_email")
        ]

    def __str__(self):
        return f"{self.full_name} ({self.hospital})"

    @property
    def role_display(self):
        if self.role == "other" and self.role_other:
            return f"Other: {self.role_other}"
        return self.get_role_display()

    def extra_answer_rows(self, questions=None):
        """[(label, answer text)] for the page's questions, then any answer to a removed one."""
        questions = questions if questions is not None else self.page.extra_questions()
        answers = dict(self.extra_answers or {})
        rows = []
        for key, label in questions:
            rows.append((label, format_answer(answers.pop(key, ""))))
        for key, value in answers.items():
            rows.append((f"{key} (question since removed)", format_answer(value)))
        return rows


def format_answer(value):
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


class ExportLog(models.Model):
    """A record of one download of register entries: who, when, which filter, how many rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The account that downloaded the file.",
    )
    username = models.CharField(
        max_length=150, help_text="The account's username, kept if the account is deleted."
    )
    exported_at = models.DateTimeField(default=timezone.now, db_index=True)
    export_format = models.CharField("format", max_length=10)
    filters = models.TextField(
        blank=True, help_text="The filters and search in force, as shown in the address bar."
    )
    row_count = models.PositiveIntegerField("rows")

    class Meta:
        verbose_name = "export log entry"
        verbose_name_plural = "export log"
        ordering = ["-exported_at", "-pk"]

    def __str__(self):
        return f"{self.username} exported {self.row_count} rows ({self.export_format})"
