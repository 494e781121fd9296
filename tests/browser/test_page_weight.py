"""The focus group page is light enough for a phone on a poor connection, and self-contained."""

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BUDGET_BYTES = 60 * 1024


def test_focus_group_page_weighs_under_60_kb_and_calls_no_third_party(
    demo_site, browser_page, live_server
):
    page = browser_page
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto("/focus-groups/stroke-thrombectomy/", wait_until="networkidle")

    origin = urlsplit(live_server.url).netloc
    foreign = [r.url for r in responses if urlsplit(r.url).netloc not in ("", origin)]
    assert foreign == []

    # Uncompressed bytes: the compressed transfer in production is smaller still.
    total = sum(len(r.body()) for r in responses if r.status == 200)
    print(f"focus group page: {total} bytes in {len(responses)} responses")
    assert 0 < total <= BUDGET_BYTES, f"{total} bytes over {len(responses)} responses"
