"""Error pages: 404 and 403 in the visitor's language, and a 500 page that
needs nothing (no database, no request context) and speaks both languages."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

from tests.support.html import parse


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken)]


@pytest.mark.urls(__name__)
def test_server_error_page_needs_no_database_and_speaks_both_languages():
    """No django_db mark: a database query while rendering it fails the test."""
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    page = parse(response.content)
    headings = [h.text for h in page.find_all("h1")]
    assert headings == ["エラーが発生しました", "Something went wrong"]
    assert page.find("div", lang="en")
    assert b"a bug" not in response.content and b"Traceback" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "heading"), [("ja", "見つかりません"), ("en", "Not found")]
)
def test_missing_page_is_ours_in_the_browsers_language(client, accept, heading):
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 404
    assert parse(response.content).find("h1").text == heading


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "heading"), [("ja", "権限がありません"), ("en", "Not allowed")]
)
def test_forbidden_page_is_ours_in_the_browsers_language(
    client, manager, accept, heading
):
    client.force_login(manager)
    response = client.get(reverse("cases:case-open"), HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 403
    assert parse(response.content).find("h1").text == heading
