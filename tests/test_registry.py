"""The interest register: the form page, what happens on submit, the signed update link,
abuse limits, the staff area, retention and the public picture."""

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import GroupPagePermission, Page
from wagtail.test.utils import WagtailPageTestCase

from focusgroups.models import FocusGroupPage
from outbox.models import OutgoingEmail
from registry import tokens
from registry.forms import RegisterForm
from registry.models import (
    ExportLog,
    InterestRegisterPage,
    RegisterEntry,
    RegisterFormField,
    RegisterNotificationSettings,
)
from registry.spreadsheet import neutralise
from registry.stats import picture_for_entries
from tests.conftest import register_post_data

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def post(client, page, **overrides):
    return client.post(page.url, register_post_data(**overrides))


def make_entry(page, n=0, **fields):
    defaults = {
        "full_name": f"Person {n}",
        "email": f"person{n}@example.org",
        "gmc_number": f"{1000000 + n}",
        "role": "consultant",
        "hospital": f"Hospital {n}",
        "region": "london",
        "experience": "None yet",
        "training_intention": "within_12_months",
        "consent_privacy_at": NOW,
        "consent_wording_version": "test",
    }
    defaults.update(fields)
    return RegisterEntry.objects.create(page=page, **defaults)


def manage_path(page, entry):
    return f"{page.url}manage/{tokens.make_token(entry)}/"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with no posts counted against its address."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def register(make_register):
    return make_register()


@pytest.fixture
def send_on_commit(django_capture_on_commit_callbacks, run_worker):
    """Post, run on_commit callbacks as a real commit would, then let the worker send the
    queued emails."""

    def _post(client, page, **overrides):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = post(client, page, **overrides)
        run_worker()
        return response, callbacks

    return _post


# --- the page in the tree and in the editor --------------------------------------------


class TestRegisterPageRules(WagtailPageTestCase):
    def test_register_lives_under_a_focus_group_and_has_no_children(self):
        self.assertAllowedParentPageTypes(InterestRegisterPage, {FocusGroupPage})
        self.assertAllowedSubpageTypes(InterestRegisterPage, set())
        self.assertCanCreateAt(FocusGroupPage, InterestRegisterPage)


def test_every_editor_field_on_the_register_page_and_questions_has_help_text():
    from django.db import models as dj_models

    for model, own in (
        (InterestRegisterPage, InterestRegisterPage),
        (RegisterFormField, RegisterFormField),
        (RegisterNotificationSettings, RegisterNotificationSettings),
    ):
        fields = [
            f
            for f in model._meta.get_fields()
            if getattr(f, "model", None) is own
            and f.concrete
            and not f.auto_created
            and f.editable
            and not isinstance(f, dj_models.OneToOneField)
            and f.name not in {"page", "sort_order"}
        ]
        missing = [f.name for f in fields if not f.help_text]
        assert not missing, f"{model.__name__} fields without help text: {missing}"


def register_editor_data(register, **overrides):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

    data = {
        "title": register.title,
        "slug": register.slug,
        "introduction": rich_text("<p>Intro</p>"),
        "thank_you_text": rich_text("<p>Thanks</p>"),
        "privacy_notice_text": rich_text("<p>Notice</p>"),
        "privacy_notice_page": "",
        "privacy_notice_version": "2",
        "show_public_picture": "on",
        "opens_at": "",
        "closes_at": "",
        "closed_text": "",
        "section_heading": register.section_heading,
        "experience_label": register.experience_label,
        "experience_hint": register.experience_hint,
        "experience_choices": register.experience_choices,
        "intention_label": register.intention_label,
        "intention_hint": register.intention_hint,
        "ask_to_share": "on" if register.ask_to_share else "",
        "partner_name": register.partner_name,
        "partner_purpose": register.partner_purpose,
        "confirmation_intro": register.confirmation_intro,
        "form_fields": inline_formset(
            [
                {
                    "label": "Years since CCT",
                    "help_text": "Whole years.",
                    "required": "on",
                    "field_type": "number",
                    "choices": "",
                    "default_value": "",
                }
            ]
        ),
        "seo_title": "",
        "search_description": "",
    }
    data.update(overrides)
    return nested_form_data(data)


