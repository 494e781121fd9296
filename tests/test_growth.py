"""Ready to grow: static files cached for a year and compressed, and the production settings
that switch on Redis, object storage and CDN purging from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.support import servers

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def collected_static(settings):
    """Static files as production serves them: collected, hashed and compressed (once for the
    whole run, shared with the test servers)."""
    settings.STATIC_ROOT = servers.collected_static()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_AUTOREFRESH = False
    settings.WHITENOISE_USE_FINDERS = False
    from django.templatetags.static import static

    return static("css/site.css")


@pytest.mark.django_db
def test_hashed_static_files_are_immutable_for_a_year(collected_static):
    assert collected_static != "/static/css/site.css"  # the name carries a content hash
    response = Client().get(collected_static)
    assert response.status_code == 200
    directives = [part.strip() for part in response["Cache-Control"].split(",")]
    assert "public" in directives and "immutable" in directives
    assert "max-age=31536000" in directives


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_static_files_are_served_compressed(collected_static, encoding):
    response = Client().get(collected_static, HTTP_ACCEPT_ENCODING=encoding)
    assert response.status_code == 200
    assert response["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response["Vary"]


def in_production(code, **env):
    """Run `code` after django.setup() with the production settings, in a clean process (no
    Redis, bucket, CDN or database URL inherited), and return what it printed."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "AWS", "FRONT"))}
    clean.pop("DATABASE_URL", None)
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="a-sample-production-secret-key-for-this-check-only-0123456789",
        **env,
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def production_settings(**env):
    """What the production settings configured, read in a clean process."""
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'caches': s.CACHES, 'sessions': s.SESSION_ENGINE, "
        "'storages': s.STORAGES, 'frontend': s.WAGTAILFRONTENDCACHE, "
        "'apps': s.INSTALLED_APPS}, default=str))"
    )
    return json.loads(in_production(script, **env).splitlines()[-1])


def test_without_redis_every_worker_process_shares_one_cache(tmp_path):
    """gunicorn runs several worker processes: a publish handled by one must clear the page for
    all of them, so production never uses a cache private to one process."""
    assert production_settings()["caches"]["default"]["BACKEND"].endswith("FileBasedCache")
    cache_dir = str(tmp_path / "cache")
    read = "from pagecache import tags; print(tags.current_versions(['page:1'])['page:1'])"

    before = in_production(read, CACHE_DIR=cache_dir)
    in_production("from pagecache import tags; tags.invalidate('page:1')", CACHE_DIR=cache_dir)
    after = in_production(read, CACHE_DIR=cache_dir)
    assert before == "0" and after not in ("", "0")


def test_media_stays_on_local_disk_unless_a_bucket_is_named():
    assert production_settings()["storages"]["default"]["BACKEND"].endswith("FileSystemStorage")


def test_a_bucket_switches_media_to_private_s3_storage():
    configured = production_settings(
        AWS_STORAGE_BUCKET_NAME="bcis-media",
        AWS_S3_REGION_NAME="eu-west-2",
        AWS_S3_ENDPOINT_URL="https://s3.eu-west-2.amazonaws.com",
    )
    default = configured["storages"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "bcis-media"
    assert default["OPTIONS"]["region_name"] == "eu-west-2"
    assert default["OPTIONS"]["default_acl"] is None
    assert default["OPTIONS"]["querystring_auth"] is True


def test_s3_storage_backend_is_installed_and_importable():
    from storages.backends.s3 import S3Storage

    storage = S3Storage(bucket_name="bcis-media", region_name="eu-west-2")
    assert storage.bucket_name == "bcis-media"


def test_cdn_purging_is_configured_from_the_environment():
    assert production_settings()["frontend"] == {}
    cloudflare = production_settings(
        FRONTEND_CACHE_CLOUDFLARE_ZONEID="zone123", FRONTEND_CACHE_CLOUDFLARE_BEARER_TOKEN="tok"
    )
    assert cloudflare["frontend"]["cloudflare"]["ZONEID"] == "zone123"
    cloudfront = production_settings(FRONTEND_CACHE_CLOUDFRONT_DISTRIBUTION_ID="E123")
    assert cloudfront["frontend"]["cloudfront"]["DISTRIBUTION_ID"] == "E123"


def test_a_change_purges_in_the_cdn_the_urls_that_showed_its_tags(settings, monkeypatch):
    """Cloudflare and CloudFront purge by URL: the page cache records which URLs showed each
    tag and hands them to Wagtail's frontend cache backends."""
    from django.core.cache import cache

    from pagecache import purge

    settings.WAGTAILFRONTENDCACHE = {"cdn": {"BACKEND": "unused"}}
    purged = []
    monkeypatch.setattr("wagtail.contrib.frontend_cache.utils.purge_urls_from_cache", purged.extend)
    purge.record_url(cache, {"page:1", "menu"}, "https://example.org/a/")
    purge.record_url(cache, {"page:2"}, "https://example.org/b/")
    purge.purge(cache, {"page:1"})
    assert purged == ["https://example.org/a/"]
