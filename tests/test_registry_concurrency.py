"""Concurrency: 100 valid submissions with different emails, posted 20 at a time to a real
server, are all saved with no server error (on SQLite in WAL mode and on PostgreSQL)."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from registry.models import RegisterEntry
from tests.conftest import register_post_data

# serialized_rollback: rows made by migrations (the root page, groups) are restored after
# other transactional tests flush the database.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SUBMISSIONS = 100
AT_A_TIME = 20


def test_100_submissions_20_at_a_time_are_all_saved(live_server, make_register, settings):
    # The per-address limit would (rightly) stop one address sending 100 posts a minute;
    # this test is about throughput, so every post must reach the form.
    settings.REGISTRY_RATE_LIMIT = 10**6
    register = make_register()
    url = live_server.url + register.url

    first = requests.get(url, timeout=30)
    assert first.status_code == 200
    cookie = first.cookies["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.text).group(1)

    def submit(n):
        data = register_post_data(
            email=f"cardiologist{n}@example.org",
            full_name=f"Cardiologist {n}",
            gmc_number=f"{7000000 + n}",
            region=["london", "wales", "scotland", "north_west"][n % 4],
            csrfmiddlewaretoken=token,
        )
        response = requests.post(
            url,
            data=data,
            cookies={"csrftoken": cookie},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=60,
        )
        return response.status_code, response.headers.get("Location", "")

    with ThreadPoolExecutor(max_workers=AT_A_TIME) as pool:
        results = list(pool.map(submit, range(SUBMISSIONS)))

    statuses = [status for status, _ in results]
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses == [302] * SUBMISSIONS, statuses
    assert all(location.endswith("/thank-you/") for _, location in results)
    assert RegisterEntry.objects.count() == SUBMISSIONS
    assert set(RegisterEntry.objects.values_list("email", flat=True)) == {
        f"cardiologist{n}@example.org" for n in range(SUBMISSIONS)
    }
