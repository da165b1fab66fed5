"""Worker liveness: a running worker refreshes a Redis key; /healthz reads it.

A consumer bootstep writes the key once the worker consumes tasks, then every
WORKER_HEARTBEAT_SECONDS on the worker's own timer, with a time-to-live of
three beats, so a worker that dies or loses Redis turns "stale" within
half a minute. Registered when Django starts (CoreConfig.ready), which in a
worker happens before the worker builds its blueprints.
"""

import logging
import time
from typing import Any

import redis
from celery import bootsteps
from django.conf import settings

from blcheck.celery import app
from blcheck.core.broker import redis_client

HEARTBEAT_KEY = "blcheck:worker-heartbeat"
log = logging.getLogger(__name__)


def beat_once() -> None:
    interval = settings.WORKER_HEARTBEAT_SECONDS
    redis_client().set(HEARTBEAT_KEY, str(time.time()), ex=interval * 3)


def _beat_quietly() -> None:
    try:
        beat_once()
    except redis.RedisError:
        log.warning("worker heartbeat: Redis unreachable", exc_info=True)


def is_worker_alive() -> bool:
    return bool(redis_client().exists(HEARTBEAT_KEY))


class Heartbeat(bootsteps.StartStopStep):
    # After the task consumer: "ok" means the worker takes tasks, not just runs.
    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, consumer: Any) -> None:
        _beat_quietly()
        self.tref = consumer.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, _beat_quietly
        )

    def stop(self, consumer: Any) -> None:
        if getattr(self, "tref", None) is not None:
            self.tref.cancel()


app.steps["consumer"].add(Heartbeat)
