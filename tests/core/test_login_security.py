"""Log-in resists guessing: django-axes locks a username or an address after a
few failures, password reset exists only with mail and is rate-limited, and
an idle session ends (htmx polling does not count as activity)."""

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.support.html import parse

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def attempt(
    client: Client, username: str, password: str, address: str, url: str = LOGIN
):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address
    )


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def assert_locked_out(response) -> None:
    assert response.status_code == 429
    page = parse(response.content)
    assert page.find("h1").text == "Log-in locked"
    assert "Wait 15 minutes" in page.by_id("lockout-message").text


def test_failures_for_one_username_lock_it_from_every_address(client, it_staff):
    for n in range(4):
        response = attempt(client, "itstaff", "wrong", f"192.0.2.{n + 1}")
        assert response.status_code == 200
    # The fifth failure locks: axes answers it with the lockout page.
    assert_locked_out(attempt(client, "itstaff", "wrong", "192.0.2.5"))
    # The right password, from an address that never failed.
    assert_locked_out(attempt(client, "itstaff", "pw-itstaff", "198.51.100.7"))
    assert not is_logged_in(client)


def test_failures_from_one_address_lock_it_for_every_username(client, it_staff):
    for n in range(4):
        assert attempt(client, f"guess{n}", "wrong", "192.0.2.9").status_code == 200
    assert_locked_out(attempt(client, "guess4", "wrong", "192.0.2.9"))
    assert_locked_out(attempt(client, "itstaff", "pw-itstaff", "192.0.2.9"))
    assert not is_logged_in(client)
    # Another address still gets in with the right password.
    response = attempt(client, "itstaff", "pw-itstaff", "198.51.100.7")
    assert response.status_code == 302 and is_logged_in(client)


def test_fewer_failures_than_the_limit_do_not_lock(client, it_staff):
    for _ in range(4):
        attempt(client, "itstaff", "wrong", "192.0.2.1")
    response = attempt(client, "itstaff", "pw-itstaff", "192.0.2.1")
    assert response.status_code == 302 and is_logged_in(client)


def test_the_lock_ends_after_the_cool_off(client, it_staff):
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            attempt(client, "itstaff", "wrong", "192.0.2.1")
        clock.shift(timedelta(minutes=10))
        # A try during the lock-out starts the 15 minutes again.
        assert_locked_out(attempt(client, "itstaff", "pw-itstaff", "192.0.2.1"))
        clock.shift(timedelta(minutes=10))
        assert_locked_out(attempt(client, "itstaff", "pw-itstaff", "192.0.2.1"))
        clock.shift(timedelta(minutes=15, seconds=1))
        response = attempt(client, "itstaff", "pw-itstaff", "192.0.2.1")
        assert response.status_code == 302 and is_logged_in(client)


def test_the_admin_login_is_locked_too(client, it_staff):
    it_staff.is_staff = True
    it_staff.save()
    for _ in range(5):
        attempt(client, "itstaff", "wrong", "192.0.2.1", url=ADMIN_LOGIN)
    response = attempt(client, "itstaff", "pw-itstaff", "192.0.2.1", ADMIN_LOGIN)
    assert_locked_out(response)
    assert not is_logged_in(client)
    # And the lock counts on the product's log-in page as well.
    assert_locked_out(attempt(client, "itstaff", "pw-itstaff", "198.51.100.7"))


def test_the_lockout_page_speaks_japanese(client, it_staff):
    for _ in range(5):
        attempt(client, "itstaff", "wrong", "192.0.2.1")
    response = client.post(
        LOGIN,
        {"username": "itstaff", "password": "pw-itstaff"},
        REMOTE_ADDR="192.0.2.1",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 429
    page = parse(response.content)
    assert page.find("html")["lang"] == "ja"
    assert page.find("title").text == "ログインがロックされました · blcheck"
    assert "15 分待ってから" in page.by_id("lockout-message").text


# --- Password reset ----------------------------------------------------------


def reset_urls() -> list[str]:
    return [
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=["MQ", "set-password"]),
        reverse("password_reset_complete"),
    ]


