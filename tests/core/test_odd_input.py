"""Odd input never gives a 500: random values (NUL, any unicode but surrogates,
huge and negative numbers, impossible dates, very long text, repeated
parameters) in every GET parameter of every page a person opens, and in every
field of every POST form, as IT staff. A refusal (400, 404, 422) or a redirect
is fine; a 500 fails with the URL and the parameters that caused it.

The pages come from the URLconf (as tests/core/test_access.py walks it); the
parameters and fields from the pages themselves: the names and offered values
of their forms and the query strings of their links, plus the names any list
page reads (NAMES). The examples are derandomized by the "ci" Hypothesis
profile (tests/conftest.py); HYPOTHESIS_PROFILE=explore hunts with random ones.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import resolve, reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from blcheck.monitoring.models import Blocklist
from tests.core.test_access import GROUP, PUBLIC, product_urls
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    DelistingCaseFactory,
    ListingChangeFactory,
    ListingFactory,
    LookupFactory,
    TargetFactory,
)
from tests.support.history import ago, bulk_lookups
from tests.support.html import Element, parse

# Tokyo: midnight of a day is the day before in UTC, where the extreme dates fail.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tokyo")]

# Not a server error: shown, refused, redirected, not found, not allowed here.
# 409: a confirmation whose selection changed since it was shown (/targets/act/).
FINE = {200, 302, 400, 403, 404, 405, 409, 422}
# The GET parameters the list pages read, tried on every page.
NAMES = (
    "page",
    "before",
    "days",
    "q",
    "tag",
    "state",
    "blocklist",
    "verdict",
    "error",
    "target",
    "status",
    "assignee",
    "is_overdue",
    "active",
    "start",
    "end",
    "months",
    "date_from",
    "date_to",
    "subject",
)
# Every POST form a person fills in, by URL name: the page that shows it.
FORMS = {
    "monitoring:target-create": "/targets/new/",
    "monitoring:target-bulk": "/targets/bulk/",
    "monitoring:target-bulk-action": "/targets/act/?action=pause",
    "monitoring:target-edit": "/targets/1/edit/",
    "monitoring:target-act": "/targets/1/edit/",
    "monitoring:target-delete": "/targets/2/delete/",
    "monitoring:target-check-now": "/targets/1/",
    "monitoring:blocklist-create": "/lists/new/",
    "monitoring:blocklist-edit": "/lists/1/edit/",
    "monitoring:notification-settings": "/notifications/",
    "monitoring:notification-test": "/notifications/",
    "cases:case-open": "/cases/new/",
    "cases:case-mark-requested": "/cases/1/",
    "cases:case-assign": "/cases/1/",
    "cases:case-add-note": "/cases/1/",
    "cases:case-close": "/cases/1/",
    "cases:bounce-intake": "/cases/bounce/",
}
# Forms of the framework (log out, language), tested by Django itself.
FRAMEWORK = ("logout", "set_language")

ODD_WORDS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0",
    "-1",
    "-0",
    "1.5",
    "1e309",
    "NaN",
    "inf",
    "-" + "9" * 30,
    "9" * 30,
    "9" * 5000,
    str(2**63),
    str(-(2**63) - 1),
    "0001-01-01",
    "9999-12-31",
    "2025-02-30",
    "0000-00-00",
    "10000-01-01",
    "2025-13",
    "0000-01",
    "9999-12",
    "0001-01",
    "2025-1",
    "true",
    "false",
    "None",
    "null",
    "[]",
    "{}",
    "%00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "192.0.2.1",
    "::ffff:192.0.2.1",
    "0.0.0.0/0",
    "::/0",
    "xn--",
    "١٢٣",  # Arabic-Indic digits: isdigit() but not ASCII
    "²",
    "\uff19",  # fullwidth nine
    "\u202e",
    "\ufeff",
    "é" * 300,
    "1_1",
    "99999999999999999999_1",
    "1_99999999999999999999",
]
# Tried in every parameter of every page, beside the random examples.
SWEEP = [
    "\x00",
    "-1",
    "9" * 30,
    "0001-01-01",
    "9999-12-31",
    "2025-02-30",
    "0000-01",
    "9999-12",
    "0001-01",
    "\u00b2",
    "x" * 200_000,
]
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
NUMBERS = st.integers(min_value=-(10**40), max_value=10**40).map(str)
DATES = st.dates().map(str)
LONG = st.integers(min_value=1_000, max_value=300_000).map(
    lambda n: ("x" * n) if n % 2 else ("9" * n)
)
ODD = st.one_of(st.sampled_from(ODD_WORDS), TEXT, NUMBERS, DATES, LONG)
FILE_BYTES = st.one_of(
    st.binary(max_size=200),
    ODD.map(lambda text: f"value,label,tags,interval\n{text},{text}\n".encode()),
    st.builds(
        lambda n, text: b'value,label\n"' + b"x" * n + text.encode(),
        st.integers(min_value=100_000, max_value=140_000),
        TEXT,
    ),
)


# --- the objects the pages show ---------------------------------------------------


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    """The personas' password hashing is most of a test's setup here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def objects(it_staff: Any) -> None:
    """Target 1 with a run, lookups, an episode and case 1 open on it, so that the
    pages with an id exist and the lists have rows, links and cursors."""
    Blocklist.objects.filter(pk=1).delete()
    blocklist = BlocklistFactory.create(pk=1, zone="alpha.dnsbl.test", name="Alpha")
    target = TargetFactory.create(pk=1, value="192.0.2.66")
    CheckRunFactory(pk=1, target=target, group=GROUP)
    bulk_lookups(60, at=lambda i: ago(minutes=i), target=target, blocklist=blocklist)
    LookupFactory(run__target=target, blocklist=blocklist, verdict="listed")
    listing = ListingFactory(target=target, blocklist=blocklist)
    ListingChangeFactory(listing=listing)
    DelistingCaseFactory(pk=1, target=target, blocklist=blocklist, assignee=it_staff)
    TargetFactory.create(pk=2, value="192.0.2.67")  # no case: it may be deleted


