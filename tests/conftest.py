"""Session fixtures: loopback DNS, real Redis, a real Celery worker, personas."""

from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client, override_settings

from blcheck.celery import app as celery_app
from blcheck.core.access import IT_STAFF, MANAGERS
from blcheck.monitoring.models import Blocklist, Target
from tests.support.cases import IP, REVERSED, barracuda_list
from tests.support.dnsserver import Behaviour, DNSServer, Zone
from tests.support.redis import embedded_redis, wait_for_redis

# 192.0.2.66 (TEST-NET-1) is the address the test zones list.
LISTED_IP = "192.0.2.66"
CLEAN_IP = "192.0.2.10"
RFC5782 = {"2.0.0.127": ["127.0.0.2"]}  # the must-be-listed test point


BULK_ZONES = [f"bulk{n:02d}.dnsbl.test" for n in range(20)]


def _bulk_zones() -> list[Zone]:
    """Twenty lists for sweeps; bulkNN lists 198.51.100.NN (TEST-NET-2)."""
    return [
        Zone(zone, a={**RFC5782, f"{n}.100.51.198": ["127.0.0.2"]})
        for n, zone in enumerate(BULK_ZONES)
    ]


def _test_zones() -> list[Zone]:
    listed = {"66.2.0.192": ["127.0.0.2"], **RFC5782}
    reason = {
        "66.2.0.192": ["Listed, see https://good.dnsbl.test/lookup?ip=192.0.2.66"]
    }
    return [
        Zone("good.dnsbl.test", a=listed, txt=reason),
        Zone("second.dnsbl.test", a=dict(RFC5782)),
        Zone("servfail.dnsbl.test", behaviour=Behaviour.SERVFAIL),
        Zone("refused.dnsbl.test", behaviour=Behaviour.REFUSED),
        Zone("silent.dnsbl.test", behaviour=Behaviour.SILENT),
        Zone("slow.dnsbl.test", a=listed, behaviour=Behaviour.SLOW, delay=0.3),
        Zone(
            "truncating.dnsbl.test", a=listed, txt=reason, behaviour=Behaviour.TRUNCATE
        ),
        Zone("parked.dnsbl.test", wildcard=["91.195.240.117"]),
        Zone("publicresolver.dnsbl.test", wildcard=["127.255.255.254"]),
        Zone("everything.dnsbl.test", wildcard=["127.0.0.2"]),
        Zone(
            "flaky.dnsbl.test",
            a={
                **RFC5782,
                "13.2.0.192": ["127.255.255.254"],
                "14.2.0.192": ["10.0.0.1"],
            },
            per_name={
                "10.2.0.192": Behaviour.SERVFAIL,
                "11.2.0.192": Behaviour.SILENT,
                "12.2.0.192": Behaviour.REFUSED,
            },
        ),
        *_bulk_zones(),
        Zone("forged-id.dnsbl.test", behaviour=Behaviour.WRONG_ID),
        Zone("forged-question.dnsbl.test", behaviour=Behaviour.WRONG_QUESTION),
    ]


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DNSServer]:
    server = DNSServer().start()
    for zone in _test_zones():
        server.add_zone(zone)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL (CI) when set in the environment, else an embedded redis-server."""
    if not settings.REDIS_EMBEDDED:
        wait_for_redis(settings.REDIS_URL)
        yield settings.REDIS_URL
        return
    with embedded_redis() as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def _loopback_services(
    dns_server: DNSServer, redis_url: str, django_db_setup: None
) -> Iterator[None]:
    """Every test talks only to loopback: our DNS server and our Redis.

    The test database is created here, first, before Playwright's session
    fixtures start an event loop that Django's async-safety check objects to.
    """
    overrides = override_settings(
        DNS_NAMESERVERS=[dns_server.address],
        DNS_TIMEOUT=1.0,
        PROBE_CACHE_SECONDS=0,  # each test probes for itself; one test turns it on
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
    )
    overrides.enable()
    celery_app.conf.update(broker_url=redis_url)
    yield
    overrides.disable()


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[Any]:
    """A real worker thread (solo pool) consuming from the real Redis, both
    queues (checks and housekeeping), as `make run`'s two workers do."""
    celery_app.control.purge()  # nothing left over from earlier tests
    with start_worker(
        celery_app,
        pool="solo",
        concurrency=1,
        queues=[settings.CHECKS_QUEUE, settings.HOUSEKEEPING_QUEUE],
        perform_ping_check=False,
        shutdown_timeout=10,
        loglevel="WARNING",
    ) as worker:
        yield worker


