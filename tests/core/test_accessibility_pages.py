"""Every main page, filled by seed_demo: a title, one h1, a label for every
field, a caption or name for every table, and nothing told by colour alone
in the verdict badges."""

import re
from html.parser import HTMLParser

import pytest

from tests.core.test_i18n_pages import _pages

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.h1 = 0
        self.tables: list[dict[str, str | None]] = []
        self.captions = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(str(attributes["for"]))
        elif tag in {"input", "select", "textarea"}:
            if attributes.get("type") not in UNLABELLED_TYPES:
                self.fields.append({**attributes, "_wrapped": str(self.open_labels)})
        elif tag == "h1":
            self.h1 += 1
        elif tag == "table":
            self.tables.append(attributes)
        elif tag == "caption":
            self.captions += 1
        elif tag == "title" and not self.title:
            self._in_title = True  # the page's, not an SVG chart's

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def unlabelled(self) -> list[str]:
        return [
            str(field.get("name") or field.get("id"))
            for field in self.fields
            if field["_wrapped"] == "0"
            and field.get("id") not in self.label_for
            and not field.get("aria-label")
            and not field.get("aria-labelledby")
        ]

    def unnamed_tables(self) -> int:
        named = sum(
            1 for t in self.tables if t.get("aria-label") or t.get("aria-labelledby")
        )
        return max(0, len(self.tables) - named - self.captions)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_main_pages_are_titled_labelled_and_captioned(client, it_staff, demo, language):
    client.force_login(it_staff)
    problems = {}
    for url in _pages():
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        page = _Page()
        page.feed(html)
        found = {
            "title": re.fullmatch(r".+ · blcheck", page.title.strip()) is None,
            "h1": page.h1 != 1,
            "unlabelled fields": page.unlabelled(),
            "tables without caption or name": page.unnamed_tables(),
        }
        found = {name: value for name, value in found.items() if value}
        if found:
            problems[url] = found
    assert problems == {}


class _Badges(HTMLParser):
    """The text inside each verdict badge (class "badge badge-<verdict>")."""

    def __init__(self) -> None:
        super().__init__()
        self.badges: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif "badge-" in (dict(attrs).get("class") or ""):
            self.depth = 1
            self.badges.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.badges[-1] += data


def test_verdict_badges_carry_a_word_not_just_a_colour(client, it_staff, demo):
    client.force_login(it_staff)
    badges = _Badges()
    for url in _pages():
        badges.feed(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert len(badges.badges) > 10
    wordless = [text for text in badges.badges if not re.search(r"[A-Za-z]{2,}", text)]
    assert wordless == []


def test_the_scan_finds_an_unlabelled_field_and_an_unnamed_table():
    page = _Page()
    page.feed(
        '<label for="a">A</label><input id="a"><label>B <input name="b"></label>'
        '<input name="c"><input type="hidden" name="d"><table></table>'
    )
    assert page.unlabelled() == ["c"]
    assert page.unnamed_tables() == 1
