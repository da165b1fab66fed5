"""The security headers of every response (blcheck/core/headers.py, django-csp,
Django's own middleware) and pages that keep to the Content-Security-Policy:
no inline script, style or event handler, and nothing htmx would have to eval.
"""

import pytest
from django.conf import settings as django_settings
from django.templatetags.static import static
from django.urls import reverse

from blcheck.core.headers import DENIED_FEATURES
from tests.factories import LookupFactory
from tests.support.headers import directives
from tests.support.html import Element, parse
from tests.support.pages import main_pages

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post"}


def is_code(name: str, value: str) -> bool:
    """Whether an attribute holds code: a handler, a style, or a string that
    htmx would eval or a browser would run."""
    value = value.strip().lower()
    if name == "style" or name.startswith(("on", "hx-on", "data-hx-on")):
        return True
    if name in {"hx-vars", "hx-vals"}:
        return value.startswith(("js:", "javascript:"))
    if name == "hx-trigger":
        return "[" in value  # a filter is evaluated
    return name in URL_ATTRIBUTES and value.startswith("javascript:")


def inline_code(page: Element) -> list[str]:
    """What the CSP would block or htmx would eval: inline scripts (JSON data
    blocks are not run), <style> blocks, style= and on*= attributes, hx-on,
    javascript: URLs, trigger filters and js: values."""
    found = []
    for element in page.iter():
        inline = element.tag == "script" and not element.get("src")
        if inline and element.get("type") != "application/json":
            found.append(f"<script> {''.join(element.strings())[:60]!r}")
        if element.tag == "style":
            found.append("<style>")
        found += [
            f"<{element.tag} {name}={value[:60]!r}>"
            for name, value in element.attrs.items()
            if is_code(name, value)
        ]
    return found


def test_a_page_sends_exactly_the_policy(reader):
    response = reader.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert "Content-Security-Policy-Report-Only" not in response


def test_no_main_page_holds_inline_script_style_or_handlers(client, it_staff, demo):
    client.force_login(it_staff)
    found = {}
    for url in main_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        if problems := inline_code(parse(response.content)):
            found[url] = problems
    assert found == {}


def test_the_login_page_holds_no_inline_code(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert inline_code(parse(response.content)) == []
    assert directives(response["Content-Security-Policy"]) == POLICY


def test_htmx_is_told_never_to_eval_nor_to_inject_styles(reader):
    page = parse(reader.get(reverse("reports:dashboard")).content)
    config = page.find("meta", name="htmx-config")["content"]
    assert '"allowEval":false' in config
    assert '"includeIndicatorStyles":false' in config
    assert '"allowScriptTags":false' in config


def test_the_dashboard_pauses_and_guards_its_panels_without_inline_code(reader):
    page = parse(reader.get(reverse("reports:dashboard")).content)
    live = page.find(class_="dash-live")
    assert live["hx-trigger"] == "every 15s"
    assert live["data-paused-by"] == page.by_id("dash-pause")["id"]
    assert page.find(class_="dashboard").get("data-live-panels") is not None
    sources = [s["src"] for s in page.find_all("script") if s.get("src")]
    assert any(src.endswith("js/blcheck.js") for src in sources)


def test_pages_are_private_and_never_stored(reader):
    response = reader.get(reverse("reports:dashboard"))
    assert response["Cache-Control"] == "private, no-store"


def test_csv_exports_are_private_and_never_stored(reader):
    LookupFactory(verdict="listed")
    response = reader.get(reverse("reports:history-lookups-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    report = reader.get(reverse("reports:report-cases-per-person-csv"))
    assert report.status_code == 200
    assert report["Cache-Control"] == "private, no-store"


def test_permissions_policy_denies_the_features_we_never_use(reader):
    response = reader.get(reverse("reports:dashboard"))
    policy = dict(
        entry.strip().split("=", 1)
        for entry in response["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()"
    assert set(policy) == set(DENIED_FEATURES)


def test_django_keeps_its_own_security_headers(reader):
    response = reader.get(reverse("reports:dashboard"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_static_files_keep_their_cache_headers(client, settings):
    # Production's stack: WhiteNoise right below GZip serves static files before
    # the no-store middleware sees them.
    stack = list(django_settings.MIDDLEWARE)
    stack.insert(
        stack.index("django.middleware.gzip.GZipMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
    settings.MIDDLEWARE = stack
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.STATIC_ROOT = None
    response = client.get(static("css/blcheck.css"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "public" in response["Cache-Control"]