def test_editor_adds_a_further_question_in_the_admin(register, admin_client):
    data = register_editor_data(register, **{"action-publish": "action-publish"})
    response = admin_client.post(f"/admin/pages/{register.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    page = InterestRegisterPage.objects.get(pk=register.pk)
    assert "Years since CCT" in [f.label for f in page.form_fields.all()]
    assert page.privacy_notice_version == "2"


@pytest.mark.parametrize("mode", ["form", "thank_you", "closed"])
def test_editor_can_preview_each_view_of_the_register(register, admin_client, mode):
    case = WagtailPageTestCase()
    case.client = admin_client
    case.assertPageIsPreviewable(register, mode=mode, post_data=register_editor_data(register))


def test_register_needs_a_privacy_notice_and_a_sensible_window(register):
    from django.core.exceptions import ValidationError

    register.privacy_notice_text = ""
    register.privacy_notice_page = None
    with pytest.raises(ValidationError) as error:
        register.full_clean()
    assert "privacy_notice_text" in error.value.message_dict
    register.privacy_notice_text = "<p>Notice</p>"
    register.opens_at = NOW
    register.closes_at = NOW - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        register.full_clean()
    assert "closes_at" in error.value.message_dict


def test_staff_addresses_must_be_valid(register):
    from django.core.exceptions import ValidationError

    settings = register.notification_settings
    settings.staff_notification_addresses = "ok@bcis.example, not-an-address"
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    assert "staff_notification_addresses" in error.value.message_dict


# --- the form ------------------------------------------------------------------------


def test_every_question_has_a_visible_label_and_hint(client, register):
    html = client.get(register.url).content.decode()
    form = register.get_form(page=register)
    for bound in form.fields_in_order():
        assert bound.help_text, f"{bound.name} has no hint"
        assert f'id="{bound.auto_id}-hint"' in html, f"{bound.name} hint not shown"
        assert str(bound.label) in html.replace("&#x27;", "'")
    assert "novalidate" in html
    assert "Stroke unit on site?" in html  # the editor's question


def test_valid_entry_is_saved_with_consents_and_extra_answers(client, register):
    with time_machine.travel(NOW, tick=False):
        response = post(client, register, extra_stroke_unit_on_site="Yes")
    assert response.status_code == 302
    assert response["Location"] == register.url + "thank-you/"
    entry = RegisterEntry.objects.get()
    assert entry.email == "alex.example@nhs.example"
    assert entry.gmc_number == "1234567"
    assert entry.consent_privacy_at == NOW
    assert entry.consent_contact_at == NOW
    assert entry.consent_share_at is None
    assert entry.consent_wording_version == "consent-2026-11; privacy notice 1"
    assert entry.extra_answers == {"stroke_unit_on_site": "Yes"}
    thanks = client.get(response["Location"])
    assert "Thanks for registering." in thanks.content.decode()


def test_other_role_needs_its_description(client, register):
    response = post(client, register, role="other", role_other="")
    assert "Enter your role, as you chose &#x27;Other&#x27;" in response.content.decode()
    assert not RegisterEntry.objects.exists()
    post(client, register, role="other", role_other="Stroke physician")
    assert RegisterEntry.objects.get().role_display == "Other: Stroke physician"


def test_errors_are_summarised_at_the_top_linked_to_fields_and_answers_are_kept(client, register):
    response = post(client, register, gmc_number="12345", full_name="Kept Name", region="")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in html
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert '<a href="#id_gmc_number">Enter your GMC number as 7 digits, like 1234567</a>' in summary
    assert '<a href="#id_region">Select your region</a>' in summary
    assert summary.index("id_gmc_number") < summary.index("id_region")
    assert 'id="id_gmc_number-error"' in html
    assert 'aria-describedby="id_gmc_number-hint id_gmc_number-error"' in html
    assert 'value="Kept Name"' in html
    assert 'value="12345"' in html
    assert not RegisterEntry.objects.exists()


def test_missing_radio_answer_links_to_its_first_option(client, register):
    html = post(client, register, training_intention=None).content.decode()
    assert '<a href="#id_training_intention_0">' in html
    assert 'id="id_training_intention_0"' in html


def test_unicode_answers_are_normalised_and_stripped_of_invisible_controls(client, register):
    post(client, register, full_name="Zoe\u0301 \u202eO\u2019Brien\u200b", hospital="Hôpital 🏥")
    entry = RegisterEntry.objects.get()
    assert entry.full_name == "Zoé O\u2019Brien\u200b"  # NFC; the bidi override is gone
    assert entry.hospital == "Hôpital 🏥"


def test_typed_text_is_escaped_on_the_page(client, register):
    html = post(
        client, register, full_name='<script>alert("x")</script>', email="bad"
    ).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


# --- tick boxes count only when ticked ----------------------------------------------------

NOT_TICKED = ["0", "off", "no", "false", "", "yes", "true", "1", "ON", "on "]


def rendered_value(html, name):
    tag = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', html).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def test_each_consent_box_renders_the_value_that_counts_as_ticked(client, register):
    html = client.get(register.url).content.decode()
    values = {name: rendered_value(html, name) for name in RegisterForm.CONSENT_FIELDS}
    assert values == dict.fromkeys(RegisterForm.CONSENT_FIELDS, "on")
    with time_machine.travel(NOW, tick=False):
        response = post(client, register, consent_share=values["consent_share"])
    assert response.status_code == 302
    entry = RegisterEntry.objects.get()
    assert entry.consent_privacy_at == entry.consent_contact_at == entry.consent_share_at == NOW


@pytest.mark.parametrize("value", NOT_TICKED)
def test_privacy_consent_counts_only_the_rendered_value(client, register, value):
    response = post(client, register, consent_privacy=value)
    assert response.status_code == 200
    assert "Agree to the privacy notice to join the register" in response.content.decode()
    assert not RegisterEntry.objects.exists()


@pytest.mark.parametrize("value", NOT_TICKED)
@pytest.mark.parametrize("name", ["consent_contact", "consent_share"])
def test_optional_consents_count_only_the_rendered_value(client, register, name, value):
    response = post(client, register, **{name: value})
    assert response.status_code == 302
    entry = RegisterEntry.objects.get()
    assert getattr(entry, f"{name}_at") is None


@pytest.mark.parametrize("value", ["0", "off", "no"])
def test_updating_an_entry_counts_only_ticked_consents(client, register, value):
    entry = make_entry(register, consent_contact_at=NOW, consent_share_at=NOW)
    data = register_post_data(consent_contact=value, consent_share=value)
    data.pop("email")
    client.post(manage_path(register, entry), data)
    entry.refresh_from_db()
    assert entry.consent_contact_at is None and entry.consent_share_at is None
    data["consent_privacy"] = value
    response = client.post(manage_path(register, entry), data)
    assert "Agree to the privacy notice to join the register" in response.content.decode()


def test_a_one_tick_box_question_counts_only_the_rendered_value(client, make_register):
    question = RegisterFormField(
        label="Cath lab on site?", help_text="Tick if yes.", field_type="checkbox", required=False
    )
    register = make_register(questions=[question])
    assert rendered_value(client.get(register.url).content.decode(), "extra_cath_lab_on_site")
    post(client, register, extra_cath_lab_on_site="0")
    post(client, register, email="second@example.org", extra_cath_lab_on_site="on")
    answers = dict(RegisterEntry.objects.values_list("email", "extra_answers"))
    assert answers == {
        "alex.example@nhs.example": {"cath_lab_on_site": False},
        "second@example.org": {"cath_lab_on_site": True},
    }


# --- email addresses: normalised, then checked ----------------------------------------------

# 215 characters; lower-cased, each capital dotted I (U+0130) becomes 'i' and a combining
# dot: 415 characters.
GROWING_EMAIL = "A@" + ".".join(["\u0130" * 50] * 4) + ".nhs.co.uk"


def test_email_is_checked_for_length_after_lower_casing(client, register):
    assert len(GROWING_EMAIL) == 215 and len(GROWING_EMAIL.lower()) == 415
    response = post(client, register, email=GROWING_EMAIL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="#id_email">Email address must be 254 characters or fewer</a>' in html
    assert "Enter an email address in the correct format" not in html
    assert not RegisterEntry.objects.exists()


def test_email_that_grows_past_the_limit_when_lower_cased_is_refused(register):
    # 254 characters as sent; 255 once the 'İ' is lower-cased.
    email = "abcde@" + "b" * 60 + "\u0130." + ".".join(["c" * 60] * 3) + ".org"
    assert len(email) == 254 and len(email.lower()) == 255
    form = register.get_form(register_post_data(email=email), page=register)
    assert form.errors["email"] == ["Email address must be 254 characters or fewer"]


def test_email_of_exactly_254_characters_after_lower_casing_is_stored(client, register):
    email = " Abcdef@" + ".".join(["b" * 60] * 4) + ".org "
    assert len(email.strip()) == 254
    assert post(client, register, email=email).status_code == 302
    assert RegisterEntry.objects.get().email == email.strip().lower()


# --- bad input: never a 5xx, never a partial entry -----------------------------------

LONG = "x" * 10_000
BAD_INPUTS = [
    ("missing name", {"full_name": None}),
    ("missing email", {"email": None}),
    ("missing GMC number", {"gmc_number": None}),
    ("missing role", {"role": None}),
    ("missing hospital", {"hospital": None}),
    ("missing region", {"region": None}),
    ("missing experience", {"experience": None}),
    ("missing intention", {"training_intention": None}),
    ("missing privacy consent", {"consent_privacy": None}),
    ("everything missing", dict.fromkeys(register_post_data())),
    ("10,000-character name", {"full_name": LONG}),
    ("10,000-character hospital", {"hospital": LONG}),
    ("10,000-character comments", {"comments": LONG}),
    ("10,000-character experience details", {"experience_details": LONG}),
    ("10,000-character other role", {"role": "other", "role_other": LONG}),
    ("10,000-character email", {"email": LONG + "@example.org"}),
    ("10,000-character GMC number", {"gmc_number": "1" * 10_000}),
    ("10,000-character extra answer", {"extra_stroke_unit_on_site": LONG}),
    ("null byte in name", {"full_name": "Alex\x00Example"}),
    ("null byte in hospital", {"hospital": "Royal\x00"}),
    ("null byte in comments", {"comments": "a\x00b"}),
    ("null byte in email", {"email": "alex\x00@example.org"}),
    ("null byte in GMC number", {"gmc_number": "123\x004567"}),
    ("null byte as a choice", {"region": "\x00"}),
    ("only invisible characters as a name", {"full_name": "\u202e\u0007 "}),
    ("unknown role", {"role": "surgeon"}),
    ("unknown region", {"region": "atlantis"}),
    ("unknown experience", {"experience": "lots"}),
    ("unknown intention", {"training_intention": "never"}),
    ("unknown extra choice", {"extra_stroke_unit_on_site": "Maybe"}),
    ("GMC number too short", {"gmc_number": "123456"}),
    ("GMC number too long", {"gmc_number": "12345678"}),
    ("GMC number with letters", {"gmc_number": "12a4567"}),
    ("GMC number in Arabic-Indic digits", {"gmc_number": "١٢٣٤٥٦٧"}),
    ("GMC number in full-width digits", {"gmc_number": "１２３４５６７"}),
    ("email without @", {"email": "alex.example.org"}),
    ("email with spaces", {"email": "alex @example.org"}),
    ("email with a right-to-left override", {"email": "alex\u202e@example.org"}),
    ("choice sent as a list", {"role": ["consultant", "other"]}),
]


@pytest.mark.parametrize(("case", "overrides"), BAD_INPUTS, ids=[c for c, _ in BAD_INPUTS])
def test_bad_input_is_refused_with_a_message_and_saves_nothing(client, register, case, overrides):
    response = post(client, register, **overrides)
    assert response.status_code == 200, case
    assert 'class="error-summary"' in response.content.decode()
    assert not RegisterEntry.objects.exists()


@pytest.mark.parametrize(
    "typed",
    [
        "1234 567",
        "123 4567",
        " 1234567 ",
        "1234\t567",
        "\t1234567\t",
        "12 34 56 7",
        "1234\u00a0567",
    ],
)
def test_a_gmc_number_typed_with_spaces_is_stored_as_its_seven_digits(client, register, typed):
    assert post(client, register, gmc_number=typed).status_code == 302
    assert RegisterEntry.objects.get().gmc_number == "1234567"


@pytest.mark.parametrize("typed", ["1234 56", "1234 5678", "12a4 567", "1234-567", "G 1234567"])
def test_a_gmc_number_with_spaces_is_still_refused_if_wrong_with_a_clear_message(
    client, register, typed
):
    response = post(client, register, gmc_number=typed)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_gmc_number">Enter your GMC number as 7 digits, like 1234567</a>' in html
    assert not RegisterEntry.objects.exists()


def test_the_update_link_accepts_a_gmc_number_with_spaces(client, register):
    entry = make_entry(register)
    data = register_post_data(gmc_number="7654 321")
    del data["email"]
    assert client.post(manage_path(register, entry), data).status_code == 200
    entry.refresh_from_db()
    assert entry.gmc_number == "7654321"


def test_missing_csrf_token_is_refused_with_403(register):
    client = Client(enforce_csrf_checks=True)
    response = post(client, register)
    assert response.status_code == 403
    assert not RegisterEntry.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_on_the_form_are_refused(client, register, method):
    response = getattr(client, method)(register.url, data="full_name=x")
    assert response.status_code == 405
    assert not RegisterEntry.objects.exists()


def test_get_with_answers_in_the_address_saves_nothing(client, register):
    response = client.get(register.url, register_post_data())
    assert response.status_code == 200
    assert not RegisterEntry.objects.exists()


def test_get_on_the_withdraw_link_asks_first_and_deletes_nothing(client, register):
    entry = make_entry(register)
    response = client.get(manage_path(register, entry) + "withdraw/")
    assert response.status_code == 200
    assert "Withdraw and delete my details" in response.content.decode()
    assert RegisterEntry.objects.filter(pk=entry.pk).exists()


def test_put_on_the_manage_link_is_refused(client, register):
    entry = make_entry(register)
    assert client.put(manage_path(register, entry)).status_code == 405
    assert client.put(manage_path(register, entry) + "withdraw/").status_code == 405
    assert RegisterEntry.objects.filter(pk=entry.pk).exists()


# --- abuse -----------------------------------------------------------------------------


def test_eleventh_post_in_a_minute_from_one_address_gets_429(client, register):
    with time_machine.travel(NOW, tick=False):
        for i in range(10):
            response = client.post(
                register.url,
                register_post_data(email=f"p{i}@example.org"),
                REMOTE_ADDR="203.0.113.5",
            )
            assert response.status_code == 302
        response = client.post(
            register.url, register_post_data(email="p10@example.org"), REMOTE_ADDR="203.0.113.5"
        )
        assert response.status_code == 429
        assert "Too many attempts" in response.content.decode()
        assert response["Retry-After"] == "60"
        other = client.post(
            register.url, register_post_data(email="other@example.org"), REMOTE_ADDR="203.0.113.9"
        )
        assert other.status_code == 302
    assert RegisterEntry.objects.count() == 11
    assert not RegisterEntry.objects.filter(email="p10@example.org").exists()


def test_honeypot_filled_in_saves_nothing_and_looks_like_success(client, register, send_on_commit):
    response, _ = send_on_commit(client, register, website="http://spam.example")
    assert response.status_code == 302
    assert response["Location"].endswith("/thank-you/")
    assert not RegisterEntry.objects.exists()
    assert mail.outbox == []


def test_honeypot_is_hidden_from_people(client, register):
    html = client.get(register.url).content.decode()
    assert '<div class="register-hp">' in html
    css = (Path(__file__).resolve().parent.parent / "static/css/site.css").read_text()
    assert ".register-hp { display: none; }" in css


# --- emails ----------------------------------------------------------------------------


def test_confirmation_and_staff_emails_are_queued_with_the_entry_and_sent_by_the_worker(
    client, register, django_capture_on_commit_callbacks, run_worker
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, register)
    assert response.status_code == 302
    assert mail.outbox == []  # the request sends nothing: the worker does
    entry = RegisterEntry.objects.get()
    queued = OutgoingEmail.objects.filter(reference=f"registry.registerentry:{entry.pk}")
    assert sorted(queued.values_list("kind", flat=True)) == [
        "registry.confirmation",
        "registry.staff_notification",
    ]
    assert run_worker() == 2
    confirmation, staff = sorted(mail.outbox, key=lambda m: len(m.to))
    assert confirmation.to == ["alex.example@nhs.example"]
    assert confirmation.subject == "You are on the Stroke thrombectomy interest register"
    assert "Dear Alex Example" in confirmation.body
    assert "GMC number: 1234567" in confirmation.body
    assert "Stroke unit on site?: (no answer)" in confirmation.body
    link = re.search(r"http://testserver/\S+/manage/\S+/", confirmation.body).group(0)
    assert client.get(link).status_code == 200
    assert staff.to == ["register@bcis.example", "chair@bcis.example"]
    assert "Alex Example" in staff.body and "Royal Test Infirmary" in staff.body
    assert f"/admin/registry/registerentry/inspect/{entry.pk}/" in staff.body
    assert "1234567" not in staff.body  # the GMC number stays in the admin
    assert run_worker() == 0  # each email is sent once
    assert len(mail.outbox) == 2


def test_no_staff_email_when_no_addresses_are_set(client, make_register, send_on_commit):
    register = make_register(staff_notification_addresses="")
    send_on_commit(client, register)
    assert [m.to for m in mail.outbox] == [["alex.example@nhs.example"]]


def test_a_failing_mail_server_is_retried_then_noted_on_the_entry(
    client, register, send_on_commit, run_worker, settings, caplog
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    with mock.patch(
        "django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("down")
    ):
        response, _ = send_on_commit(client, register)
        assert response.status_code == 302
        entry = RegisterEntry.objects.get()
        assert entry.email_problem == ""  # one failure: it will be tried again
        assert OutgoingEmail.objects.filter(status="queued", attempts=1).count() == 2
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
            run_worker()
    entry.refresh_from_db()
    assert "could not send the" in entry.email_problem
    assert "ConnectionRefusedError" in entry.email_problem
    assert OutgoingEmail.objects.filter(status="failed").count() == 2
    assert any("Gave up on email" in r.getMessage() for r in caplog.records)
    assert mail.outbox == []


def test_a_mail_server_that_recovers_gets_each_email_once(
    client, register, send_on_commit, run_worker
):
    with mock.patch(
        "django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("down")
    ):
        send_on_commit(client, register)
    assert mail.outbox == []
    run_worker()  # not due yet: nothing is sent early
    assert mail.outbox == []
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        run_worker()
        run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alex.example@nhs.example",
        "register@bcis.example",
    ]
    assert RegisterEntry.objects.get().email_problem == ""


# --- one entry per email ----------------------------------------------------------------


def test_same_email_again_creates_nothing_reveals_nothing_and_emails_the_link(
    client, register, send_on_commit
):
    first, _ = send_on_commit(client, register)
    thanks_first = client.get(first["Location"]).content.decode()
    mail.outbox.clear()
    second, _ = send_on_commit(
        client, register, email="ALEX.example@nhs.example ", full_name="Someone Else"
    )
    assert second.status_code == first.status_code == 302
    assert second["Location"] == first["Location"]
    assert client.get(second["Location"]).content.decode() == thanks_first
    entry = RegisterEntry.objects.get()
    assert entry.full_name == "Alex Example"
    (notice,) = mail.outbox
    assert notice.to == ["alex.example@nhs.example"]
    assert "already on the register" in notice.body
    assert "/manage/" in notice.body


REPEAT_SENTENCE = (
    "If your email address was already on the register, nothing was added or changed: your "
    "entry keeps the answers you gave before, and the email gives you a link to change them."
)


def visible_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_thank_you_page_tells_every_sender_what_happens_to_an_address_already_registered(
    client, make_register, send_on_commit
):
    """New and repeated addresses see the same page, and it always says that an address
    already on the register keeps its answers and gets a link, even under the register's own
    thank-you wording, which never reads as if the answers were saved."""
    register = make_register(thank_you_text="<p>Thank you for joining the register.</p>")
    new, _ = send_on_commit(client, register)
    new_page = client.get(new["Location"]).content.decode()
    repeat, _ = send_on_commit(client, register, full_name="Someone Else")
    repeat_page = client.get(repeat["Location"]).content.decode()
    assert repeat["Location"] == new["Location"] and repeat_page == new_page
    text = visible_text(new_page)
    assert REPEAT_SENTENCE in text
    assert "Thank you for joining the register." in text  # the register's own words stay
    assert "Your answers have reached" not in text and "answers are saved" not in text
    assert RegisterEntry.objects.get().full_name == "Alex Example"


def test_at_most_three_already_registered_emails_go_to_one_address_an_hour(
    client, register, send_on_commit, settings
):
    """Re-posting the form with someone's address cannot flood their inbox; the answer on
    screen stays the same, so it reveals nothing."""
    settings.REGISTRY_RATE_LIMIT = 100
    send_on_commit(client, register)
    mail.outbox.clear()
    answers = [send_on_commit(client, register)[0] for _ in range(6)]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, answers[0]["Location"])}
    assert [m.to for m in mail.outbox] == [["alex.example@nhs.example"]] * 3
    # Another address is counted apart.
    send_on_commit(client, register, email="someone.else@nhs.example")
    mail.outbox.clear()
    for _ in range(2):
        send_on_commit(client, register, email="someone.else@nhs.example")
    assert [m.to for m in mail.outbox] == [["someone.else@nhs.example"]] * 2
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1, minutes=1)):
        send_on_commit(client, register)
    assert [m.to for m in mail.outbox] == [["alex.example@nhs.example"]]


