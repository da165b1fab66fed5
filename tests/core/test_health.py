"""/healthz with real Redis: worker ok, stale, and broker down."""

import pytest
from django.test import override_settings

from blcheck.core.broker import redis_client
from blcheck.core.heartbeat import HEARTBEAT_KEY, beat_once

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_heartbeat():
    redis_client().delete(HEARTBEAT_KEY)
    yield
    redis_client().delete(HEARTBEAT_KEY)


def test_all_ok_with_a_fresh_heartbeat(client):
    beat_once()
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (
        200,
        {"database": "ok", "broker": "ok", "worker": "ok", "dns": "ok"},
    )


def test_no_worker_is_stale_and_503(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()["worker"]) == (503, "stale")


def test_heartbeat_expires(client):
    beat_once()
    assert 0 < redis_client().ttl(HEARTBEAT_KEY) <= 30


def test_broker_down_is_503(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:9/0"):
        response = client.get("/healthz")
    assert (response.status_code, response.json()["broker"]) == (503, "down")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_running_worker_reports_ok(client, celery_worker):
    import time

    deadline = time.monotonic() + 10
    while client.get("/healthz").status_code != 200:
        assert time.monotonic() < deadline, client.get("/healthz").json()
        time.sleep(0.2)
