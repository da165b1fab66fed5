"""Issue 13's story on the real worker: the resolver pointed at a dead port.

Within two check intervals the banner shows, /healthz says "dns": "failing",
one message reaches a webhook listener on 127.0.0.1, and no page or message
says "not listed"; when the resolver answers again, one more message says so.
"""

import json
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from blcheck.monitoring import services
from blcheck.monitoring.models import CheckRun, NotificationPreference, ResolverOutage
from tests.conftest import CLEAN_IP
from tests.factories import TargetFactory
from tests.support.ports import free_port
from tests.support.webhook import Listener

pytestmark = [
    pytest.mark.worker,
    pytest.mark.dns,
    pytest.mark.django_db(transaction=True),
]
NOT_LISTED = ("not listed", "Not listed", "掲載されていません", "掲載なし")
# Keys, not statements: the dashboard's legend explains its symbols, and a
# filter's options name the verdicts one may search for.
LEGEND = re.compile(
    r'<ul class="dash-legend".*?</ul>|<option[^>]*>[^<]*</option>', re.S
)


def settle(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def tick(target):
    """One check interval: the target falls due and beat's dispatch runs."""
    target.next_check_at = timezone.now() - timedelta(seconds=1)
    target.save(update_fields=["next_check_at"])
    before = CheckRun.objects.count()
    services.run_dispatch_due()
    settle(
        lambda: (
            CheckRun.objects.count() > before
            and not CheckRun.objects.filter(status__in=["queued", "running"]).exists()
        )
    )


def test_dead_resolver_story(
    celery_worker, test_blocklists, it_staff, manager, client, settings, dns_server
):
    with Listener() as hook:
        settings.WEBHOOK_ALLOW_HTTP = True
        settings.WEBHOOK_INTERNAL_HOSTS = ["127.0.0.1"]
        NotificationPreference.objects.create(
            user=it_staff, webhook_url=hook.url(), language="en"
        )
        target = TargetFactory(value=CLEAN_IP, check_interval_minutes=5)
        settings.DNS_NAMESERVERS = [f"127.0.0.1:{free_port()}"]
        settings.DNS_TIMEOUT = 0.3
        tick(target)
        tick(target)  # the second interval: still one outage, one message

        assert ResolverOutage.objects.filter(ended_at__isnull=True).count() == 1
        assert set(CheckRun.objects.values_list("status", flat=True)) == {"blind"}
        response = client.get("/healthz")
        assert (response.status_code, response.json()["dns"]) == (503, "failing")
        settle(lambda: len(hook.hits) >= 1)
        time.sleep(0.5)  # nothing more arrives
        assert len(hook.hits) == 1
        text = json.loads(hook.hits[0].body)["text"]
        assert "DNS resolution failing" in text
        for user in (it_staff, manager):
            client.force_login(user)
            for language in ("en", "ja"):
                client.cookies["django_language"] = language
                for path in ("/", f"/targets/{target.pk}/", "/targets/"):
                    html = LEGEND.sub("", client.get(path).content.decode())
                    assert "outage-banner" in html, (path, language)
                    assert not any(x in html for x in NOT_LISTED), (path, language)
        assert not any(x in text for x in NOT_LISTED)

        settings.DNS_NAMESERVERS = [dns_server.address]
        tick(target)
        assert ResolverOutage.objects.get().ended_at is not None
        assert client.get("/healthz").json()["dns"] == "ok"
        settle(lambda: len(hook.hits) == 2)
        assert "works again" in json.loads(hook.hits[1].body)["text"]
