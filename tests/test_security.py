"""The site's locked doors: lockout, private content, response headers, uploads, roles."""

import datetime as dt
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import clear_url_caches
from wagtail.documents import get_document_model
from wagtail.models import (
    BaseViewRestriction,
    Collection,
    CollectionViewRestriction,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
)

from home.models import StandardPage

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery-staple"
PRIVATE_PATH = "/focus-groups/stroke-thrombectomy/draft-published-paper/"


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user(
        "hrout", email="helen@example.org", password=PASSWORD, first_name="Helen"
    )


@pytest.fixture
def editor(db):
    user = get_user_model().objects.create_user(
        "comms", email="comms@example.org", password=PASSWORD
    )
    user.groups.add(Group.objects.get(name="Communications editors"))
    return user


# Brute force: django-axes -------------------------------------------------------------------

SIGN_IN_PAGES = ["/accounts/login/", "/admin/login/"]


def attempt(client, url, username, password, address="203.0.113.5"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("url", SIGN_IN_PAGES, ids=["front end", "admin"])
def test_five_failures_lock_the_username_and_address_out_with_a_429(client, member, url):
    member.is_staff = True  # so that the admin sign-in would accept the right password
    member.is_superuser = True
    member.save()
    for _ in range(4):
        assert attempt(client, url, "hrout", "wrong-guess").status_code == 200
    locked = attempt(client, url, "hrout", "wrong-guess")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    html = locked.content.decode()
    assert "Too many failed sign-in attempts" in html
    assert "paused for 15 minutes after 5 failed attempts" in html
    # The right password during the lockout is refused too, without signing in.
    right = attempt(client, url, "hrout", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", SIGN_IN_PAGES, ids=["front end", "admin"])
def test_lockout_ends_after_fifteen_minutes(client, member, url):
    member.is_superuser = True
    member.save()
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(5):
            attempt(client, url, "hrout", "wrong-guess")
        clock.shift(dt.timedelta(minutes=14))
        assert attempt(client, url, "hrout", PASSWORD).status_code == 429
        clock.shift(dt.timedelta(minutes=16))
        response = attempt(client, url, "hrout", PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(member.pk)


def test_lockout_is_per_username_and_address_pair(client, member):
    other = get_user_model().objects.create_user("other", password=PASSWORD)
    for _ in range(5):
        attempt(client, "/accounts/login/", "hrout", "wrong-guess")
    # The same member from another address, and another member from the same address, may try.
    assert attempt(client, "/accounts/login/", "hrout", PASSWORD, "198.51.100.7").status_code == 302
    client.logout()
    response = attempt(client, "/accounts/login/", "other", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


def test_failures_from_the_front_end_and_admin_count_together(client, member):
    for _ in range(3):
        attempt(client, "/accounts/login/", "hrout", "wrong-guess")
    attempt(client, "/admin/login/", "hrout", "wrong-guess")
    assert attempt(client, "/admin/login/", "hrout", "wrong-guess").status_code == 429


def test_a_successful_sign_in_clears_earlier_failures(client, member):
    for _ in range(4):
        attempt(client, "/accounts/login/", "hrout", "wrong-guess")
    assert attempt(client, "/accounts/login/", "hrout", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "/accounts/login/", "hrout", "wrong-guess").status_code == 200


def test_shared_password_privacy_is_not_offered_so_its_form_cannot_be_guessed_at():
    """Wagtail's shared-password form has no rate limit; the option is switched off."""
    from wagtail.admin.forms.collections import CollectionViewRestrictionForm
    from wagtail.admin.forms.pages import PageViewRestrictionForm

    every_option = StandardPage.private_page_options
    for form in (
        PageViewRestrictionForm(private_page_options=every_option),
        CollectionViewRestrictionForm(),
    ):
        choices = [value for value, _ in form.fields["restriction_type"].choices]
        assert "password" not in form.fields
        assert BaseViewRestriction.PASSWORD not in choices
        assert BaseViewRestriction.LOGIN in choices


# Members-only pages and documents -----------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in_and_back(demo_site, client, member):
    response = client.get(PRIVATE_PATH)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PRIVATE_PATH}"
    back = client.post(
        "/accounts/login/", {"username": "hrout", "password": PASSWORD, "next": PRIVATE_PATH}
    )
    assert back["Location"] == PRIVATE_PATH
    html = client.get(PRIVATE_PATH).content.decode()
    assert "Draft of the published paper (members only)" in html


def test_private_page_is_kept_out_of_listings_search_and_sitemap(demo_site, client):
    page = StandardPage.objects.get(slug="draft-published-paper")
    assert page.get_view_restrictions().filter(restriction_type="login").exists()
    assert "draft-published-paper" not in client.get("/sitemap.xml").content.decode()
    results = client.get("/search/", {"query": "draft published paper"}).content.decode()
    assert PRIVATE_PATH not in results


def private_document(make_document):
    collection = Collection.get_first_root_node().add_child(name="Members only")
    CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=BaseViewRestriction.LOGIN
    )
    document = make_document(title="Members' draft", filename="members-draft.pdf")
    document.collection = collection
    document.save()
    return document


def test_private_document_is_refused_to_anonymous_visitors(client, make_document, home_page):
    document = private_document(make_document)
    response = client.get(document.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/documents/")


def test_private_document_is_served_to_members_as_a_download(
    client, make_document, member, home_page
):
    document = private_document(make_document)
    client.force_login(member)
    response = client.get(document.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_public_documents_are_downloads_with_a_deny_all_policy_too(client, make_document):
    document = make_document(filename="public-paper.pdf")
    assert document.url.startswith("/documents/")
    response = client.get(document.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "default-src 'none'"


def load_debug_urlconf(settings):
    """config/urls.py as it is built when DEBUG is on (the development server)."""
    settings.DEBUG = True
    spec = importlib.util.spec_from_file_location("debug_urlconf", ROOT / "config" / "urls.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["debug_urlconf"] = module
    settings.ROOT_URLCONF = "debug_urlconf"
    clear_url_caches()
    settings.DEBUG = False


def test_direct_media_urls_never_serve_documents(client, make_document, settings, home_page):
    document = make_document(filename="members-draft.pdf")
    name = Path(document.file.name).name
    image_dir = Path(settings.MEDIA_ROOT) / "original_images"
    image_dir.mkdir(parents=True)
    (image_dir / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    # Production: no media URLs at all.
    assert client.get(f"/media/documents/{name}").status_code == 404
    # Development: images are served from /media/, documents still are not.
    load_debug_urlconf(settings)
    try:
        assert client.get("/media/original_images/photo.png").status_code == 200
        assert client.get(f"/media/documents/{name}").status_code == 404
        assert client.get(f"/media/{document.file.name}").status_code == 404
    finally:
        sys.modules.pop("debug_urlconf", None)
        clear_url_caches()


def test_documents_are_served_through_wagtails_view_not_a_storage_url(settings):
    assert settings.WAGTAILDOCS_SERVE_METHOD == "serve_view"
    assert settings.WAGTAILDOCS_INLINE_CONTENT_TYPES == []


# Response headers ---------------------------------------------------------------------------


def csp_directives(header):
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# One URL of every kind of HTML page the public sees, and the status it answers with.
HTML_PAGES = [
    ("/", 200),
    ("/focus-groups/", 200),
    ("/focus-groups/stroke-thrombectomy/", 200),
    ("/search/?query=stroke", 200),
    ("/no-such-page/", 404),
    ("/accounts/login/", 200),
    ("/accounts/password-reset/", 200),
    ("/accounts/password-reset/sent/", 200),
    ("/accounts/reset/MQ/bad-token/", 200),
    ("/accounts/signed-out/", 200),
]


def assert_security_headers(response, label):
    headers = response.headers
    csp = csp_directives(headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"], label
    assert csp["object-src"] == ["'none'"], label
    assert csp["base-uri"] == ["'none'"], label
    assert csp["frame-ancestors"] == ["'none'"], label
    assert csp["form-action"] == ["'self'"], label
    script_src = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, label
    assert "'unsafe-inline'" not in csp.get("style-src", []), label
    assert headers["X-Content-Type-Options"] == "nosniff", label
    assert headers["Referrer-Policy"] in {"strict-origin-when-cross-origin", "same-origin"}, label
    permissions = headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions, label
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", label
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin", label
    assert headers["X-Frame-Options"] == "DENY", label


def test_every_public_html_page_type_carries_the_security_headers(demo_site, client, member):
    for url, status in HTML_PAGES:
        response = client.get(url)
        assert response.status_code == status, url
        assert_security_headers(response, url)


def test_members_pages_and_the_lockout_page_carry_the_security_headers(demo_site, client, member):
    client.force_login(member)
    for url in (PRIVATE_PATH, "/accounts/password-change/", "/accounts/password-change/done/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response, url)
    client.logout()
    for _ in range(5):
        locked = attempt(client, "/accounts/login/", "hrout", "wrong-guess")
    assert locked.status_code == 429
    assert_security_headers(locked, "lockout page")


def test_public_pages_have_no_inline_script_or_style_the_policy_would_block(
    demo_site, client, member
):
    client.force_login(member)  # the header's sign-out form too
    for url, _status in HTML_PAGES + [(PRIVATE_PATH, 200)]:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html, url
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_admin_gets_its_own_looser_policy_and_public_pages_do_not(client, admin_user):
    response = client.get("/admin/login/")
    csp = csp_directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" in csp["script-src"]
    assert csp["frame-ancestors"] == ["'self'"]  # the editor's preview panel
    assert csp["object-src"] == ["'none'"]
    assert response["Permissions-Policy"].startswith("camera=()")
    public = csp_directives(client.get("/accounts/login/")["Content-Security-Policy"])
    assert "'unsafe-inline'" not in public["script-src"]


def production_settings(*names):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "a-sample-production-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "focusgroups.bcis.org.uk",
        }
    )
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_sends_hsts_for_a_year_and_secure_httponly_samesite_cookies():
    values = production_settings(
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SAMESITE",
    )
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_SSL_REDIRECT"] is True
    for cookie in ("SESSION", "CSRF"):
        assert values[f"{cookie}_COOKIE_SECURE"] is True
        assert values[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert values[f"{cookie}_COOKIE_SAMESITE"] in {"Lax", "Strict"}


def test_hsts_header_is_sent_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# Uploads ------------------------------------------------------------------------------------


def upload_document(client, name, content):
    return client.post(
        "/admin/documents/add/",
        {
            "title": name,
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile(name, content),
        },
    )


@pytest.mark.parametrize(
    "name", ["paper.pdf", "minutes.docx", "budget.xlsx", "slides.pptx", "notes.txt", "old.doc"]
)
def test_editors_can_upload_the_document_types_the_society_uses(client, editor, name):
    client.force_login(editor)
    response = upload_document(client, name, b"%PDF-1.4 demo content")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert get_document_model().objects.filter(title=name).exists()


@pytest.mark.parametrize("name", ["logo.svg", "page.html", "page.htm", "script.js", "app.exe"])
def test_document_uploads_of_other_types_are_refused(client, editor, name):
    client.force_login(editor)
    response = upload_document(client, name, b"<svg onload=alert(1)></svg>")
    assert response.status_code == 200
    assert "File extension" in response.content.decode()
    assert not get_document_model().objects.filter(title=name).exists()


def test_documents_over_20_mb_are_refused(client, editor, settings):
    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE == 20 * 1024 * 1024
    client.force_login(editor)
    response = upload_document(client, "huge.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024))
    assert response.status_code == 200
    assert "This file is too big" in response.content.decode()
    assert not get_document_model().objects.filter(title="huge.pdf").exists()


def upload_image(client, name, content):
    return client.post(
        "/admin/images/add/",
        {
            "title": name,
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile(name, content),
        },
    )


def png(width, height, mode="RGB"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def test_images_upload_but_svg_is_refused(client, editor):
    from wagtail.images import get_image_model

    client.force_login(editor)
    assert upload_image(client, "photo.png", png(40, 30)).status_code == 302
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = upload_image(client, "logo.svg", svg)
    assert response.status_code == 200
    assert "Not a supported image format" in response.content.decode()
    assert list(get_image_model().objects.values_list("title", flat=True)) == ["photo.png"]


def test_images_over_the_size_and_pixel_limits_are_refused(client, editor, settings):
    from wagtail.images import get_image_model

    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
    client.force_login(editor)
    too_big = png(10, 10) + b"\0" * (10 * 1024 * 1024)
    response = upload_image(client, "big.png", too_big)
    assert "This file is too big" in response.content.decode()
    too_many_pixels = png(8000, 5001, mode="1")  # just over 40 million pixels
    response = upload_image(client, "wide.png", too_many_pixels)
    assert "This file has too many pixels" in response.content.decode()
    assert not get_image_model().objects.exists()


# Roles --------------------------------------------------------------------------------------


def test_communications_editors_have_page_image_and_document_rights_only():
    group = Group.objects.get(name="Communications editors")
    root_page = Page.get_first_root_node()
    page_perms = set(
        GroupPagePermission.objects.filter(group=group, page=root_page).values_list(
            "permission__codename", flat=True
        )
    )
    assert page_perms == {"add_page", "change_page", "publish_page", "lock_page", "unlock_page"}
    collection_perms = set(
        GroupCollectionPermission.objects.filter(
            group=group, collection=Collection.get_first_root_node()
        ).values_list("permission__codename", flat=True)
    )
    assert collection_perms == {
        f"{action}_{kind}"
        for action in ("add", "change", "choose", "delete")
        for kind in ("image", "document")
    }
    model_perms = set(group.permissions.values_list("codename", flat=True))
    assert model_perms == {
        "access_admin",
        "change_sitesettings",
        # Promoted search results (search/migrations/0001_communications_editors_promote_results)
        "add_searchpromotion",
        "change_searchpromotion",
        "delete_searchpromotion",
    }
    register_perms = Permission.objects.filter(content_type__app_label="registry")
    assert not group.permissions.filter(pk__in=register_perms).exists()


def test_communications_editor_can_edit_pages_images_documents_and_site_settings(
    client, editor, home_page
):
    client.force_login(editor)
    for url in (
        "/admin/",
        f"/admin/pages/{home_page.pk}/edit/",
        f"/admin/pages/{home_page.pk}/add_subpage/",
        "/admin/images/add/",
        "/admin/documents/add/",
        "/admin/settings/home/sitesettings/",
    ):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        # Not bounced back to the dashboard or the sign-in page for want of permission.
        final = response.redirect_chain[-1][0] if response.redirect_chain else url
        assert final.startswith(url), (url, final)


def test_communications_editor_cannot_manage_users_groups_or_the_register(client, editor):
    client.force_login(editor)
    for url in ("/admin/users/", "/admin/groups/", "/admin/sites/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/admin/", url
    assert not editor.has_perm("auth.change_user")
    assert not any(perm.startswith("registry.") for perm in editor.get_all_permissions())


def test_a_member_without_a_role_cannot_open_the_admin(client, member):
    client.force_login(member)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_demo_content_has_one_members_only_page_and_a_private_paper(demo_site):
    page = StandardPage.objects.get(slug="draft-published-paper")
    assert page.url == PRIVATE_PATH
    assert page.get_parent().slug == "stroke-thrombectomy"
    document = get_document_model().objects.get(title="Draft of the published paper (members only)")
    assert document.collection.name == "Members only"
    assert document.collection.get_view_restrictions().filter(restriction_type="login").exists()
    assert f'id="{document.pk}"' in str(page.body[0].value.source)
    counts = (Page.objects.count(), get_document_model().objects.count())
    call_command("load_demo_content", stdout=io.StringIO())
    assert (Page.objects.count(), get_document_model().objects.count()) == counts


def test_page_previews_may_be_framed_by_the_admin(make_focus_group, admin_client):
    """The editor's preview panel shows the page in a frame inside the admin: the preview must
    carry the admin's policy, not the public pages' "frame-ancestors 'none'"."""
    from tests.test_focusgroups import editor_post_data

    page = make_focus_group(n=0)
    url = f"/admin/pages/{page.pk}/edit/preview/"
    assert admin_client.post(url, editor_post_data(page)).status_code == 200
    response = admin_client.get(url + "?mode=&in_preview_panel=true")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "frame-ancestors 'none'" not in policy