def test_same_email_may_join_two_different_registers(client, make_register, make_focus_group):
    first = make_register()
    second = make_register(group=make_focus_group(slug="other-group", n=0))
    post(client, first)
    post(client, second)
    assert RegisterEntry.objects.count() == 2


def test_database_refuses_a_duplicate_email_on_one_register(register):
    from django.db import IntegrityError, transaction

    make_entry(register, email="same@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(register, n=1, email="same@example.org")


# --- the signed update / withdraw link ---------------------------------------------------


def test_valid_link_shows_the_entry_and_saves_changes(client, register):
    entry = make_entry(register, extra_answers={"stroke_unit_on_site": "No"})
    path = manage_path(register, entry)
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert 'value="Person 0"' in html
    assert "person0@example.org" in html
    data = register_post_data(hospital="New Hospital", extra_stroke_unit_on_site="Yes")
    data.pop("email")
    data.pop("consent_contact")
    response = client.post(path, data)
    assert "Your changes are saved." in response.content.decode()
    entry.refresh_from_db()
    assert entry.hospital == "New Hospital"
    assert entry.email == "person0@example.org"  # the email cannot be changed this way
    assert entry.extra_answers == {"stroke_unit_on_site": "Yes"}
    assert entry.consent_contact_at is None


def test_withdrawing_deletes_the_entry_and_says_so(client, register):
    entry = make_entry(register)
    path = manage_path(register, entry)
    response = client.post(path + "withdraw/")
    assert response.status_code == 200
    assert "Your entry has been deleted" in response.content.decode()
    assert not RegisterEntry.objects.filter(pk=entry.pk).exists()
    gone = client.get(path)
    assert gone.status_code == 404
    assert "Entry not found" in gone.content.decode()


def test_tampered_link_is_refused(client, register):
    entry = make_entry(register)
    token = tokens.make_token(entry)
    other = make_entry(register, n=1)
    forged = str(other.public_id) + token[len(str(entry.public_id)) :]
    for bad in (forged, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "nonsense"):
        response = client.get(f"{register.url}manage/{bad}/")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
        response = client.post(f"{register.url}manage/{bad}/withdraw/")
        assert response.status_code == 400
    assert RegisterEntry.objects.count() == 2


def test_expired_link_is_refused_and_says_how_to_get_a_new_one(client, register, settings):
    entry = make_entry(register)
    with time_machine.travel(NOW, tick=False):
        path = manage_path(register, entry)
    later = NOW + dt.timedelta(days=settings.REGISTRY_LINK_MAX_AGE_DAYS, minutes=1)
    with time_machine.travel(later, tick=False):
        response = client.post(path + "withdraw/")
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert RegisterEntry.objects.filter(pk=entry.pk).exists()
    with time_machine.travel(later - dt.timedelta(minutes=2), tick=False):
        assert client.get(path).status_code == 200


def test_link_for_one_register_does_not_open_another(client, make_register, make_focus_group):
    first = make_register()
    second = make_register(group=make_focus_group(slug="other-group", n=0))
    entry = make_entry(first)
    response = client.get(f"{second.url}manage/{tokens.make_token(entry)}/")
    assert response.status_code == 404


# --- opening and closing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes", "is_open"),
    [
        (NOW + dt.timedelta(days=1), None, False),
        (None, NOW - dt.timedelta(seconds=1), False),
        (None, NOW, False),
        (NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1), True),
        (None, None, True),
    ],
)
def test_register_is_closed_outside_its_window(client, make_register, opens, closes, is_open):
    register = make_register(opens_at=opens, closes_at=closes)
    with time_machine.travel(NOW, tick=False):
        page = client.get(register.url).content.decode()
        response = post(client, register)
    if is_open:
        assert 'class="register-form"' in page
        assert response.status_code == 302
        assert RegisterEntry.objects.count() == 1
    else:
        assert "The register is closed" in page
        assert 'class="register-form"' not in page
        assert response.status_code == 403
        assert "The register is closed" in response.content.decode()
        assert not RegisterEntry.objects.exists()