def test_password_reset_is_404_without_mail(client, settings):
    assert settings.PASSWORD_RESET_ENABLED is False  # EMAIL_URL is consolemail://
    for url in reset_urls():
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"email": "a@example.test"}).status_code == 404, url
    page = parse(client.get(LOGIN).content)
    assert page.find_all(id="password-reset-link") == []


@pytest.fixture
def mail_on(settings, redis_url):
    """Mail goes out (to Django's locmem outbox) and reset counts live in the
    test Redis, under a prefix of this test's own."""
    settings.PASSWORD_RESET_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": uuid.uuid4().hex,
        },
    }


def ask_reset(client: Client, email: str, address: str = "192.0.2.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_reset_with_mail_is_offered_and_sends_a_link(
    client, it_staff, mail_on
):
    it_staff.email = "staff@example.test"
    it_staff.save()
    page = parse(client.get(LOGIN).content)
    assert page.by_id("password-reset-link")["href"] == reverse("password_reset")
    assert client.get(reverse("password_reset")).status_code == 200
    response = ask_reset(client, "staff@example.test")
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["staff@example.test"]]


def test_password_reset_is_limited_per_email_address(client, it_staff, mail_on):
    it_staff.email = "staff@example.test"
    it_staff.save()
    for n in range(3):
        assert (
            ask_reset(client, "staff@example.test", f"192.0.2.{n}").status_code == 302
        )
    response = ask_reset(client, "Staff@Example.test ", "198.51.100.7")
    assert response.status_code == 429
    assert parse(response.content).by_id("reset-limited-message")
    assert len(mail.outbox) == 3


def test_password_reset_is_limited_per_client_address(client, mail_on):
    for n in range(5):
        assert ask_reset(client, f"user{n}@example.test").status_code == 302
    assert ask_reset(client, "user9@example.test").status_code == 429
    assert ask_reset(client, "user9@example.test", "198.51.100.7").status_code == 302


# --- Idle sessions -------------------------------------------------------------


def test_a_session_ends_after_eight_idle_hours(client, it_staff):
    dashboard = reverse("reports:dashboard")
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(it_staff)
        clock.shift(timedelta(hours=7, minutes=59))
        assert client.get(dashboard).status_code == 200  # activity moves it on
        clock.shift(timedelta(hours=7, minutes=59))
        assert client.get(dashboard).status_code == 200
        clock.shift(timedelta(hours=8, minutes=1))
        response = client.get(dashboard)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def read_settings(tmp_path, **env) -> list[str]:
    """The named settings as a fresh process reads them from env."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_AGE, s.AXES_FAILURE_LIMIT, "
        "int(s.AXES_COOLOFF_TIME.total_seconds()), s.PASSWORD_RESET_ENABLED)"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("BLCHECK_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**base, "BLCHECK_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.split()


def test_limits_and_idle_time_are_settings(tmp_path):
    assert read_settings(tmp_path, EMAIL_URL="consolemail://") == [
        "28800",
        "5",
        "900",
        "False",
    ]
    assert read_settings(
        tmp_path,
        BLCHECK_SESSION_IDLE_MINUTES="30",
        BLCHECK_LOGIN_FAILURE_LIMIT="10",
        BLCHECK_LOGIN_LOCKOUT_MINUTES="60",
        EMAIL_URL="smtp://127.0.0.1:2525",
    ) == ["1800", "10", "3600", "True"]


def test_dashboard_polling_does_not_keep_a_session_alive(client, it_staff):
    dashboard = reverse("reports:dashboard")
    poll = {"HX-Request": "true"}
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(it_staff)
        for _ in range(4):
            clock.shift(timedelta(hours=1, minutes=59))
            assert client.get(dashboard, headers=poll).status_code == 200
        clock.shift(timedelta(minutes=5))  # 8 h 1 min after the log-in
        response = client.get(dashboard, headers=poll)
        # The poll reloads the page, which then asks to log in.
        assert (response.status_code, response["HX-Refresh"]) == (200, "true")
        assert client.get(dashboard)["Location"].startswith(reverse("login"))
