"""Per-list query ceilings, shared by every worker through Redis.

Each list with a ceiling (Blocklist.qps) has a token bucket in Redis, refilled
at qps tokens per second and holding one second's worth. A worker takes
tokens for a group of queries before sending them; when the bucket is empty
it waits as long as the bucket needs. Without Redis (a one-off `lookup`
with no broker running) the buckets are kept in the process, so the ceiling
still holds for that process.
"""

import asyncio
import logging
import time
from collections.abc import Mapping

import redis

from blcheck.core.broker import redis_client

log = logging.getLogger(__name__)
KEY_PREFIX = "blcheck:qps:"

# KEYS[1] bucket; ARGV rate, burst, wanted. Redis's own clock, so every worker
# agrees. Returns {granted, seconds to wait before asking again}.
_TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst, wanted = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local granted = math.min(wanted, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 60)
local wait = 0
if granted == 0 then wait = (1 - tokens) / rate end
return {granted, tostring(wait)}
"""


class _LocalBuckets:
    def __init__(self) -> None:
        self.state: dict[str, tuple[float, float]] = {}

    def take(self, key: str, rate: float, wanted: int) -> tuple[int, float]:
        now = time.monotonic()
        tokens, at = self.state.get(key, (rate, now))
        tokens = min(rate, tokens + (now - at) * rate)
        granted = min(wanted, int(tokens))
        self.state[key] = (tokens - granted, now)
        return granted, 0.0 if granted else (1 - (tokens - granted)) / rate


class Limiter:
    """Grants queries per list at no more than the list's ceiling."""

    def __init__(self, rates: Mapping[str, float], *, shared: bool = True) -> None:
        self.rates = {zone: rate for zone, rate in rates.items() if rate}
        self.shared = shared
        self.local = _LocalBuckets()

    def try_take(self, key: str, wanted: int) -> tuple[int, float]:
        """(granted, seconds to wait when nothing was granted); never blocks."""
        rate = self.rates.get(key)
        if rate is None:
            return wanted, 0.0
        if self.shared:
            try:
                client = redis_client()
                granted, wait = client.eval(
                    _TAKE, 1, KEY_PREFIX + key, rate, rate, wanted
                )
                return int(granted), float(wait)
            except redis.RedisError:
                log.warning(
                    "politeness: Redis unreachable, limiting %s in-process", key
                )
                self.shared = False
        return self.local.take(key, rate, wanted)

    async def take(self, key: str, wanted: int) -> int:
        while True:
            granted, wait = await asyncio.to_thread(self.try_take, key, wanted)
            if granted:
                return granted
            await asyncio.sleep(max(wait, 0.01))


def limiter_for(
    rates: Mapping[str, float | None], *, shared: bool = True
) -> Limiter | None:
    """A limiter for the lists that have a ceiling; None when none has one."""
    ceilings = {zone: float(rate) for zone, rate in rates.items() if rate}
    return Limiter(ceilings, shared=shared) if ceilings else None
