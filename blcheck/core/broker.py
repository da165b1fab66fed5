"""The one Redis client the Django side uses (health, heartbeats, rate limits)."""

from functools import cache

import redis
from django.conf import settings


@cache
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def redis_client() -> redis.Redis:
    """A client for settings.REDIS_URL (read at call time, so tests can point it)."""
    return _client_for(settings.REDIS_URL)