@pytest.fixture
def test_blocklists(db: None) -> list[Blocklist]:
    """Two healthy test lists enabled; the catalog's real lists are not queried."""
    Blocklist.objects.update(is_enabled=False)
    return [
        Blocklist.objects.create(zone="good.dnsbl.test", name="Good test list"),
        Blocklist.objects.create(zone="second.dnsbl.test", name="Second test list"),
    ]


@pytest.fixture
def barracuda(db: None) -> Blocklist:
    """Barracuda Reputation as a row only (b.barracudacentral.org, the zone its
    bounces name): for pages and the bounce intake, nothing asks DNS."""
    return barracuda_list("b.barracudacentral.org")


@pytest.fixture
def barracuda_zone(dns_server: DNSServer) -> Zone:
    """Barracuda on the test DNS server: 192.0.2.66 listed, with the TXT record
    that points to its lookup page. zone.a.pop(REVERSED) is Barracuda delisting."""
    return dns_server.add_zone(
        Zone(
            "b.barracuda.test",
            a={**RFC5782, REVERSED: ["127.0.0.2"]},
            txt={
                REVERSED: [f"http://www.barracudanetworks.com/reputation/?r=1&ip={IP}"]
            },
        )
    )


@pytest.fixture
def barracuda_on_dns(barracuda_zone: Zone, db: None) -> Blocklist:
    """Barracuda Reputation answering on barracuda_zone, the only list enabled."""
    Blocklist.objects.update(is_enabled=False)
    return barracuda_list(barracuda_zone.name)


@pytest.fixture
def client() -> Client:
    """A browser that prefers English; Japanese tests send Accept-Language: ja."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _persona(username: str, group: str | None) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def it_staff(db: None) -> User:
    return _persona("itstaff", IT_STAFF)


@pytest.fixture
def manager(db: None) -> User:
    return _persona("manager", MANAGERS)


@pytest.fixture
def outsider(db: None) -> User:
    return _persona("outsider", None)


@pytest.fixture
def english_site(settings: Any) -> None:
    """blcheck writes its own case history in the site language; tests that read
    it in English ask for this (tests/cases and tests/reports, every test)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def demo(db: None, settings: Any) -> None:
    """The main pages filled as seed_demo fills them (a dozen targets)."""
    settings.DEBUG = True  # the test runner turns it off; seed_demo wants it on
    call_command(
        "seed_demo", "--targets", "12", "--lists", "8", "--days", "40", "--seed", "4"
    )
    settings.DEBUG = False


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's session keeps an event loop running in
    the main thread until the session ends, and nothing else should run beside it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# --- The read-only pages (tests/reports) ----------------------------------------


@pytest.fixture
def reader(client: Client, manager: User) -> Client:
    """A manager's browser, logged in: reads every page, changes nothing."""
    client.force_login(manager)
    return client


@pytest.fixture
def tokyo(settings: Any) -> None:
    """The site in Japan: days, months and CSV times are read in Asia/Tokyo."""
    settings.TIME_ZONE = "Asia/Tokyo"


def _only(names: tuple[str, ...]) -> list[Blocklist]:
    from tests.factories import BlocklistFactory

    return [
        BlocklistFactory.create(zone=f"{n.lower()}.dnsbl.test", name=n) for n in names
    ]


@pytest.fixture
def two_lists(db: None) -> list[Blocklist]:
    """Alpha and Bravo (alpha.dnsbl.test, bravo.dnsbl.test, IPv4), the only
    enabled lists: the catalog's are switched off."""
    Blocklist.objects.update(is_enabled=False)
    return _only(("Alpha", "Bravo"))


@pytest.fixture
def four_lists(two_lists: list[Blocklist]) -> list[Blocklist]:
    """Alpha, Bravo, Charlie and Delta, the only enabled lists."""
    return [*two_lists, *_only(("Charlie", "Delta"))]


@pytest.fixture
def ipv4_target(db: None) -> Target:
    """One monitored address, 192.0.2.66."""
    from tests.factories import TargetFactory

    return TargetFactory.create(value=LISTED_IP)


# --- Property-based tests (tests/core/test_odd_input.py) -------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis profiles: "ci" (the default) draws the same examples on every
    run and keeps no example database; HYPOTHESIS_PROFILE=explore draws new ones
    each run, to hunt for more."""
    import os

    from hypothesis import settings as examples

    examples.register_profile("ci", derandomize=True, database=None, deadline=None)
    examples.register_profile("explore", database=None, deadline=None)
    examples.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