@pytest.fixture
def staff(client: Client, it_staff: Any) -> Client:
    """IT staff's browser; a server error comes back as a 500, not raised."""
    client.raise_request_exception = False
    client.force_login(it_staff)
    return client


def _read(response: HttpResponseBase) -> bytes:
    """The whole body: a stream that fails half-way fails here."""
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


def _status(send: Callable[..., HttpResponseBase], url: str, data: Any) -> int | str:
    """The status, or the exception a stream raised half-way."""
    try:
        response = send(url, data)
        _read(response)
    except Exception as exc:  # reported with the request
        return f"{type(exc).__name__}: {exc}"
    return response.status_code


def _shown(data: dict[str, Any]) -> str:
    """The parameters for the failure's message, a long value as its length."""

    def short(value: Any) -> Any:
        if isinstance(value, list):
            return [short(item) for item in value]
        if isinstance(value, str) and len(value) > 80:
            return f"{value[:20]!r}… ({len(value):,} characters)"
        return value

    return repr({name: short(value) for name, value in data.items()})


@dataclass
class Form:
    """A form on a page: where it goes, its fields and the values it offers."""

    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


def _forms(page: Element, url: str, method: str) -> Iterator[Form]:
    for element in page.find_all("form"):
        if (element.get("method") or "get").lower() != method:
            continue
        form = Form(urlsplit(element.get("action") or url).path or url)
        for control in element.iter():
            name = control.get("name")
            if control.tag not in ("input", "select", "textarea") or not name:
                continue
            if name == "csrfmiddlewaretoken":
                continue
            if control.get("type") == "file":
                form.files.add(name)
                continue
            offered = form.fields.setdefault(name, [])
            if control.tag == "select":
                offered += [
                    o.get("value") or o.text for o in control.find_all("option")
                ]
            elif control.tag == "textarea":
                offered.append(control.text)
            elif control.get("type") not in ("checkbox", "radio") or (
                control.get("checked") is not None
            ):
                offered.append(control.get("value") or "")
            else:
                offered.append(control.get("value") or "on")
        yield form


def _link_params(page: Element, url: str) -> dict[str, list[str]]:
    """The query parameters of the page's links back to itself (pager, filters)."""
    found: dict[str, list[str]] = {}
    for link in page.find_all("a", href=True):
        href = urlsplit(link["href"])
        if href.path in ("", url):
            for name, value in parse_qsl(href.query, keep_blank_values=True):
                found.setdefault(name, []).append(value)
    return found


def _values(offered: list[str]) -> st.SearchStrategy[str]:
    if offered:
        return st.one_of(st.sampled_from(offered), ODD)
    return ODD


