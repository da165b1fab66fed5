"""What /healthz reports: can we reach the database, the broker, a worker,
and what the apps above core add (monitoring: is DNS resolution working)."""

import logging
from collections.abc import Callable

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


# name -> a check returning "ok" or what is wrong; apps register theirs in
# AppConfig.ready, so core needs no import of them.
_CHECKS: dict[str, Callable[[], str]] = {}


def register(name: str, check: Callable[[], str]) -> None:
    _CHECKS[name] = check


def report() -> dict[str, str]:
    result = {"database": _database(), "broker": "ok", "worker": "stale"}
    for name, check in _CHECKS.items():
        try:
            result[name] = check()
        except DatabaseError:
            log.warning("health: %s check failed", name, exc_info=True)
            result[name] = "unknown"
    try:
        redis_client().ping()
        result["worker"] = "ok" if is_worker_alive() else "stale"
    except redis.RedisError:
        log.warning("health: broker unreachable", exc_info=True)
        result["broker"] = "down"
    return result
