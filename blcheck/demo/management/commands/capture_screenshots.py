"""Screenshots of every main page, for the README and docs/screenshots/.

Serves this project in-process on a free loopback port, logs in one demo IT
staff member (made by `seed_demo`) and saves a full-page PNG of each page with
headless Chromium. Needs the development requirements (Playwright) and
/usr/bin/chromium; never downloads a browser.
"""

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from django.test.testcases import LiveServerThread
from django.urls import reverse

from blcheck.cases.models import DelistingCase
from blcheck.cases.workflow import ENDED
from blcheck.monitoring.models import Target

SAMPLE_BOUNCE = (
    "554 Service unavailable; Client host [mx.example.net] blocked using "
    "Barracuda Reputation; "
    "http://www.barracudanetworks.com/reputation/?r=1&ip=198.18.0.7\n"
)


class Command(BaseCommand):
    help = "Write a screenshot of every main page (filled by seed_demo) as PNG."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", default=str(settings.BASE_DIR / "docs" / "screenshots")
        )
        parser.add_argument(
            "--language", action="append", choices=["en", "ja"], dest="languages"
        )
        parser.add_argument("--user", default="demo-sato", help="an IT staff login")
        parser.add_argument("--chromium", default="/usr/bin/chromium")
        parser.add_argument("--width", type=int, default=1280)
        parser.add_argument("--height", type=int, default=860)
        parser.add_argument(
            "--full-page", action="store_true", help="the whole page, not one screen"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Screenshots are for demo data: set DEBUG=true.")
        user = User.objects.filter(username=options["user"]).first()
        if user is None or not Target.objects.exists():
            raise CommandError(
                "No demo data: run `python manage.py seed_demo` first.", returncode=2
            )
        if not Path(options["chromium"]).exists():
            raise CommandError(f"No browser at {options['chromium']}", returncode=2)
        pages = self._pages()
        session = _session_cookie(user)
        server = _start_server()
        try:
            for language in options["languages"] or ["en", "ja"]:
                out = Path(options["out"]) / language
                out.mkdir(parents=True, exist_ok=True)
                # Playwright's sync API wants a thread without an event loop:
                # the caller's may have one (a test, a notebook).
                _in_thread(
                    partial(
                        self._capture, server, session, language, pages, out, options
                    )
                )
        finally:
            server.terminate()

    def _pages(self) -> list[tuple[str, str]]:
        target = (
            Target.objects.filter(listings__is_listed=True).order_by("pk").first()
            or Target.objects.order_by("pk").first()
        )
        case = (
            DelistingCase.objects.exclude(status__in=ENDED).order_by("pk").first()
            or DelistingCase.objects.order_by("pk").first()
        )
        pages = [
            ("dashboard", reverse("reports:dashboard")),
            ("targets", reverse("monitoring:target-list")),
            ("target", reverse("reports:target-detail", args=[target.pk])),  # type: ignore[union-attr]
            ("cases", reverse("cases:case-list") + "?active=true"),
            ("bounce", reverse("cases:bounce-intake")),
            ("blocklists", reverse("monitoring:blocklist-list")),
            ("history-lookups", reverse("reports:history-lookups") + "?verdict=listed"),
            ("history-episodes", reverse("reports:history-episodes")),
            ("reports", reverse("reports:report-index")),
            ("report-listings-per-month", reverse("reports:report-listings-per-month")),
            ("report-time-to-delist", reverse("reports:report-time-to-delist")),
            ("report-case-ageing", reverse("reports:report-case-ageing")),
            ("report-repeat-listings", reverse("reports:report-repeat-listings")),
            ("report-cases-per-person", reverse("reports:report-cases-per-person")),
        ]
        if case is not None:
            pages.insert(4, ("case", reverse("cases:case-detail", args=[case.pk])))
        return pages

    def _capture(
        self,
        server: LiveServerThread,
        session: str,
        language: str,
        pages: list[tuple[str, str]],
        out: Path,
        options: dict[str, Any],
    ) -> None:
        from playwright.sync_api import sync_playwright

        base = f"http://127.0.0.1:{server.port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=options["chromium"],
                args=["--no-sandbox", "--disable-background-networking"],
            )
            context = browser.new_context(
                viewport={"width": options["width"], "height": options["height"]},
                locale="ja-JP" if language == "ja" else "en-US",
            )
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session,
                        "url": base,
                    },
                    {
                        "name": settings.LANGUAGE_COOKIE_NAME,
                        "value": language,
                        "url": base,
                    },
                ]
            )
            page = context.new_page()
            for name, path in pages:
                response = page.goto(base + path, wait_until="networkidle")
                if response is None or response.status != 200:
                    status = response.status if response else "no answer"
                    raise CommandError(f"{path} answered {status}")
                if name == "bounce":
                    page.get_by_role("textbox").first.fill(SAMPLE_BOUNCE)
                path_out = out / f"{name}.png"
                page.screenshot(path=str(path_out), full_page=options["full_page"])
                self.stdout.write(str(path_out))
            browser.close()


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _in_thread(work: Callable[[], None]) -> None:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as failure:  # handed to the caller's thread
            failures.append(failure)

    thread = threading.Thread(target=run, name="capture_screenshots")
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def _start_server() -> LiveServerThread:
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise CommandError(f"Cannot serve the pages: {server.error}")
    return server
