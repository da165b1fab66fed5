"""Japanese and English: the catalogue is complete, compiled, and used."""

import gettext
import re

import pytest
from django.conf import settings

from tests.support.html import parse

PO = settings.BASE_DIR / "blcheck/locale/ja/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")


def po_entries() -> dict[str, str]:
    entries = {}
    for block in PO.read_text().split("\n\n"):
        if "#, fuzzy" in block:
            raise AssertionError(f"fuzzy entry left in the catalogue:\n{block}")
        msgid = re.search(r'^msgid ((?:".*"\n)+)', block + "\n", re.MULTILINE)
        msgstr = re.search(
            r'^msgstr(?:\[0\])? ((?:".*"\n)+)', block + "\n", re.MULTILINE
        )
        if msgid and msgstr:
            key = "".join(re.findall(r'"(.*)"', msgid.group(1)))
            if key:
                entries[key] = "".join(re.findall(r'"(.*)"', msgstr.group(1)))
    return entries


def test_every_string_has_a_japanese_translation():
    untranslated = [k for k, v in po_entries().items() if not v]
    assert untranslated == []


def test_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        k
        for k, v in po_entries().items()
        if "%(counter)s" not in k
        and compiled.gettext(k.replace('\\"', '"')) != v.replace('\\"', '"')
    ]
    assert stale == [], "run: python manage.py compilemessages -l ja --ignore=.venv"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "title", "lang"),
    [("ja", "監視対象", "ja"), ("en", "Targets", "en")],
)
def test_pages_speak_the_browsers_language(client, it_staff, accept, title, lang):
    client.force_login(it_staff)
    page = parse(client.get("/targets/", HTTP_ACCEPT_LANGUAGE=accept).content)
    assert page.find("html")["lang"] == lang
    assert page.find("title").text == f"{title} · blcheck"


@pytest.mark.django_db
def test_language_switch_sticks(client, it_staff):
    client.force_login(it_staff)
    client.post("/i18n/setlang/", {"language": "en", "next": "/targets/"})
    page = parse(client.get("/targets/", HTTP_ACCEPT_LANGUAGE="ja").content)
    assert page.find("title").text == "Targets · blcheck"
