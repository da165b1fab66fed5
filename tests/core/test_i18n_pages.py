"""Every main page, filled by seed_demo, read in Japanese: no English left over.

The catalogue test proves each msgid has a translation; this one proves the
pages use them: a run of three or more English words in the visible text (or
in a title, aria-label, placeholder or alt) of a Japanese page is a string
that was never marked for translation, unless it is data (a list's name, a
TXT record, a confirmation number).
"""

from tests.support.pages import data_values, english_runs, main_pages


def test_japanese_pages_have_no_untranslated_english(client, it_staff, demo):
    client.force_login(it_staff)
    data = data_values()
    left = {}
    for url in main_pages():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="ja")
        assert response.status_code == 200, url
        english = english_runs(response.content.decode(), data)
        if english:
            left[url] = english
    assert left == {}


def test_the_scan_finds_an_untranslated_sentence():
    html = "<p>監視対象</p><p>Nothing to show yet</p><code>Not this one here</code>"
    assert english_runs(html, set()) == ["Nothing to show yet"]
    # Cells never join into a sentence; the read attributes are read.
    row = "<tr><td>Open</td><td>Closed</td><td>Listed</td></tr>"
    button = '<button title="Open the case now">+</button>'
    assert english_runs(row + button, set()) == ["Open the case now"]
