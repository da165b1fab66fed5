"""Reading one page in a test: as one user, a 200, parsed; then its parts.

page = target_page(client, manager, target)
row(section(page, "verdicts"), "Alpha").classes   # {"verdict-listed"}
"""

from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from blcheck.monitoring.models import Target
from tests.support.html import Element, parse


def get_ok(client: Client, user: User, url: str, **params: Any) -> Any:
    """`url` as `user` sees it (the test client's response, with .context);
    anything but a 200 fails the test."""
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def target_page(client: Client, user: User, target: Target, **params: Any) -> Element:
    """The target's page, parsed."""
    url = reverse("reports:target-detail", args=[target.pk])
    return parse(get_ok(client, user, url, **params).content)


def section(page: Element, name: str) -> Element:
    """The <section aria-labelledby="name">: the one headed by #name."""
    return page.find("section", aria_labelledby=name)


def row(element: Element, text: str) -> Element:
    """The one table row whose text holds `text`."""
    rows = element.find_all("tr", text=text)
    assert len(rows) == 1, text
    return rows[0]


def row_linking(element: Element, url: str) -> Element:
    """The one table row holding a link to `url`."""
    rows = [tr for tr in element.find_all("tr") if tr.find_all("a", href=url)]
    assert len(rows) == 1, url
    return rows[0]
