"""Every main page, filled by seed_demo: a title, one h1, a label for every
field, a caption or name for every table, and nothing told by colour alone
in the verdict badges."""

import re

import pytest

from tests.support.html import Element, parse
from tests.support.pages import main_pages

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


def unlabelled_fields(page: Element) -> list[str]:
    """Fields (name or id) with no label: none wraps them, none names their
    id, and they have no aria-label or aria-labelledby."""
    wrapped = {id(inner) for label in page.find_all("label") for inner in label.iter()}
    labelled = {label["for"] for label in page.find_all("label") if label.get("for")}
    return [
        str(field.get("name") or field.get("id"))
        for field in page.iter()
        if field.tag in {"input", "select", "textarea"}
        and field.get("type") not in UNLABELLED_TYPES
        and id(field) not in wrapped
        and field.get("id") not in labelled
        and not field.get("aria-label")
        and not field.get("aria-labelledby")
    ]


def unnamed_tables(page: Element) -> int:
    """Tables with neither a caption nor an aria-label(ledby)."""
    tables = page.find_all("table")
    named = sum(1 for t in tables if t.get("aria-label") or t.get("aria-labelledby"))
    return max(0, len(tables) - named - len(page.find_all("caption")))


def page_title(page: Element) -> str:
    """The page's own title (the first one; an SVG chart's come later)."""
    titles = page.find_all("title")
    return "".join(titles[0].strings()).strip() if titles else ""


def badges(page: Element) -> list[str]:
    """The text of each verdict badge (class "badge badge-<verdict>")."""
    found = [e for e in page.iter() if "badge-" in (e.get("class") or "")]
    inner = {id(e) for badge in found for e in list(badge.iter())[1:]}
    return ["".join(badge.strings()) for badge in found if id(badge) not in inner]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_main_pages_are_titled_labelled_and_captioned(client, it_staff, demo, language):
    client.force_login(it_staff)
    problems = {}
    for url in main_pages():
        page = parse(client.get(url, HTTP_ACCEPT_LANGUAGE=language).content)
        found = {
            "title": re.fullmatch(r".+ · blcheck", page_title(page)) is None,
            "h1": len(page.find_all("h1")) != 1,
            "unlabelled fields": unlabelled_fields(page),
            "tables without caption or name": unnamed_tables(page),
        }
        found = {name: value for name, value in found.items() if value}
        if found:
            problems[url] = found
    assert problems == {}


def test_verdict_badges_carry_a_word_not_just_a_colour(client, it_staff, demo):
    client.force_login(it_staff)
    texts = []
    for url in main_pages():
        texts += badges(parse(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content))
    assert len(texts) > 10
    wordless = [text for text in texts if not re.search(r"[A-Za-z]{2,}", text)]
    assert wordless == []


def test_the_scan_finds_an_unlabelled_field_and_an_unnamed_table():
    page = parse(
        '<label for="a">A</label><input id="a"><label>B <input name="b"></label>'
        '<input name="c"><input type="hidden" name="d"><table></table>'
    )
    assert unlabelled_fields(page) == ["c"]
    assert unnamed_tables(page) == 1
