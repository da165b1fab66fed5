"""Queued runs whose message is gone are sent again within a minute.

A queued run's message can vanish with its broker (a Redis without
persistence that restarts; the last writes before a crash), and the run would
wait out its whole lease (QUEUED_TOO_LONG) before run_recover_stalled sends
it again. Every minute recover_stalled_runs calls run_requeue_lost, which
compares queued runs older than MESSAGE_GRACE with what Redis holds:

- the checks queue: Celery's Redis transport keeps a queue as a Redis list
  named after it, plus one list per priority step ("checks\\x06\\x163", ...);
- the `unacked` hash: messages a worker has taken and not acknowledged yet
  (check_runs acknowledges late, so a batch being worked on stays there).

The queue lists are read before the hash, so a message taken by a worker
meanwhile is found in the hash. A run named in no message, and still queued
when read again afterwards (a run finishes before its message is
acknowledged), is sent again and its lease renewed. A second message for a
run is harmless: a run is claimed by one task only.
"""

import base64
import binascii
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from blcheck.core.broker import redis_client
from blcheck.monitoring.models import CheckRun
from blcheck.monitoring.services.targets import QUEUED_TOO_LONG, run_enqueue

log = logging.getLogger(__name__)

# Longer than a message takes from commit to Redis (run_enqueue sends on
# commit), shorter than a beat interval: a lost message is noticed at the
# first or second recover_stalled_runs tick after it is lost.
MESSAGE_GRACE = timedelta(seconds=60)
CHECK_TASK = "blcheck.monitoring.tasks.check_runs"
# kombu's Redis transport defaults (PRIORITY_STEPS, sep, unacked_key).
PRIORITY_STEPS = (3, 6, 9)
PRIORITY_SEP = "\x06\x16"
UNACKED_KEY = "unacked"
CHUNK = 500


def run_requeue_lost(*, now: datetime | None = None) -> int:
    """Send again queued runs no message in Redis names; returns how many."""
    now = now or timezone.now()
    waiting = set(
        CheckRun.objects.filter(
            status=CheckRun.Status.QUEUED, created_at__lt=now - MESSAGE_GRACE
        ).values_list("pk", flat=True)
    )
    if not waiting:
        return 0
    try:
        in_messages = queued_run_ids()
    except redis.RedisError:
        log.warning("requeue: cannot read the checks queue", exc_info=True)
        return 0
    lost = waiting - in_messages
    if not lost:
        return 0
    with transaction.atomic():
        still = list(
            CheckRun.objects.select_for_update()
            .filter(pk__in=lost, status=CheckRun.Status.QUEUED)
            .values_list("pk", flat=True)
            .order_by("pk")
        )
        CheckRun.objects.filter(pk__in=still).update(lease_until=now + QUEUED_TOO_LONG)
        run_enqueue(still)
    if still:
        log.warning(
            "requeue: sent again %s queued runs whose message was gone", len(still)
        )
    return len(still)


def queued_run_ids() -> set[int]:
    """Run ids named by check_runs messages waiting in Redis or taken, not acked."""
    found: set[int] = set()
    for raw in _queue_messages():
        found.update(_run_ids(raw))
    for raw in _unacked_messages():
        found.update(_run_ids(raw, unacked=True))
    return found


def _queue_messages() -> Iterator[bytes | str]:
    client = redis_client()
    queue = settings.CHECKS_QUEUE
    for key in (queue, *(f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS)):
        start = 0
        while chunk := client.lrange(key, start, start + CHUNK - 1):
            yield from chunk
            start += CHUNK


def _unacked_messages() -> Iterator[bytes | str]:
    for _tag, raw in redis_client().hscan_iter(UNACKED_KEY, count=CHUNK):
        yield raw


def _run_ids(raw: bytes | str, *, unacked: bool = False) -> list[int]:
    """The run ids of one check_runs message; [] for anything else."""
    try:
        message = json.loads(raw)
        if unacked:  # [message, exchange, routing_key]
            message = message[0]
        if message.get("headers", {}).get("task") != CHECK_TASK:
            return []
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args, kwargs, _embed = json.loads(body)
        run_ids = kwargs.get("run_ids", args[0] if args else [])
        return [int(pk) for pk in run_ids]
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        binascii.Error,
    ):
        log.warning("requeue: a message in the checks queue could not be read")
        return []