def test_closed_page_gives_the_opening_date(client, make_register):
    register = make_register(opens_at=dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC))
    with time_machine.travel(NOW, tick=False):
        html = client.get(register.url).content.decode()
    assert "It opens on 4 January 2027 at 09:00 (UK time)" in html


def test_withdrawal_still_works_after_closing(client, make_register):
    register = make_register(closes_at=NOW)
    entry = make_entry(register)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        response = client.post(manage_path(register, entry) + "withdraw/")
    assert response.status_code == 200
    assert not RegisterEntry.objects.exists()


# --- staff: permissions, listing, detail, export, audit -------------------------------


@pytest.fixture
def manager(db):
    user = get_user_model().objects.create_user(
        username="manager", email="m@bcis.example", password="x" * 12
    )
    user.groups.add(Group.objects.get(name="Register managers"))
    return user


@pytest.fixture
def editor(db, register):
    """An editor who can edit every page (the register page included) but holds no register
    permission."""
    user = get_user_model().objects.create_user(
        username="editor", email="e@bcis.example", password="x" * 12
    )
    group = Group.objects.create(name="Page editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for permission in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=group,
            page=Page.objects.get(depth=1),
            permission=Permission.objects.get(codename=permission),
        )
    user.groups.add(group)
    return user


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


ADMIN_INDEX = "/admin/registry/registerentry/"


def test_register_managers_group_is_created_with_only_the_register_permissions():
    group = Group.objects.get(name="Register managers")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert codenames == {
        "access_admin",
        "view_registerentry",
        "delete_registerentry",
        "view_exportlog",
    }


def test_editor_without_the_permission_sees_no_menu_and_gets_403(editor, register):
    entry = make_entry(register)
    client = client_for(editor)
    home = client.get("/admin/")
    assert home.status_code == 200
    assert "Interest register" not in home.content.decode()
    for url in (
        ADMIN_INDEX,
        f"{ADMIN_INDEX}?export=csv",
        f"{ADMIN_INDEX}?export=xlsx",
        f"{ADMIN_INDEX}inspect/{entry.pk}/",
        f"{ADMIN_INDEX}delete/{entry.pk}/",
        "/admin/registry/exportlog/",
    ):
        assert client.get(url).status_code == 403, url
    assert not ExportLog.objects.exists()


# --- who is told about new entries: register managers decide, page editors cannot ---------

SETTINGS_INDEX = "/admin/registry/registernotificationsettings/"


@pytest.fixture
def comms_editor(db):
    user = get_user_model().objects.create_user(
        username="comms", email="comms@bcis.example", password="x" * 12
    )
    user.groups.add(Group.objects.get(name="Communications editors"))
    return user


def test_page_editor_form_has_no_notification_addresses(comms_editor, register):
    response = client_for(comms_editor).get(f"/admin/pages/{register.pk}/edit/")
    assert response.status_code == 200
    assert "staff_notification_addresses" not in response.context["form"].fields
    assert "register@bcis.example" not in response.content.decode()
    assert "Interest register → Notifications" in response.content.decode()


