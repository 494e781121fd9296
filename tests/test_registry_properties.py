"""Property-based test: whatever arrives at the register form, the server never fails, and
an entry is saved only when every answer is valid."""

import os

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.choices import EXPERIENCE_CHOICES, INTENTION_CHOICES, REGION_CHOICES, ROLE_CHOICES
from registry.models import RegisterEntry
from tests.conftest import register_post_data

pytestmark = pytest.mark.django_db

# Text from every Unicode plane except lone surrogates, which cannot be sent as UTF-8.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
nasty_text = st.one_of(
    any_text,
    st.sampled_from(
        ["", " ", "\x00", "\u202e", "=cmd|' /C calc'!A0", "a" * 3000, "１２３４５６７"]
    ),
    st.text(alphabet="0123456789 ", max_size=12),
)


def choice_values(choices):
    return st.one_of(st.sampled_from([key for key, _ in choices]), any_text)


FIELDS = {
    "full_name": nasty_text,
    "email": st.one_of(st.emails(), nasty_text),
    "gmc_number": nasty_text,
    "role": choice_values(ROLE_CHOICES),
    "role_other": nasty_text,
    "hospital": nasty_text,
    "region": choice_values(REGION_CHOICES),
    # Experience answers are stored as their words (each register words its own).
    "experience": st.one_of(st.sampled_from([label for _, label in EXPERIENCE_CHOICES]), any_text),
    "experience_details": nasty_text,
    "training_intention": choice_values(INTENTION_CHOICES),
    "comments": nasty_text,
    "consent_privacy": st.sampled_from(["on", "", "off", "\x00"]),
    "consent_contact": st.sampled_from(["on", ""]),
    "extra_stroke_unit_on_site": st.one_of(st.sampled_from(["Yes", "No", ""]), any_text),
    "unexpected_field": any_text,
}

# Each example starts from the valid answers and replaces or drops a random subset of them.
submissions = st.fixed_dictionaries(
    {},
    optional={name: st.one_of(st.none(), strategy) for name, strategy in FIELDS.items()},
)


# 1,000 examples in `make test` and CI; `make test-fast` sets fewer for the inner loop.
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", 1000))


def test_no_generated_input_causes_a_server_error(make_register, settings_override):
    register = make_register()
    client = Client()
    outcomes = {200: 0, 302: 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(submissions)
    def check(changes):
        data = register_post_data()
        data["email"] = f"{len(changes)}-{abs(hash(repr(changes)))}@example.org"
        for name, value in changes.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        before = RegisterEntry.objects.count()
        response = client.post(register.url, data)
        assert response.status_code in (200, 302), response.status_code
        outcomes[response.status_code] += 1
        saved = RegisterEntry.objects.count() - before
        if response.status_code == 200:
            assert saved == 0
            assert 'class="error-summary"' in response.content.decode()
        else:
            assert saved <= 1  # 0 if this email was already on the register
        if saved:
            entry = RegisterEntry.objects.order_by("-pk").first()
            assert len(entry.gmc_number) == 7 and entry.gmc_number.isascii()
            assert entry.gmc_number.isdigit()
            assert entry.full_name and entry.hospital and "\x00" not in entry.full_name

    check()
    # Both refusals and accepted entries were exercised, over every generated input.
    assert sum(outcomes.values()) >= EXAMPLES
    assert outcomes[200] > EXAMPLES // 10 and outcomes[302] > EXAMPLES // 100, outcomes


@pytest.fixture
def settings_override(settings):
    """The rate limit is tested on its own; here every example must reach the form."""
    settings.REGISTRY_RATE_LIMIT = 10**9
    cache.clear()
