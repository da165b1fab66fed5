"""What /healthz reports: can we reach the database, the broker, a worker."""

import logging

import redis
from django.db import DatabaseError, connection

from blcheck.core.broker import redis_client
from blcheck.core.heartbeat import is_worker_alive

log = logging.getLogger(__name__)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        log.warning("health: database unreachable", exc_info=True)
        return "down"
    return "ok"


def report() -> dict[str, str]:
    result = {"database": _database(), "broker": "ok", "worker": "stale"}
    try:
        redis_client().ping()
        result["worker"] = "ok" if is_worker_alive() else "stale"
    except redis.RedisError:
        log.warning("health: broker unreachable", exc_info=True)
        result["broker"] = "down"
    return result
