"""/documents/: Wagtail's document URLs, its serve view wrapped by documents/views.py."""

from django.urls import re_path
from wagtail.documents import urls as wagtaildocs_urls

from documents import views

urlpatterns = [
    # The same address as Wagtail's own pattern (below, which links are still built from).
    re_path(r"^(\d+)/(.*)$", views.serve),
    *wagtaildocs_urls.urlpatterns,
]
