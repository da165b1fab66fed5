"""Settings are read strictly: a bad value stops start-up naming the variable."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings


def fresh_env(tmp_path, **env):
    """This environment without our settings (BLCHECK_*, DEBUG), then env's."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("BLCHECK_", "DEBUG"))
    }
    return {**base, "BLCHECK_DATA_DIR": str(tmp_path), **env}


def start_django(tmp_path, **env):
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=fresh_env(tmp_path, DJANGO_SETTINGS_MODULE="blcheck.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("BLCHECK_DNS_TIMEOUT", "soon"),
        ("BLCHECK_DNS_CONCURRENCY", "0"),
        ("BLCHECK_MAX_RANGE_SIZE", "lots"),
        ("BLCHECK_LOOKUP_RETENTION_DAYS", "-5"),
        ("BLCHECK_SECURE_COOKIES", "perhaps"),
        ("BLCHECK_LISTEN", "everywhere"),
        ("DATABASE_URL", "nosuchdb://x"),
    ],
)
def test_garbage_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    result = start_django(tmp_path, **{name: value})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert (
        "ImproperlyConfigured" in last_line and name in last_line
    ) or name in result.stderr


def read_settings(tmp_path, *names, **env):
    """The values of settings names, as Django has them with this environment."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(*(repr(getattr(settings, n)) for n in {names!r}), sep='\\n')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=fresh_env(tmp_path, DJANGO_SETTINGS_MODULE="blcheck.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_production_on_a_fresh_clone_serves_loopback_with_the_generated_key(
    tmp_path,
):
    """`make run` with no .env: DEBUG off, nothing else set."""
    key, hosts, secure = read_settings(
        tmp_path,
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SESSION_COOKIE_SECURE",
        DEBUG="false",
        SECRET_KEY="",
        ALLOWED_HOSTS="",
    )
    assert key.strip("'") == (tmp_path / "secret_key").read_text().strip()
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert hosts == "['127.0.0.1', 'localhost', '[::1]']"
    # Plain HTTP on 127.0.0.1: a Secure cookie would never come back.
    assert secure == "False"


def test_production_beyond_loopback_refuses_to_start_without_allowed_hosts(tmp_path):
    result = start_django(
        tmp_path, DEBUG="false", BLCHECK_LISTEN="0.0.0.0", ALLOWED_HOSTS=""
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ALLOWED_HOSTS must be set" in last_line and "BLCHECK_LISTEN" in last_line


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "blcheck.example.com"}, "True"),
        ({"DEBUG": "false", "ALLOWED_HOSTS": "localhost,blcheck.lan"}, "True"),
        ({"DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost"}, "False"),
        (
            {
                "DEBUG": "false",
                "ALLOWED_HOSTS": "127.0.0.1",
                "BLCHECK_SECURE_COOKIES": "true",
            },
            "True",
        ),
        (
            {
                "DEBUG": "false",
                "ALLOWED_HOSTS": "blcheck.lan",
                "BLCHECK_SECURE_COOKIES": "false",
            },
            "False",
        ),
        ({"DEBUG": "true", "ALLOWED_HOSTS": "blcheck.example.com"}, "False"),
    ],
)
def test_cookies_are_https_only_when_served_under_another_name(tmp_path, env, secure):
    assert read_settings(
        tmp_path, "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", **env
    ) == [secure, secure]


@pytest.mark.parametrize(
    ("listen", "host", "loopback"),
    [
        ("127.0.0.1", "127.0.0.1", "True"),
        ("::1", "[::1]", "True"),
        ("[::]", "[::]", "False"),
        ("0.0.0.0", "0.0.0.0", "False"),
    ],
)
def test_listen_address_is_read_for_the_web_server(tmp_path, listen, host, loopback):
    assert read_settings(
        tmp_path,
        "LISTEN_HOST",
        "LISTEN_LOOPBACK",
        BLCHECK_LISTEN=listen,
        ALLOWED_HOSTS="blcheck.example.com",
    ) == [repr(host), loopback]


def test_development_generates_and_keeps_a_private_secret_key(tmp_path):
    assert start_django(tmp_path, DEBUG="true").returncode == 0
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    assert len(first) >= 50 and key_file.stat().st_mode & 0o777 == 0o600
    assert start_django(tmp_path, DEBUG="true").returncode == 0
    assert key_file.read_text() == first


def test_deploy_check_with_production_values_warns_only_of_what_the_readme_explains(
    tmp_path,
):
    env = fresh_env(
        tmp_path,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="blcheck.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    warnings = {
        line.split(":")[0].strip()
        for line in result.stderr.splitlines()
        if line.strip().startswith("?: (security.")
    }
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert warnings, (
        result.stderr
    )  # HSTS and SSL redirect are off by default: see README
    for code in warnings:
        assert code.strip("?: ()") in readme, f"{code} is not explained in README.md"


@pytest.mark.parametrize("length", [32, 49])
def test_production_refuses_a_secret_key_shorter_than_50_characters(tmp_path, length):
    result = start_django(
        tmp_path,
        DEBUG="false",
        ALLOWED_HOSTS="blcheck.example.com",
        SECRET_KEY=secrets.token_urlsafe(64)[:length],
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line and "SECRET_KEY" in last_line
    assert "at least 50" in last_line


def test_production_accepts_a_secret_key_of_50_characters(tmp_path):
    result = start_django(
        tmp_path,
        DEBUG="false",
        ALLOWED_HOSTS="blcheck.example.com",
        SECRET_KEY=secrets.token_urlsafe(64)[:50],
    )
    assert result.returncode == 0, result.stderr