def test_posting_addresses_in_the_page_editor_changes_nothing(comms_editor, register):
    data = register_editor_data(
        register,
        staff_notification_addresses="comms@bcis.example",
        notification_settings="comms@bcis.example",
        **{"action-publish": "action-publish"},
    )
    response = client_for(comms_editor).post(f"/admin/pages/{register.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    page = InterestRegisterPage.objects.get(pk=register.pk)
    assert page.privacy_notice_version == "2"  # the edit was published...
    # ...and the addresses are as the register managers set them.
    assert page.get_staff_addresses() == ["register@bcis.example", "chair@bcis.example"]
    assert RegisterNotificationSettings.objects.count() == 1


def test_communications_editor_cannot_reach_the_notification_settings(comms_editor, register):
    settings = register.notification_settings
    client = client_for(comms_editor)
    assert "Interest register" not in client.get("/admin/").content.decode()
    for url in (
        SETTINGS_INDEX,
        f"{SETTINGS_INDEX}create/",
        f"{SETTINGS_INDEX}edit/{settings.pk}/",
        f"{SETTINGS_INDEX}delete/{settings.pk}/",
        f"{SETTINGS_INDEX}history/{settings.pk}/",
    ):
        assert client.get(url).status_code == 403, url
        response = client.post(
            url, {"page": register.pk, "staff_notification_addresses": "comms@bcis.example"}
        )
        assert response.status_code == 403, url
    settings.refresh_from_db()
    assert settings.staff_notification_addresses == "register@bcis.example, chair@bcis.example"
    assert register.get_staff_addresses() == ["register@bcis.example", "chair@bcis.example"]


def test_register_manager_sets_who_is_told_about_new_entries(
    manager, make_register, make_focus_group, client, send_on_commit
):
    register = make_register(staff_notification_addresses="")
    other = make_register(group=make_focus_group(slug="other-group", n=0), title="Other")
    assert register.get_staff_addresses() == []
    admin = client_for(manager)
    assert "Notifications" in admin.get("/admin/").content.decode()
    form = admin.get(f"{SETTINGS_INDEX}create/").context["form"]
    assert list(form.fields["page"].queryset) == [register]  # the other has settings already
    response = admin.post(
        f"{SETTINGS_INDEX}create/",
        {"page": register.pk, "staff_notification_addresses": "lead@bcis.example"},
    )
    assert response.status_code == 302
    assert register.get_staff_addresses() == ["lead@bcis.example"]
    settings = RegisterNotificationSettings.objects.get(page=register)
    response = admin.post(
        f"{SETTINGS_INDEX}edit/{settings.pk}/",
        {"page": other.pk, "staff_notification_addresses": "a@bcis.example\nb@bcis.example"},
    )
    assert response.status_code == 302
    settings.refresh_from_db()
    assert settings.page_id == register.pk  # the register itself is not changed
    assert register.get_staff_addresses() == ["a@bcis.example", "b@bcis.example"]
    assert "a@bcis.example" in admin.get(SETTINGS_INDEX).content.decode()

    send_on_commit(client, register)
    assert [m.to for m in mail.outbox] == [
        ["alex.example@nhs.example"],
        ["a@bcis.example", "b@bcis.example"],
    ]


def test_notification_settings_refuse_an_invalid_address_with_a_message(manager, register):
    settings = register.notification_settings
    response = client_for(manager).post(
        f"{SETTINGS_INDEX}edit/{settings.pk}/",
        {"staff_notification_addresses": "ok@bcis.example, not-an-address"},
    )
    assert response.status_code == 200
    assert "&#x27;not-an-address&#x27; is not a valid email address." in response.content.decode()
    settings.refresh_from_db()
    assert "not-an-address" not in settings.staff_notification_addresses


def test_an_old_revision_holding_addresses_loads_and_cannot_restore_them(register):
    """Revisions saved before the addresses left the page hold them in their JSON. They still
    load, and publishing one leaves the addresses as the register managers set them."""
    revision = register.latest_revision
    revision.content["staff_notification_addresses"] = "comms@bcis.example"
    revision.content["privacy_notice_version"] = "old"
    revision.save(update_fields=["content"])
    revision.refresh_from_db()
    assert revision.as_object().privacy_notice_version == "old"
    revision.publish()
    page = InterestRegisterPage.objects.get(pk=register.pk)
    assert page.privacy_notice_version == "old"
    assert page.get_staff_addresses() == ["register@bcis.example", "chair@bcis.example"]


def test_editor_cannot_read_entries_through_wagtails_forms_area(editor, register):
    make_entry(register)
    client = client_for(editor)
    listing = client.get("/admin/forms/")
    assert register.title not in listing.content.decode()
    response = client.get(f"/admin/forms/submissions/{register.pk}/", follow=True)
    assert "Person 0" not in response.content.decode()
    assert response.redirect_chain or response.status_code in (403, 404)


def test_manager_sees_the_list_with_its_columns_filters_and_search(manager, register):
    make_entry(register, 1, full_name="Ann Alpha", region="wales", hospital="Cardiff")
    make_entry(register, 2, full_name="Bob Beta", region="london", hospital="Barts")
    client = client_for(manager)
    html = client.get("/admin/").content.decode()
    assert "Interest register" in html
    html = client.get(ADMIN_INDEX).content.decode()
    for text in ("Ann Alpha", "Cardiff", "Wales", "Consultant interventional cardiologist"):
        assert text in html
    assert "Within the next 12 months" in html
    filtered = client.get(ADMIN_INDEX + "?region=wales").content.decode()
    assert "Ann Alpha" in filtered and "Bob Beta" not in filtered
    searched = client.get(ADMIN_INDEX + "?q=barts").content.decode()
    assert "Bob Beta" in searched and "Ann Alpha" not in searched
    assert client.get(ADMIN_INDEX + "create/").status_code == 403


def test_manager_sees_an_entry_with_its_extra_answers(manager, register):
    entry = make_entry(register, extra_answers={"stroke_unit_on_site": "Yes", "old": "kept"})
    html = client_for(manager).get(f"{ADMIN_INDEX}inspect/{entry.pk}/").content.decode()
    assert "Stroke unit on site?" in html and "Yes" in html
    assert "old (question since removed)" in html and "kept" in html


def test_inspect_view_labels_read_like_the_form(manager, tavi_register):
    """Capitalised as on the form, with the register's own question wording, never Django's
    lower-case field names."""
    entry = make_entry(tavi_register, experience=TAVI_ANSWER)
    html = client_for(manager).get(f"{ADMIN_INDEX}inspect/{entry.pk}/").content.decode()
    labels = [" ".join(label.split()) for label in re.findall(r"<dt[^>]*>(.*?)</dt>", html, re.S)]
    assert labels[:12] == [
        "Register",
        "Full name",
        "Email address",
        "GMC number",
        "Current role",
        "Role (if other)",
        "Hospital or NHS trust",
        "Region",
        tavi_register.experience_label,
        "More about your experience",
        tavi_register.intention_label,
        "Comments",
    ]
    assert "Agreed to the privacy notice at" in labels and "Last confirmed" in labels
    assert all(label[0].isupper() for label in labels), labels


def test_admin_escapes_what_registrants_typed(manager, register):
    entry = make_entry(register, full_name="<img src=x onerror=alert(1)>")
    client = client_for(manager)
    for url in (ADMIN_INDEX, f"{ADMIN_INDEX}inspect/{entry.pk}/"):
        html = client.get(url).content.decode()
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_csv_export_holds_the_filtered_list_neutralised_and_is_logged(manager, register):
    make_entry(
        register,
        1,
        full_name='=HYPERLINK("http://evil.example")',
        region="wales",
        extra_answers={"stroke_unit_on_site": "+Yes"},
    )
    make_entry(register, 2, full_name="Bob Beta", region="london", hospital="@Barts")
    client = client_for(manager)
    response = client.get(ADMIN_INDEX + "?region=wales&export=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, *data = rows
    assert "Full name" in header and "Stroke unit on site?" in header
    assert len(data) == 1
    row = dict(zip(header, data[0], strict=True))
    assert row["Full name"] == '\'=HYPERLINK("http://evil.example")'
    assert row["Stroke unit on site?"] == "'+Yes"
    assert row["Region"] == "Wales"
    log = ExportLog.objects.get()
    assert log.user == manager and log.username == "manager"
    assert log.export_format == "csv"
    assert log.row_count == 1
    assert log.filters == "Region: Wales (region=wales)"


def xlsx_export(client, query=""):
    response = client.get(ADMIN_INDEX + "?export=xlsx" + query)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_xlsx_export_keeps_formula_looking_values_as_text_without_an_apostrophe(manager, register):
    make_entry(
        register, 1, full_name="-2+3", hospital="=1+1", comments="@SUM(A1)", role_other="+44 20"
    )
    body = xlsx_export(client_for(manager))
    sheet = load_workbook(io.BytesIO(body)).active
    header = [cell.value for cell in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    for heading, typed in [
        ("Full name", "-2+3"),
        ("Hospital or trust", "=1+1"),
        ("Comments", "@SUM(A1)"),
        ("Role (if other)", "+44 20"),
    ]:
        cell = cells[heading]
        assert (cell.value, cell.data_type) == (typed, "s"), heading
        assert cell.quotePrefix, heading  # stays text if someone edits it in Excel
    assert not cells["Region"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "'=1+1" not in xml and "'-2+3" not in xml
    assert ExportLog.objects.get().export_format == "xlsx"


def test_csv_export_keeps_a_leading_apostrophe_on_formula_looking_values(manager, register):
    make_entry(register, 1, full_name="-2+3", hospital="=1+1", comments="\tx")
    header, row = export_rows(client_for(manager), "?export=csv")
    values = dict(zip(header, row, strict=True))
    assert (values["Full name"], values["Hospital or trust"]) == ("'-2+3", "'=1+1")
    assert values["Comments"] == "'\tx"


ZOE = "Zoë Ó'Brien-Łukasz"


def test_csv_export_is_utf8_with_a_byte_order_mark_so_excel_keeps_every_letter(manager, register):
    make_entry(register, 1, full_name=ZOE, hospital="Ysbyty Gwynedd – Bangor")
    response = client_for(manager).get(ADMIN_INDEX + "?export=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8) and not body.startswith(codecs.BOM_UTF8 * 2)
    header, row = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[0] == "Registered (UK time)"  # the mark is not part of the first heading
    values = dict(zip(header, row, strict=True))
    assert values["Full name"] == ZOE
    assert values["Hospital or trust"] == "Ysbyty Gwynedd – Bangor"


SUMMER = dt.datetime(2026, 7, 1, 11, 30, 45, 123456, tzinfo=dt.UTC)  # 12:30:45 in the UK
WINTER = dt.datetime(2026, 1, 15, 9, 5, 7, 999999, tzinfo=dt.UTC)  # 09:05:07 in the UK


def test_exports_give_times_in_uk_time_to_the_second_and_say_so_in_the_heading(manager, register):
    make_entry(
        register,
        1,
        created_at=SUMMER,
        consent_privacy_at=WINTER,
        consent_contact_at=None,
        confirmed_at=SUMMER,
    )
    client = client_for(manager)
    header, row = export_rows(client, "?export=csv")
    values = dict(zip(header, row, strict=True))
    assert values["Registered (UK time)"] == "2026-07-01 12:30:45"
    assert values["Agreed to privacy notice (UK time)"] == "2026-01-15 09:05:07"
    assert values["Last confirmed (UK time)"] == "2026-07-01 12:30:45"
    assert values["Agreed to contact about training (UK time)"] == ""
    assert "Registered" not in header and "Last confirmed" not in header

    sheet = load_workbook(io.BytesIO(xlsx_export(client))).active
    cells = dict(zip([cell.value for cell in sheet[1]], sheet[2], strict=True))
    registered = cells["Registered (UK time)"]
    assert registered.value == dt.datetime(2026, 7, 1, 12, 30, 45)
    assert registered.number_format == "yyyy-mm-dd hh:mm:ss"
    assert cells["Agreed to privacy notice (UK time)"].value == dt.datetime(2026, 1, 15, 9, 5, 7)


def test_xlsx_export_has_a_named_sheet_a_bold_heading_row_and_readable_columns(manager, register):
    long_hospital = "The Royal Example and District Hospitals NHS Trust"
    make_entry(register, 1, full_name=ZOE, hospital=long_hospital, comments="x" * 500)
    workbook = load_workbook(io.BytesIO(xlsx_export(client_for(manager))))
    assert workbook.sheetnames == ["Register entries"]
    sheet = workbook["Register entries"]
    assert sheet.freeze_panes == "A2"
    headings = sheet[1]
    assert all(cell.font.b for cell in headings)
    assert not any(cell.font.b for cell in sheet[2])
    widths = {cell.value: sheet.column_dimensions[cell.column_letter].width for cell in headings}
    assert widths["Hospital or trust"] >= len(long_hospital)
    assert widths["Registered (UK time)"] >= len("Registered (UK time)")
    assert widths["Comments"] == 60  # long answers wrap at a readable width
    comments = sheet.cell(row=2, column=[c.value for c in headings].index("Comments") + 1)
    assert comments.alignment.wrap_text
    assert all(10 <= width <= 60 for width in widths.values()), widths
    assert sheet["C2"].value == ZOE


def test_neutralise_leaves_ordinary_values_alone():
    assert neutralise("Royal Infirmary") == "Royal Infirmary"
    assert neutralise(5) == 5
    assert neutralise("\tx") == "'\tx"


def test_export_log_describes_the_filters_in_words(manager, register):
    client = client_for(manager)
    client.get(ADMIN_INDEX + "?training_intention__exact=later&q=barts&export=csv")
    client.get(ADMIN_INDEX + f"?register={register.pk}&o=1&export=xlsx")
    client.get(ADMIN_INDEX + "?export=csv")
    assert list(ExportLog.objects.order_by("pk").values_list("filters", flat=True)) == [
        "Training intention: Later than 12 months from now; Search: barts "
        "(training_intention__exact=later&q=barts)",
        f"Register: {register.title} (register={register.pk})",
        "All entries (no filter or search)",
    ]


def test_export_log_is_visible_to_managers(manager, register):
    client = client_for(manager)
    client.get(ADMIN_INDEX + "?export=csv")
    html = client.get("/admin/registry/exportlog/").content.decode()
    assert "manager" in html and "csv" in html


def test_manager_can_delete_an_entry(manager, register):
    entry = make_entry(register)
    response = client_for(manager).post(f"{ADMIN_INDEX}delete/{entry.pk}/")
    assert response.status_code == 302
    assert not RegisterEntry.objects.exists()


def test_dashboard_panel_shows_totals_to_managers_only(manager, editor, register):
    with time_machine.travel(NOW, tick=False):
        for i in range(3):
            make_entry(register, i, region="wales", created_at=NOW)
        make_entry(register, 9, created_at=NOW - dt.timedelta(days=45))
        html = client_for(manager).get("/admin/").content.decode()
    panel = re.search(r'id="interest-register-section".*?</section>', html, re.S).group(0)
    assert "<strong>4</strong> entries in all; <strong>3</strong> in the last 30 days" in panel
    assert re.search(r"Wales</th><td>3</td>", panel)
    assert re.search(r"Within the next 12 months</th><td>4</td>", panel)
    assert (
        'id="interest-register-section"' not in client_for(editor).get("/admin/").content.decode()
    )


# --- retention ---------------------------------------------------------------------------


def run_retention(*args):
    """The daily job, then the worker sending what it queued."""
    from outbox.worker import Loop

    out = io.StringIO()
    call_command("registry_retention", *args, stdout=out)
    Loop().run_ready_tasks()
    return out.getvalue()


def test_retention_reminds_once_then_deletes_what_lapsed(register, settings):
    settings.REGISTRY_RETENTION_MONTHS = 24
    settings.REGISTRY_RECONFIRM_NOTICE_DAYS = 21
    old = make_entry(register, 1, confirmed_at=dt.datetime(2024, 12, 10, tzinfo=dt.UTC))
    fresh = make_entry(register, 2, confirmed_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    with time_machine.travel(NOW, tick=False):  # 29 Nov 2026: old lapses on 10 Dec 2026
        assert "queued 1 re-confirmation" in run_retention()
        assert "queued 0 re-confirmation" in run_retention()  # safe to run again
    (reminder,) = mail.outbox
    assert reminder.to == ["person1@example.org"]
    assert "/manage/" in reminder.body and "deleted after 20 December 2026" in reminder.body
    old.refresh_from_db()
    assert old.reconfirmation_sent_at == NOW
    with time_machine.travel(dt.datetime(2026, 12, 15, tzinfo=dt.UTC), tick=False):
        run_retention()  # lapsed, but warned only 16 days ago: kept
    assert RegisterEntry.objects.filter(pk=old.pk).exists()
    with time_machine.travel(dt.datetime(2026, 12, 21, tzinfo=dt.UTC), tick=False):
        assert "Deleted 1 lapsed entry" in run_retention()
    assert list(RegisterEntry.objects.all()) == [fresh]


def test_confirming_through_the_link_keeps_the_entry(client, register, settings):
    old = make_entry(register, 1, confirmed_at=dt.datetime(2024, 12, 10, tzinfo=dt.UTC))
    with time_machine.travel(NOW, tick=False):
        run_retention()
        asked = client.get(manage_path(register, old)).content.decode()
        response = client.post(manage_path(register, old), {"action": "keep"})
    assert "Keep my entry" in asked
    assert "your entry is confirmed" in response.content.decode()
    assert "Keep my entry" not in response.content.decode()
    with time_machine.travel(dt.datetime(2027, 1, 5, tzinfo=dt.UTC), tick=False):
        run_retention()
    old.refresh_from_db()
    assert old.confirmed_at == NOW and old.reconfirmation_sent_at is None


def test_lapsed_entry_never_reminded_is_reminded_before_it_is_deleted(register):
    lapsed = make_entry(register, 1, confirmed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    with time_machine.travel(NOW, tick=False):
        run_retention()
    assert RegisterEntry.objects.filter(pk=lapsed.pk).exists()
    assert len(mail.outbox) == 1


def test_retention_dry_run_changes_nothing(register):
    make_entry(register, 1, confirmed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    with time_machine.travel(NOW, tick=False):
        assert "Would email 1" in run_retention("--dry-run")
    assert mail.outbox == []
    assert RegisterEntry.objects.get().reconfirmation_sent_at is None


# --- the public picture -----------------------------------------------------------------


def breakdown_rows(picture, slug):
    (breakdown,) = [b for b in picture["breakdowns"] if b.slug == slug]
    return {row.label: row.shown for row in breakdown.rows}


def test_counts_under_five_show_as_fewer_than_five(register):
    for i in range(7):
        make_entry(register, i, region="london")
    for i in range(7, 10):
        make_entry(register, i, region="wales")
    picture = picture_for_entries(RegisterEntry.objects.all())
    regions = breakdown_rows(picture, "region")
    assert regions["London"] == "7"
    assert regions["Wales"] == "fewer than 5"
    assert regions["Scotland"] == "fewer than 5"
    assert picture["total_shown"] == "10"


def test_total_under_five_is_not_shown_exactly(register):
    make_entry(register)
    assert picture_for_entries(RegisterEntry.objects.all())["total_shown"] == "fewer than 5"


def test_a_lone_small_count_cannot_be_worked_out_from_the_total(register):
    # 12 within 12 months, 8 later, 2 undecided: total 22 minus 12 minus 8 would give 2.
    for i in range(22):
        intention = "within_12_months" if i < 12 else "later" if i < 20 else "undecided"
        make_entry(register, i, training_intention=intention)
    intentions = breakdown_rows(picture_for_entries(RegisterEntry.objects.all()), "intention")
    assert intentions == {
        "Within the next 12 months": "12",
        "Later than 12 months from now": "5 or more",
        "Undecided": "fewer than 5",
    }


def test_picture_takes_one_query(register):
    for i in range(12):
        make_entry(register, i, region="london" if i % 2 else "wales")
    with CaptureQueriesContext(connection) as queries:
        picture_for_entries(RegisterEntry.objects.filter(page=register))
    assert len(queries) == 1


def picture_html(html):
    return re.search(r'<section class="picture".*?</section>', html, re.S).group(0)


def count_cell(html, label):
    """The text a reader gets for one row of a picture table (the bar is hidden from them)."""
    match = re.search(
        rf'<th scope="row">{re.escape(label)}</th><td class="chart-table__value">'
        r'<span class="chart-table__number">([^<]*)</span>(<svg[^>]*>.*?</svg>)?</td>',
        html,
        re.S,
    )
    return match and (match.group(1), match.group(2) or "")


def test_register_page_shows_each_count_once_with_its_bar_and_no_personal_data(client, register):
    for i in range(6):
        make_entry(register, i, region="north_west", full_name=f"Secret Person {i}")
    make_entry(register, 6, region="wales", full_name="Lonely Welsh Person")
    html = client.get(register.url).content.decode()
    assert "Secret Person" not in html and "Lonely Welsh Person" not in html
    picture = picture_html(html)
    assert "Registrations so far: <strong>7</strong>" in picture
    shown, bar = count_cell(picture, "North West")
    assert shown == "6"
    assert 'aria-hidden="true"' in bar and re.search(r'<rect x="0" y="0" width="100(\.0)?"', bar)
    assert count_cell(picture, "Wales") == ("fewer than 5", "")  # no bar for a hidden number
    # Each number is said once: the chart is the table, not a second copy of it.
    assert picture.count("<table") == 2 and picture.count("<svg") == 2
    assert 'role="img"' not in picture and "<text" not in picture
    assert picture.count(">6<") == 1
    assert "<script" not in html.split("<main", 1)[1]


def test_when_every_count_is_under_five_one_sentence_says_so(client, register):
    for i in range(3):
        make_entry(register, i, region="wales")
    picture = picture_html(client.get(register.url).content.decode())
    assert "Fewer than 5 people have registered so far, so to protect their privacy" in picture
    assert "fewer than 5" not in picture and "<table" not in picture and "<svg" not in picture


def test_every_count_under_five_with_a_larger_total_is_still_one_sentence(client, register):
    regions = ["wales", "scotland", "london", "wales", "scotland", "london", "north_west"]
    intentions = ["within_12_months", "later", "undecided"] * 3
    for i, region in enumerate(regions):
        make_entry(register, i, region=region, training_intention=intentions[i])
    picture = picture_html(client.get(register.url).content.decode())
    assert "7 people have registered so far, with fewer than 5 in every region" in picture
    assert picture.count("fewer than 5") == 1 and "<table" not in picture


def test_a_breakdown_whose_counts_are_all_under_five_is_one_sentence(client, register):
    for i in range(8):  # 2 in each of four regions, all within 12 months
        make_entry(register, i, region=["wales", "london", "scotland", "north_west"][i % 4])
    picture = picture_html(client.get(register.url).content.decode())
    assert "Registrations so far: <strong>8</strong>" in picture
    assert "Each region has fewer than 5 registrations so far" in picture
    assert picture.count("<table") == 1  # only the training intentions are listed
    assert count_cell(picture, "Within the next 12 months")[0] == "8"
    assert count_cell(picture, "Wales") is None


def test_focus_group_page_shows_the_picture_of_its_registers(client, register):
    group = register.get_parent().specific
    group_html = client.get(group.url).content.decode()
    assert "Who has registered so far" not in group_html  # nobody yet
    for i in range(5):
        make_entry(register, i, region="scotland", training_intention="later")
    group_html = client.get(group.url).content.decode()
    assert "Who has registered so far" in group_html
    assert count_cell(group_html, "Scotland")[0] == "5"
    assert count_cell(group_html, "Later than 12 months from now")[0] == "5"


def test_register_can_hide_its_picture(client, make_register):
    register = make_register(show_public_picture=False)
    for i in range(6):
        make_entry(register, i)
    assert "Who has registered so far" not in client.get(register.url).content.decode()
    group = register.get_parent().specific
    assert "Who has registered so far" not in client.get(group.url).content.decode()


def test_focus_group_page_query_count_does_not_grow_with_entries(client, register):
    """And a render with unchanged counts costs no query for them (they are cached)."""
    group = register.get_parent().specific
    make_entry(register, 0)
    client.get(group.url)
    with CaptureQueriesContext(connection) as few:
        client.get(group.url)
    for i in range(1, 40):
        make_entry(register, i, region=["wales", "london", "scotland"][i % 3])
    client.get(group.url)  # counts changed: the first render works them out again
    with CaptureQueriesContext(connection) as many:
        client.get(group.url)
    assert len(few) == len(many)


# --- demo content --------------------------------------------------------------------------


def test_demo_content_places_the_register_and_links_it_from_the_call_to_action(demo_site, client):
    register = InterestRegisterPage.objects.get()
    assert register.url == "/focus-groups/stroke-thrombectomy/register/"
    group = FocusGroupPage.objects.get(slug="stroke-thrombectomy")
    assert group.call_to_action_page_id == register.pk
    html = client.get(group.url).content.decode()
    assert 'href="/focus-groups/stroke-thrombectomy/register/"' in html
    assert client.get(register.url).status_code == 200
    assert register.privacy_notice_page.live


def test_demo_content_keeps_the_editors_call_to_action(demo_site):
    group = FocusGroupPage.objects.get(slug="stroke-thrombectomy")
    chosen = Page.objects.get(slug="focus-groups")
    group.call_to_action_page = chosen
    group.save_revision().publish()
    call_command("load_demo_content", stdout=io.StringIO())
    group.refresh_from_db()
    assert group.call_to_action_page_id == chosen.pk
    assert InterestRegisterPage.objects.count() == 1


# --- the page cache ---------------------------------------------------------------------


def test_cached_focus_group_page_shows_new_counts_at_once(client, register, settings):
    settings.PAGE_CACHE_ENABLED = True
    group = register.get_parent().specific
    for i in range(5):
        make_entry(register, i, region="scotland")
    first = client.get(group.url)
    assert client.get(group.url)["X-Cache"] == "hit"
    assert count_cell(first.content.decode(), "Scotland")[0] == "5"
    make_entry(register, 5, region="scotland")
    fresh = client.get(group.url)
    assert fresh["X-Cache"] != "hit"
    assert count_cell(fresh.content.decode(), "Scotland")[0] == "6"


def test_register_form_and_manage_pages_are_never_cached(client, register, settings):
    settings.PAGE_CACHE_ENABLED = True
    entry = make_entry(register)
    for url in (register.url, manage_path(register, entry)):
        client.get(url)
        assert client.get(url).get("X-Cache") != "hit", url


def test_cached_closed_page_gives_way_to_the_form_when_the_register_opens(
    client, make_register, settings
):
    from django.utils import timezone

    settings.PAGE_CACHE_ENABLED = True
    start = timezone.now()
    register = make_register(opens_at=start + dt.timedelta(minutes=5))
    # After the register was made (on a busy machine that takes a while): a page rendered
    # while its tags were still changing is not stored.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=1), tick=False):
        assert "The register is closed" in client.get(register.url).content.decode()
        assert client.get(register.url)["X-Cache"] == "hit"
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        html = client.get(register.url).content.decode()
    assert 'class="register-form"' in html


# --- Deleting a register page never deletes its entries ---------------------------------------


def test_deleting_a_register_with_entries_is_refused_with_a_message(register, admin_client):
    make_entry(register)
    for method in (admin_client.get, admin_client.post):
        response = method(f"/admin/pages/{register.pk}/delete/", follow=True)
        assert response.status_code == 200
        shown = [str(m) for m in response.context["messages"]]
        assert any("Not deleted" in m and "holds 1 entry" in m for m in shown), shown
    assert InterestRegisterPage.objects.filter(pk=register.pk).exists()
    assert RegisterEntry.objects.filter(page=register).count() == 1


def test_deleting_the_focus_group_above_a_register_with_entries_is_refused(register, admin_client):
    make_entry(register, 1)
    make_entry(register, 2)
    focus_group = register.get_parent()
    response = admin_client.post(f"/admin/pages/{focus_group.pk}/delete/")
    assert response.status_code == 302
    assert Page.objects.filter(pk=focus_group.pk).exists()
    assert RegisterEntry.objects.count() == 2


@pytest.mark.parametrize("reference_index", ["up to date", "emptied"])
def test_bulk_deleting_a_register_with_entries_is_refused(register, admin_client, reference_index):
    """Wagtail's reference index knows the entries protect their page and refuses; if the index
    is out of date (entries imported without it), the site's own check still refuses."""
    from wagtail.models import ReferenceIndex

    make_entry(register)
    if reference_index == "emptied":
        ReferenceIndex.objects.all().delete()
    response = admin_client.post(
        f"/admin/bulk/wagtailcore/page/delete/?id={register.pk}", follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    assert shown, "the editor is told why nothing was deleted"
    if reference_index == "emptied":
        assert any("Not deleted" in m and "holds 1 entry" in m for m in shown), shown
    assert RegisterEntry.objects.filter(page=register).count() == 1


def test_a_register_without_entries_can_be_deleted(register, admin_client):
    response = admin_client.post(f"/admin/pages/{register.pk}/delete/")
    assert response.status_code == 302
    assert not InterestRegisterPage.objects.filter(pk=register.pk).exists()


def test_the_database_itself_refuses_to_delete_entries_with_their_register(register):
    from django.db.models import ProtectedError

    make_entry(register)
    with pytest.raises(ProtectedError):
        Page.objects.get(pk=register.pk).delete()


# --- each register speaks about its own group --------------------------------------------

TAVI = {
    "section_heading": "TAVI experience and training",
    "experience_label": "Experience relevant to TAVI",
    "experience_hint": "Pick the answer closest to what you do now.",
    "experience_choices": "None yet\nI have done TAVI under supervision\nI do TAVI independently",
    "intention_label": "When do you intend to seek TAVI training?",
    "intention_hint": "A rough guess is fine.",
    "partner_name": "UK TAVI audit",
    "partner_purpose": "audits TAVI outcomes across the UK",
    "confirmation_intro": "Thank you for telling the structural heart group about your plans.",
}
TAVI_ANSWER = "I have done TAVI under supervision"

THROMBECTOMY_WORDING = [
    "Thrombectomy experience and training",
    "Experience relevant to thrombectomy",
    "Choose the one that describes your most advanced experience.",
    "None yet",
    "I have observed thrombectomy procedures",
    "I have done diagnostic cerebral angiography",
    "I have done carotid or other neck artery stenting",
    "I have done thrombectomy under supervision",
    "I do thrombectomy as an independent operator",
    "When do you intend to seek thrombectomy training?",
    "Your best estimate today; you can change it later.",
    "Share my details with the NHS England thrombectomy programme",
    "Optional. Your name, hospital, region and training plans are passed to the programme "
    "that plans the national thrombectomy workforce.",
]


@pytest.fixture
def tavi_register(make_register, make_focus_group):
    group = make_focus_group(slug="structural-heart", title="Structural Heart Interventions", n=0)
    return make_register(
        slug="tavi-register",
        group=group,
        title="Structural heart interest register",
        questions=[
            RegisterFormField(
                label="Heart team meeting weekly?",
                help_text="At your main hospital.",
                field_type="radio",
                choices="Yes\nNo",
                required=False,
            )
        ],
        **TAVI,
    )


def form_html(client, page):
    html = client.get(page.url).content.decode()
    return re.search(r'<form class="register-form".*?</form>', html, re.S).group(0)


def test_a_second_register_asks_its_own_experience_and_training_questions(client, tavi_register):
    html = form_html(client, tavi_register)
    for text in (
        "TAVI experience and training",
        "Experience relevant to TAVI",
        "Pick the answer closest to what you do now.",
        "None yet",
        TAVI_ANSWER,
        "I do TAVI independently",
        "When do you intend to seek TAVI training?",
        "A rough guess is fine.",
        "Within the next 12 months",  # the fixed scale
    ):
        assert text in html
    assert "thrombectomy" not in html.lower()


def test_a_second_registers_answers_are_stored_by_their_words_on_the_fixed_scale(
    client, tavi_register
):
    response = post(client, tavi_register, experience=TAVI_ANSWER)
    assert response.status_code == 302
    entry = RegisterEntry.objects.get()
    assert entry.experience == TAVI_ANSWER
    assert entry.training_intention == "within_12_months"
    # An answer only another register offers is refused.
    response = post(client, tavi_register, email="b@example.org", experience="None yet!")
    assert "Select your experience from the list" in response.content.decode()


def test_a_second_registers_errors_name_its_own_questions(client, tavi_register):
    html = post(client, tavi_register, experience=None, training_intention=None).content.decode()
    summary = re.search(r'class="error-summary.*?</div>', html, re.S).group(0)
    assert "Answer the question &#x27;Experience relevant to TAVI&#x27;" in summary
    assert "Answer the question &#x27;When do you intend to seek TAVI training?&#x27;" in summary
    assert 'href="#id_experience_0"' in summary
    assert "thrombectomy" not in summary


def test_a_second_registers_confirmation_email_speaks_about_its_own_group(
    client, tavi_register, send_on_commit
):
    send_on_commit(client, tavi_register, experience=TAVI_ANSWER)
    (confirmation,) = [m for m in mail.outbox if m.to == ["alex.example@nhs.example"]]
    body = confirmation.body
    assert body.split("\n\n")[1] == TAVI["confirmation_intro"]
    assert f"Experience relevant to TAVI: {TAVI_ANSWER}" in body
    assert "Share with the UK TAVI audit: no" in body
    assert "thrombectomy" not in body.lower()


def test_the_partner_box_names_the_registers_programme(client, tavi_register):
    html = form_html(client, tavi_register)
    assert "Share my details with the UK TAVI audit" in html
    assert "passed to the programme that audits TAVI outcomes across the UK." in html
    post(client, tavi_register, experience=TAVI_ANSWER, consent_share="on")
    assert RegisterEntry.objects.get().consent_share_at is not None


def test_the_partner_box_is_absent_when_the_register_shares_with_nobody(
    client, make_register, send_on_commit
):
    register = make_register(ask_to_share=False)
    html = form_html(client, register)
    assert 'name="consent_share"' not in html
    assert "Share my details" not in html
    send_on_commit(client, register, consent_share="on")
    entry = RegisterEntry.objects.get()
    assert entry.consent_share_at is None
    (confirmation,) = [m for m in mail.outbox if m.to == ["alex.example@nhs.example"]]
    assert "Share with" not in confirmation.body
    # Updating the entry later leaves a consent given before the box was removed as it was.
    RegisterEntry.objects.filter(pk=entry.pk).update(consent_share_at=NOW)
    data = register_post_data()
    data.pop("email")
    client.post(manage_path(register, entry), data)
    entry.refresh_from_db()
    assert entry.consent_share_at == NOW


def test_the_thrombectomy_register_reads_as_it_always_has(client, register, send_on_commit):
    html = form_html(client, register)
    for text in THROMBECTOMY_WORDING:
        assert text in html, text
    errors = post(client, register, experience=None, training_intention=None).content.decode()
    assert "Select your experience relevant to thrombectomy" in errors
    assert "Select when you intend to seek thrombectomy training" in errors
    send_on_commit(client, register)
    (confirmation,) = [m for m in mail.outbox if m.to == ["alex.example@nhs.example"]]
    assert confirmation.body.split("\n\n")[1] == (
        "Thank you for joining the Stroke thrombectomy interest register of the British "
        "Cardiovascular Interventional Society."
    )
    assert "Experience: I have done carotid or other neck artery stenting" in confirmation.body
    assert "Training intention: Within the next 12 months" in confirmation.body
    assert "Share with the NHS England thrombectomy programme: no" in confirmation.body


def test_a_register_needs_two_distinct_experience_answers_and_a_named_partner(register):
    from django.core.exceptions import ValidationError

    for changes, field in (
        ({"experience_choices": "Only one"}, "experience_choices"),
        ({"experience_choices": "Same\nSame"}, "experience_choices"),
        ({"partner_name": " "}, "partner_name"),
    ):
        page = InterestRegisterPage.objects.get(pk=register.pk)
        for name, value in changes.items():
            setattr(page, name, value)
        with pytest.raises(ValidationError) as raised:
            page.full_clean()
        assert field in raised.value.message_dict
    page = InterestRegisterPage.objects.get(pk=register.pk)
    page.ask_to_share, page.partner_name = False, ""
    page.full_clean()


def test_a_new_partner_is_recorded_in_the_consent_version(client, tavi_register, register):
    post(client, tavi_register, experience=TAVI_ANSWER)
    post(client, register)
    versions = dict(RegisterEntry.objects.values_list("page_id", "consent_wording_version"))
    assert versions[tavi_register.pk].endswith("; sharing with UK TAVI audit")
    assert versions[register.pk] == "consent-2026-11; privacy notice 1"


def export_rows(client, query):
    response = client.get(ADMIN_INDEX + query)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


CORE_HEADINGS = [
    "Registered (UK time)",
    "Register",
    "Full name",
    "Email",
    "GMC number",
    "Role",
    "Role (if other)",
    "Hospital or trust",
    "Region",
    "Experience",
    "Experience details",
    "Training intention",
    "Comments",
    "Agreed to privacy notice (UK time)",
    "Agreed to contact about training (UK time)",
    "Agreed to sharing with partner programme (UK time)",
    "Consent wording version",
    "Last confirmed (UK time)",
]


def test_counts_and_exports_keep_the_same_columns_for_every_register(
    manager, register, tavi_register
):
    make_entry(register, 1, experience="None yet", region="wales")
    make_entry(tavi_register, 2, experience=TAVI_ANSWER, region="wales")
    client = client_for(manager)
    heart, *heart_rows = export_rows(client, f"?register={tavi_register.pk}&export=csv")
    stroke, *stroke_rows = export_rows(client, f"?register={register.pk}&export=csv")
    assert heart[: len(CORE_HEADINGS)] == stroke[: len(CORE_HEADINGS)] == CORE_HEADINGS
    row = dict(zip(heart, heart_rows[0], strict=True))
    assert row["Experience"] == TAVI_ANSWER
    assert row["Training intention"] == "Within the next 12 months"
    assert row["Register"] == "Structural heart interest register"
    pictures = [
        picture_for_entries(RegisterEntry.objects.filter(page=page))
        for page in (register, tavi_register)
    ]
    shapes = [
        [(b.slug, [r.key for r in b.rows]) for b in picture["breakdowns"]] for picture in pictures
    ]
    assert shapes[0] == shapes[1]
    assert [b.slug for b in pictures[0]["breakdowns"]] == ["region", "intention"]


def test_each_registers_export_holds_only_its_own_questions(manager, register, tavi_register):
    make_entry(register, 1, extra_answers={"stroke_unit_on_site": "Yes"})
    make_entry(tavi_register, 2, extra_answers={"heart_team_meeting_weekly": "No"})
    client = client_for(manager)
    stroke = export_rows(client, f"?register={register.pk}&export=csv")[0]
    assert stroke[len(CORE_HEADINGS) :] == ["Stroke unit on site?"]
    heart = export_rows(client, f"?register={tavi_register.pk}&export=csv")[0]
    assert heart[len(CORE_HEADINGS) :] == ["Heart team meeting weekly?"]
    both = export_rows(client, "?export=csv")[0]
    assert set(both[len(CORE_HEADINGS) :]) == {
        "Stroke unit on site?",
        "Heart team meeting weekly?",
    }


def test_each_registers_xlsx_export_holds_only_its_own_questions(manager, register, tavi_register):
    make_entry(register, 1, extra_answers={"stroke_unit_on_site": "Yes"})
    make_entry(tavi_register, 2, extra_answers={"heart_team_meeting_weekly": "No"})
    client = client_for(manager)
    for page, question in [
        (register, "Stroke unit on site?"),
        (tavi_register, "Heart team meeting weekly?"),
    ]:
        sheet = load_workbook(io.BytesIO(xlsx_export(client, f"&register={page.pk}"))).active
        assert [cell.value for cell in sheet[1]][len(CORE_HEADINGS) :] == [question]


def test_a_register_with_no_entries_yet_exports_its_own_question_columns(manager, tavi_register):
    header, *rows = export_rows(client_for(manager), f"?register={tavi_register.pk}&export=csv")
    assert rows == []
    assert header[len(CORE_HEADINGS) :] == ["Heart team meeting weekly?"]


# --- register managers tell registers apart ----------------------------------------------


def test_entries_list_shows_each_entrys_register_and_filters_by_register(
    manager, register, tavi_register
):
    make_entry(register, 1, full_name="Ann Alpha")
    make_entry(tavi_register, 2, full_name="Bob Beta")
    client = client_for(manager)
    html = client.get(ADMIN_INDEX).content.decode()
    cells = re.findall(r'<td class="field-register[^"]*">(.*?)</td>', html, re.S)
    assert sorted(cell.strip() for cell in cells) == [
        "Stroke thrombectomy interest register",
        "Structural heart interest register",
    ]
    filtered = client.get(f"{ADMIN_INDEX}?register={tavi_register.pk}").content.decode()
    assert "Bob Beta" in filtered and "Ann Alpha" not in filtered
    assert "Structural heart interest register" in filtered


def test_entries_list_search_finds_a_gmc_number(manager, register):
    make_entry(register, 1, full_name="Ann Alpha")  # GMC number 1000001
    make_entry(register, 2, full_name="Bob Beta")
    html = client_for(manager).get(f"{ADMIN_INDEX}?q=1000002").content.decode()
    assert "Bob Beta" in html and "Ann Alpha" not in html


def test_entries_list_keeps_words_whole_with_a_stylesheet_not_inline_styles(manager, register):
    make_entry(register, 1)
    html = client_for(manager).get(ADMIN_INDEX).content.decode()
    assert re.search(r'<body[^>]*class="[^"]*\bregister-entries\b', html)
    assert re.search(r'<link rel="stylesheet" href="/static/registry/admin\.css"', html)
    table = re.search(r'<table class="listing.*?</table>', html, re.S).group(0)
    assert "style=" not in table
    css = (Path(__file__).parent.parent / "registry/static/registry/admin.css").read_text()
    rule = re.search(r"\.register-entries \.listing \.title \{(.*?)\}", css, re.S).group(1)
    assert "word-break: normal" in rule and "overflow-wrap: normal" in rule


def test_dashboard_panel_shows_each_registers_counts(manager, register, tavi_register):
    with time_machine.travel(NOW, tick=False):
        for i in range(3):
            make_entry(register, i, created_at=NOW, email_problem="bounced" if i == 0 else "")
        make_entry(register, 5, created_at=NOW - dt.timedelta(days=45))
        make_entry(tavi_register, 6, created_at=NOW)
        html = client_for(manager).get("/admin/").content.decode()
    panel = re.search(r'id="interest-register-section".*?</section>', html, re.S).group(0)
    rows = dict(
        re.findall(
            r'<tr><th scope="row"><a href="[^"]*\?register=\d+">([^<]+)</a></th>'
            r"(<td>\d+</td><td>\d+</td><td>\d+</td>)</tr>",
            panel,
        )
    )
    assert rows == {
        "Stroke thrombectomy interest register": "<td>4</td><td>3</td><td>1</td>",
        "Structural heart interest register": "<td>1</td><td>1</td><td>0</td>",
    }


# --- a group's first register becomes its call to action --------------------------------


def test_a_groups_first_register_becomes_its_call_to_action(
    client, make_focus_group, make_register
):
    group = make_focus_group(slug="structural-heart", n=0)
    assert group.call_to_action_page_id is None
    group.summary = "A draft an editor has not published yet."
    group.save_revision()
    register = make_register(group=group)
    group = FocusGroupPage.objects.get(pk=group.pk)
    assert group.call_to_action_page_id == register.pk
    # The group's draft agrees, so publishing the draft later keeps the button.
    group.latest_revision.publish()
    group = FocusGroupPage.objects.get(pk=group.pk)
    assert group.summary == "A draft an editor has not published yet."
    assert group.call_to_action_page_id == register.pk
    assert f'href="{register.url}"' in client.get(group.url).content.decode()


def test_an_editors_call_to_action_is_never_replaced(make_focus_group, make_register):
    group = make_focus_group(slug="structural-heart", n=0)
    chosen = Page.objects.get(slug="focus-groups")
    group.call_to_action_page = chosen
    group.save_revision().publish()
    make_register(group=group)
    assert FocusGroupPage.objects.get(pk=group.pk).call_to_action_page_id == chosen.pk


def test_only_the_first_publish_chooses_the_call_to_action(make_focus_group, make_register):
    group = make_focus_group(slug="structural-heart", n=0)
    register = make_register(group=group)
    group = FocusGroupPage.objects.get(pk=group.pk)
    group.call_to_action_page = None  # the editor hides the box on purpose
    group.save_revision().publish()
    register.save_revision().publish()
    assert FocusGroupPage.objects.get(pk=group.pk).call_to_action_page_id is None