def _query(names: dict[str, list[str]]) -> st.SearchStrategy[dict[str, list[str]]]:
    """Some of the names, each once or repeated, with odd or offered values."""
    return st.sets(st.sampled_from(sorted(names))).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {
                name: st.lists(_values(names[name]), min_size=1, max_size=3)
                for name in sorted(chosen)
            }
        )
    )


# --- GET: every page, every parameter ---------------------------------------------


GET_URLS = [url for url in product_urls() if url not in PUBLIC]


@pytest.mark.parametrize("url", GET_URLS)
def test_no_get_parameter_gives_a_500(staff: Client, objects: None, url: str) -> None:
    first = staff.get(url)
    if first.status_code == 405:
        return  # takes POST only: its form is test_no_form_field_gives_a_500's
    assert first.status_code in FINE, url
    names: dict[str, list[str]] = {name: [] for name in NAMES}
    if first.get("Content-Type", "").startswith("text/html"):
        page = parse(_read(first))
        for form in _forms(page, url, "get"):
            for name, offered in form.fields.items():
                names.setdefault(name, []).extend(offered)
        for name, offered in _link_params(page, url).items():
            names.setdefault(name, []).extend(offered)

    for value in SWEEP:  # every parameter at once, each odd value in turn
        params = {name: value for name in names}
        status = _status(staff.get, url, params)
        assert status in FINE, f"GET {url} {_shown(params)} -> {status}"

    @settings(max_examples=10, deadline=None)
    @given(params=_query(names))
    def check(params: dict[str, list[str]]) -> None:
        status = _status(staff.get, url, params)
        assert status in FINE, f"GET {url} {_shown(params)} -> {status}"

    check()


# --- POST: every form, every field ------------------------------------------------


def _posted_form(staff: Client, name: str, page_url: str) -> Form:
    found = re.search(r"/(\d+)/", page_url) if "<int:pk>" in _route(name) else None
    pk = int(found[1]) if found else 0
    action = reverse(name, kwargs={"pk": pk} if pk else None)
    response = staff.get(page_url)
    assert response.status_code == 200, page_url
    for form in _forms(parse(response.content), page_url, "post"):
        if form.action == action:
            return form
    raise AssertionError(f"{page_url} shows no form posting to {action}")


def _route(name: str) -> str:
    app, url_name = name.split(":")
    for url in product_urls():
        match = resolve(url)
        if match.namespace == app and match.url_name == url_name:
            return str(match.route)
    return ""


@pytest.mark.parametrize("name", sorted(FORMS))
def test_no_form_field_gives_a_500(staff: Client, objects: None, name: str) -> None:
    form = _posted_form(staff, name, FORMS[name])
    fields = {field: _values(offered) for field, offered in form.fields.items()}
    # Each field keeps the value the page offers, or takes an odd one.
    kept = {
        field: st.sampled_from(offered or [""])
        for field, offered in form.fields.items()
    }

    @settings(max_examples=25, deadline=None)
    @given(
        data=st.fixed_dictionaries(
            {},
            optional={
                field: st.one_of(kept[field], st.lists(fields[field], max_size=3))
                for field in form.fields
            },
        ),
        files=st.fixed_dictionaries(
            {}, optional={field: FILE_BYTES for field in sorted(form.files)}
        ),
    )
    def check(data: dict[str, Any], files: dict[str, bytes]) -> None:
        posted: dict[str, Any] = dict(data)
        for field_name, content in files.items():
            posted[field_name] = SimpleUploadedFile("odd.csv", content)
        with transaction.atomic():  # each example starts from the same rows
            status = _status(staff.post, form.action, posted)
            transaction.set_rollback(True)
        sizes = {name: len(content) for name, content in files.items()}
        shown = f"{_shown(data)} files={sizes}"
        assert status in FINE, f"POST {form.action} {shown} -> {status}"

    check()


def test_every_post_form_on_every_page_is_tried(staff: Client, objects: None) -> None:
    """A form added to a page later must join FORMS (and so the test above)."""
    seen = set()
    # The pages of FORMS too: a confirmation (/targets/act/?action=pause) or
    # a target without cases (its delete page) is not one of GET_URLS.
    for url in [*GET_URLS, *FORMS.values()]:
        response = staff.get(url)
        if response.status_code != 200 or response.streaming:
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for form in _forms(parse(response.content), url, "post"):
            match = resolve(form.action)
            label = (
                f"{match.namespace}:{match.url_name}"
                if match.namespace
                else match.url_name
            )
            seen.add(label)
    assert seen - set(FRAMEWORK) == set(FORMS)
