"""The data migration that moved the staff notification addresses off the register page
(registry 0004 and 0005): each register's addresses are carried over to its
RegisterNotificationSettings, and taken out of the page's saved revisions."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from wagtail.models import Revision

from registry.models import InterestRegisterPage, RegisterNotificationSettings

# serialized_rollback: rows made by migrations (the root page, groups) are restored after
# this test flushes the database.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("registry", "0003_protect_entries_from_page_deletion")


def migrate(target=None):
    """Migrate the registry app to `target` (its latest migration if None); the apps then."""
    executor = MigrationExecutor(connection)
    if target is None:
        (target,) = executor.loader.graph.leaf_nodes("registry")
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def test_addresses_move_off_the_page_and_out_of_its_revisions(make_register, make_focus_group):
    register = make_register(staff_notification_addresses="kept@bcis.example")
    other_group = make_focus_group(slug="other", n=0)
    quiet = make_register(group=other_group, staff_notification_addresses="")
    try:
        old = migrate(BEFORE)
        OldPage = old.get_model("registry", "InterestRegisterPage")
        # Going back puts the addresses on the page again.
        # (values only: the historical page class cannot be instantiated.)
        kept = OldPage.objects.filter(pk=register.pk).values_list(
            "staff_notification_addresses", flat=True
        )
        assert list(kept) == ["kept@bcis.example"]
        # As an editor could have set them before the change, in the page and its revision.
        OldPage.objects.filter(pk=register.pk).update(
            staff_notification_addresses="lead@bcis.example"
        )
        OldRevision = old.get_model("wagtailcore", "Revision")
        revision = OldRevision.objects.get(pk=register.latest_revision_id)
        revision.content["staff_notification_addresses"] = "lead@bcis.example"
        revision.save()
    finally:
        migrate()

    assert InterestRegisterPage.objects.get(pk=register.pk).get_staff_addresses() == [
        "lead@bcis.example"
    ]
    assert not RegisterNotificationSettings.objects.filter(page_id=quiet.pk).exists()
    revision = Revision.objects.get(pk=register.latest_revision_id)
    assert "staff_notification_addresses" not in revision.content
    assert revision.content["title"] == register.title  # the rest of the revision is intact


BEFORE_WORDING = ("registry", "0005_remove_interestregisterpage_staff_notification_addresses")


def test_existing_registers_keep_the_thrombectomy_wording_and_entries_their_answers(
    make_register,
):
    from registry.choices import DEFAULT_EXPERIENCE_LABEL, DEFAULT_PARTNER_NAME
    from registry.models import RegisterEntry

    register = make_register()
    entry = RegisterEntry.objects.create(
        page=register,
        full_name="Ann Alpha",
        email="ann@example.org",
        gmc_number="1234567",
        role="consultant",
        hospital="Cardiff",
        region="wales",
        experience="I have done carotid or other neck artery stenting",
        training_intention="undecided",
        consent_privacy_at="2026-11-01T12:00:00Z",
        consent_wording_version="test",
    )
    try:
        old = migrate(BEFORE_WORDING)
        OldEntry = old.get_model("registry", "RegisterEntry")
        # Before, entries held keys; going back turns the words into keys again.
        assert OldEntry.objects.get(pk=entry.pk).experience == "carotid_stenting"
        OldEntry.objects.filter(pk=entry.pk).update(experience="supervised")
    finally:
        migrate()
    entry = RegisterEntry.objects.get(pk=entry.pk)
    assert entry.experience == "I have done thrombectomy under supervision"
    page = InterestRegisterPage.objects.get(pk=register.pk)
    assert page.experience_label == DEFAULT_EXPERIENCE_LABEL
    assert page.partner_name == DEFAULT_PARTNER_NAME and page.ask_to_share
