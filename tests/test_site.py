"""Site-wide behaviour: demo content, the admin account, SEO files, error pages, settings."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.template.loader import render_to_string
from wagtail.documents import get_document_model
from wagtail.models import Page

from focusgroups.models import FocusGroupIndexPage, FocusGroupPage
from home.models import HomePage

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SEED_MEMBERS = [
    ("Helen Routledge", "Worcestershire Royal Hospital"),
    ("Raj Bathula", ""),
    ("Alison Calver", "Southampton University Hospital"),
    ("Nick Curzen", "Southampton University Hospital"),
    ("Hany Eteiba", ""),
    ("Thomas Keeble", ""),
    ("Jan Kovac", ""),
    ("Iqbal Malik", "Imperial College NHS Trust"),
    ("Will Roberts", "Worcestershire Royal Hospital"),
    ("Andrew Sharp", "University Hospital of Wales"),
    ("Mark Westwood", ""),
]


def demo_page():
    return FocusGroupPage.objects.get(slug="stroke-thrombectomy")


# Demo content -------------------------------------------------------------------------------


def test_demo_content_puts_the_group_at_its_address(demo_site, client):
    response = client.get("/focus-groups/stroke-thrombectomy/")
    assert response.status_code == 200
    assert client.get("/focus-groups/").status_code == 200
    assert client.get("/").status_code == 200


def test_demo_content_carries_the_members_in_the_briefs_order(demo_site):
    members = [(m.name, m.hospital) for m in demo_page().members.all()]
    assert members == SEED_MEMBERS
    assert sum(1 for _, hospital in members if not hospital) == 5


def test_demo_content_carries_the_briefs_facts(demo_site, client):
    html = client.get("/focus-groups/stroke-thrombectomy/").content.decode()
    text = re.sub(r"<[^>]+>", " ", html)
    text = " ".join(text.split())
    for fact in (
        "800 patients a year",
        "2017",
        "fewer than 10%",
        "six UK interventional cardiologists",
        "Chairman of the ESC Council on Stroke",
        "January 2021",
        "April 2021",
        "NHSE Thrombectomy Implementation Group",
        "National Clinical Directors",
        "Can Interventional Cardiologists Help Deliver the UK Mechanical Thrombectomy "
        "Interventional Programme for Patients with Acute Ischaemic Stroke?",
        "As presented to Council",
        "Published version (updated)",
        "ESMINT Fellowships &amp; Observerships",
        "27 June 2022, 23:59 CEST",
    ):
        assert fact in text, fact


def test_demo_paper_is_a_real_pdf_marked_as_a_placeholder(demo_site):
    from pypdf import PdfReader

    paper = demo_page().papers.exclude(document=None).get()
    with paper.document.file.open("rb") as handle:
        text = PdfReader(handle).pages[0].extract_text()
    assert "PLACEHOLDER" in text
    assert paper.document.file_extension == "pdf"


def test_demo_content_runs_twice_without_duplicating_anything(demo_site):
    counts = (Page.objects.count(), get_document_model().objects.count())
    call_command("load_demo_content", stdout=io.StringIO())
    assert (Page.objects.count(), get_document_model().objects.count()) == counts
    assert demo_page().members.count() == 11


def test_demo_content_never_overwrites_editors_changes(demo_site):
    page = demo_page()
    page.summary = "Edited by the communications team."
    page.members.all()[0].delete()
    page.save_revision().publish()
    index = FocusGroupIndexPage.objects.get()
    index.title = "Our focus groups"
    index.save_revision().publish()

    call_command("load_demo_content", stdout=io.StringIO())
    page = demo_page()
    assert page.summary == "Edited by the communications team."
    assert page.members.count() == 10
    assert FocusGroupIndexPage.objects.get().title == "Our focus groups"


def test_demo_content_replaces_wagtails_welcome_page_as_the_site_root(demo_site):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    assert site.root_page.specific_class is HomePage
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()


# The admin account --------------------------------------------------------------------------


def test_ensure_admin_creates_a_superuser_with_a_printed_generated_password(monkeypatch):
    monkeypatch.delenv("ADMIN_USERNAME", raising=False)
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    password = re.search(r"generated password is: (\S+)", out.getvalue()).group(1)
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)


def test_ensure_admin_uses_the_given_name_and_password_and_never_duplicates(monkeypatch):
    monkeypatch.setenv("ADMIN_USERNAME", "comms")
    monkeypatch.setenv("ADMIN_PASSWORD", "a-long-chosen-password")
    call_command("ensure_admin", stdout=io.StringIO())
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert get_user_model().objects.filter(username="comms").count() == 1
    assert get_user_model().objects.get(username="comms").check_password("a-long-chosen-password")
    assert "generated password" not in out.getvalue()


def test_ensure_admin_keeps_an_existing_password_when_none_is_given(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("ADMIN_USERNAME", raising=False)
    get_user_model().objects.create_superuser("admin", "", "kept-password-123")
    call_command("ensure_admin", stdout=io.StringIO())
    assert get_user_model().objects.get(username="admin").check_password("kept-password-123")


# Findable and shareable ---------------------------------------------------------------------


def test_pages_carry_title_description_canonical_and_open_graph(demo_site, client):
    page = demo_page()
    page.seo_title = "Stroke thrombectomy focus group"
    page.search_description = "Why more operators are needed."
    page.save_revision().publish()
    html = client.get("/focus-groups/stroke-thrombectomy/").content.decode()
    assert "<title>Stroke thrombectomy focus group | BCIS focus groups</title>" in html
    assert '<meta name="description" content="Why more operators are needed.">' in html
    assert re.search(
        r'<link rel="canonical" href="http://[^"]+/focus-groups/stroke-thrombectomy/">', html
    )
    assert '<meta property="og:title" content="Stroke thrombectomy focus group">' in html
    assert '<meta property="og:description" content="Why more operators are needed.">' in html
    assert 'rel="icon"' in html
    assert '<html lang="en-GB"' in html


def test_meta_description_falls_back_to_the_groups_summary(demo_site, client):
    page = demo_page()
    page.search_description = ""
    page.save_revision().publish()
    html = client.get("/focus-groups/stroke-thrombectomy/").content.decode()
    assert f'<meta name="description" content="{page.summary[:50]}' in html


def test_sitemap_lists_the_public_pages(demo_site, client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    body = response.content.decode()
    for path in ("/", "/focus-groups/", "/focus-groups/stroke-thrombectomy/"):
        assert re.search(rf"<loc>http://[^<]+{re.escape(path)}</loc>", body), path


def test_robots_txt_points_at_the_sitemap_and_keeps_out_of_the_admin(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Disallow: /admin/" in body
    assert "Sitemap: http://testserver/sitemap.xml" in body


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")


def test_missing_page_gets_the_sites_own_404(demo_site, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "site-header" in html and 'name="query"' in html


def test_500_page_renders_on_its_own_without_a_request():
    html = render_to_string("500.html")
    assert "Sorry, something went wrong" in html
    assert "site.css" in html


def test_header_has_navigation_search_and_sign_in(demo_site, client):
    html = client.get("/").content.decode()
    assert '<nav class="main-nav" aria-label="Main">' in html
    assert 'href="/focus-groups/"' in html
    assert 'role="search"' in html and 'action="/search/"' in html
    assert ">Sign in</a>" in html


def test_breadcrumbs_lead_back_to_home(demo_site, client):
    html = client.get("/focus-groups/stroke-thrombectomy/").content.decode()
    crumbs = re.search(r'<nav class="breadcrumbs.*?</nav>', html, re.S).group(0)
    assert 'href="/">Home</a>' in crumbs
    assert 'href="/focus-groups/">Focus groups</a>' in crumbs
    assert 'aria-current="page">Stroke Thrombectomy' in crumbs


# Settings -----------------------------------------------------------------------------------


def test_default_database_is_sqlite_in_wal_mode_with_busy_timeout_and_immediate_transactions(
    monkeypatch,
):
    from config.settings.base import database_from_env

    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = database_from_env("site.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    options = config["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


def test_sqlite_file_database_really_is_in_wal_mode(tmp_path):
    """Open the configured options on a real file (the test DB may be in memory)."""
    import sqlite3

    from config.settings.base import SQLITE_OPTIONS

    db = sqlite3.connect(tmp_path / "probe.sqlite3", timeout=SQLITE_OPTIONS["timeout"])
    db.executescript(SQLITE_OPTIONS["init_command"])
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_database_url_selects_postgresql(monkeypatch):
    from config.settings.base import database_from_env

    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bcis")
    config = database_from_env("unused.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "bcis"


def run_manage(args, env_overrides):
    # Only what a real deployment would have: not the test run's secret, database or the
    # async-safety switch the browser tests set for Playwright.
    dropped = {"SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 20 + "a-sample-production-secret-key-of-fifty-plus-chars",
    "ALLOWED_HOSTS": "focusgroups.bcis.org.uk",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
}


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV)
    del env["SECRET_KEY"]
    result = run_manage(["check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_pass_the_deployment_checklist_without_warnings():
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_make_serve_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        ["make", "-s", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "refuses to start without SECRET_KEY" in result.stdout + result.stderr
