"""Import as people really do (a paste from Excel, CSV with or without a
header, UTF-8 or Shift_JIS) and export the same format back: the pure reader
first, then the bulk form and the export through the Django client."""

import csv
import io
import random

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from blcheck.core.export import csv_lines, formula_guard
from blcheck.monitoring.forms import BulkTargetForm
from blcheck.monitoring.imports import (
    COLUMNS,
    bulk_rows,
    decode_upload,
    export_row,
    guard,
    read_pasted,
    read_table,
    unguard,
)
from blcheck.monitoring.models import Tag, Target
from blcheck.monitoring.targets import TargetError
from tests.factories import TargetFactory
from tests.support.html import parse

LIMITS = {"max_range_size": 1024, "max_addresses": 65536}
SAVE_AS = "File → Save As → file type “CSV UTF-8 (Comma delimited) (*.csv)”."


def wide(text):
    """The text as a Japanese IME types it in full-width mode."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def rows_of(records):
    rows, errors = bulk_rows(records, **LIMITS)
    assert errors == []
    return [(r.line, r.target.value, r.label, r.tags, r.interval) for r in rows]


# --- bytes to text ------------------------------------------------------------

JAPANESE = "value,label,tags\n192.0.2.1,東京 送信サーバー,東京;送信\n"


def test_utf8_with_or_without_a_bom_is_read_as_it_is():
    assert decode_upload(JAPANESE.encode()) == (JAPANESE, None)
    assert decode_upload(b"\xef\xbb\xbf" + JAPANESE.encode()) == (JAPANESE, None)


def test_japanese_excel_csv_in_cp932_is_read_with_a_note():
    text, note = decode_upload(JAPANESE.encode("cp932"))
    assert text == JAPANESE
    assert "read as Shift_JIS (CP932)" in str(note)
    records, _ = read_table(text)
    assert rows_of(records) == [
        (2, "192.0.2.1", "東京 送信サーバー", ("東京", "送信"), None)
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe\x00garbage",  # UTF-16 from "Unicode Text"
        "192.0.2.1,テスト\n".encode("utf-16"),
        b"\x80\x81\xfd\xfe\xff",  # neither UTF-8 nor CP932
        b"192.0.2.1,\xfd\n",  # CP932 has no 0xFD (Python reads it as private use)
        b"192.0.2.1,\x80\n",  # nor 0x80 (a control character)
        b"192.0.2.1,\x00\x01\x02\n",  # binary
    ],
)
def test_undecodable_bytes_say_exactly_how_to_save_utf8(data):
    with pytest.raises(TargetError) as caught:
        decode_upload(data)
    assert str(caught.value) == (
        "The file is neither UTF-8 nor Shift_JIS (CP932) text. In Excel, save "
        "it again with " + SAVE_AS
    )


def test_a_private_use_character_in_utf8_is_kept():
    text = "192.0.2.1,mx \uf8ff\n"
    assert decode_upload(text.encode()) == (text, None)


def test_an_excel_workbook_is_refused_saying_how_to_save_csv():
    with pytest.raises(TargetError) as caught:
        decode_upload(b"PK\x03\x04\x14\x00\x06\x00rest of an .xlsx")
    assert str(caught.value) == (
        "The file is an Excel workbook, not CSV. In Excel, save it again with "
        + SAVE_AS
    )


# --- text to records --------------------------------------------------------


def test_csv_without_a_header_is_value_label_tags_interval():
    records, notes = read_table("192.0.2.1,mx1,tokyo;mx,15\n192.0.2.2\n")
    assert notes == []
    assert rows_of(records) == [
        (1, "192.0.2.1", "mx1", ("tokyo", "mx"), 15),
        (2, "192.0.2.2", "", (), None),
    ]


@pytest.mark.parametrize(
    "header",
    [
        "value,label,tags,interval",
        "Address,Label,Tags,Interval (minutes)",
        "アドレス,ラベル,タグ,間隔" + wide("(分)"),
        wide("IP") + "アドレス,名前,タグ,チェック間隔",
    ],
)
def test_a_header_row_in_english_or_japanese_names_the_columns(header):
    records, notes = read_table(f"{header}\n192.0.2.1,mx1,tokyo,15\n")
    assert notes == []
    assert rows_of(records) == [(2, "192.0.2.1", "mx1", ("tokyo",), 15)]


def test_header_columns_in_any_order_and_unknown_ones_left_out_with_a_note():
    records, notes = read_table("備考,label,value\nkeep out,mx1,192.0.2.1\n")
    assert rows_of(records) == [(2, "192.0.2.1", "mx1", (), None)]
    assert [str(n) for n in notes] == [
        "Columns left out: 備考. blcheck reads value, label, tags, interval."
    ]


def test_a_header_without_the_value_column_is_refused():
    with pytest.raises(TargetError, match="must name the columns, with value"):
        read_table("label,tags\nmx1,tokyo\n")


def test_blank_rows_and_comments_are_skipped_and_lines_are_counted():
    text = '# exported\nvalue,label\n\n,,\n192.0.2.1,"two\nlines"\n10.0.0.1x,typo\n'
    records, _ = read_table(text)
    rows, errors = bulk_rows(records, **LIMITS)
    assert [(r.line, r.label) for r in rows] == [(5, "two\nlines")]
    assert [(e.line, e.text) for e in errors] == [(7, "10.0.0.1x,typo")]


def test_a_tab_separated_file_with_a_comment_and_a_bom_first():
    text = "\ufeff# from the asset sheet, 2026-12\nアドレス\tラベル\n192.0.2.1\t\n"
    records, _ = read_table(text)
    assert rows_of(records) == [(3, "192.0.2.1", "", (), None)]


def test_cells_copied_from_excel_are_address_label_tags():
    pasted = "192.0.2.1\t送信 MX\t東京;送信\n198.51.100.0/30\tpool\t\nexample.jp\n"
    records, _ = read_pasted(pasted)
    assert rows_of(records) == [
        (1, "192.0.2.1", "送信 MX", ("東京", "送信"), None),
        (2, "198.51.100.0/30", "pool", (), None),
        (3, "example.jp", "", (), None),
    ]


def test_a_paste_from_excel_with_its_header_row():
    pasted = "アドレス\tラベル\tタグ\r\n192.0.2.1\tmx # 1\ttokyo\r\n"
    records, _ = read_pasted(pasted)
    # A cell is a cell: "#" in it is no comment.
    assert rows_of(records) == [(2, "192.0.2.1", "mx # 1", ("tokyo",), None)]


def test_plain_pasted_lines_keep_their_old_meaning():
    records, _ = read_pasted("192.0.2.1, outbound MX, Tokyo # note\n# all comment\n")
    assert rows_of(records) == [(1, "192.0.2.1", "outbound MX, Tokyo", (), None)]


def test_a_label_that_is_a_column_name_is_not_a_header():
    records, _ = read_pasted("192.0.2.1 name\n")
    assert rows_of(records) == [(1, "192.0.2.1", "name", (), None)]


# --- the export's guard -------------------------------------------------------

HOSTILE = [
    "=1+1",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1+1",
    ";=1+1",
    "a;=1",
    "'=already quoted",
    "''=twice",
    "a;'=1",
    "'\tx",
    "=1;-2|+3,@4",
    "plain label",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_guard_is_undone_exactly_and_satisfies_the_csv_writer(text):
    guarded = guard(text)
    assert unguard(guarded) == text
    assert formula_guard(guarded) == guarded  # core.export adds nothing more


def test_the_guard_round_trips_any_text():
    alphabet = "=+-@';|,\t\r\n a\u3000"
    rng = random.Random(15)
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert unguard(guard(text)) == text, repr(text)
        assert formula_guard(guard(text)) == guard(text), repr(text)


def test_an_exported_row_reads_back_as_it_was():
    row = export_row(
        value="192.0.2.1", label="=HYPERLINK(1)", tags=["-x", "tokyo"], interval=15
    )
    text = "".join(csv_lines(COLUMNS, [row]))
    decoded, note = decode_upload(text.encode())
    records, _ = read_table(decoded)
    assert note is None
    assert rows_of(records) == [(2, "192.0.2.1", "=HYPERLINK(1)", ("-x", "tokyo"), 15)]


# --- the bulk form and the export, through the client ---------------------


def post_bulk(client, **data):
    return client.post(
        reverse("monitoring:target-bulk"), {"check_interval_minutes": 60, **data}
    )


def upload(content: bytes, name="targets.csv"):
    file = io.BytesIO(content)
    file.name = name
    return file


def alert(response) -> str:
    return parse(response.content.decode()).find(role="alert").text


@pytest.mark.django_db
def test_a_paste_with_one_typo_saves_nothing_and_names_the_line(client, it_staff):
    client.force_login(it_staff)
    pasted = "192.0.2.1\tmx1\ttokyo\n192.0.2.2\tmx2\n10.0.0.1x\tmx3\n"
    response = post_bulk(client, lines=pasted)
    assert response.status_code == 422
    assert "Line 3 (10.0.0.1x mx3): '10.0.0.1x' looks like an IP address" in (
        alert(response)
    )
    assert not Target.objects.exists() and not Tag.objects.exists()


@pytest.mark.django_db
def test_a_cp932_file_from_japanese_excel_is_added(client, it_staff):
    client.force_login(it_staff)
    content = "アドレス,ラベル,タグ\r\n192.0.2.1,東京 MX,東京\r\n".encode("cp932")
    response = post_bulk(client, csv_file=upload(content))
    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.label, [t.name for t in target.tags.all()]) == ("東京 MX", ["東京"])


@pytest.mark.django_db
def test_an_undecodable_file_says_how_to_save_utf8_in_japanese(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-bulk"),
        {"check_interval_minutes": 60, "csv_file": upload(b"\x80\xfd\xfe\xff")},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 422
    how = (
        "ファイル → 名前を付けて保存 → "
        "ファイルの種類「CSV UTF-8 (コンマ区切り) (*.csv)」"
    )
    errors = parse(response.content.decode()).by_id("id_csv_file_errors").text
    assert how in errors
    assert not Target.objects.exists()


@pytest.mark.django_db
def test_the_form_notes_say_how_each_line_was_read():
    lines = f"http://mail.example.jp/\n{wide('198.51.100.1')}\n8.8.8.8\n"
    form = BulkTargetForm({"check_interval_minutes": 60, "lines": lines})
    with translation.override("en"):
        assert form.is_valid(), form.errors
        assert form.notes() == [
            "Line 1: http://mail.example.jp/ is a web address: watching its host "
            "mail.example.jp.",
            f"Line 2: '{wide('198.51.100.1')}' is read as 198.51.100.1.",
            "Line 2: 198.51.100.1 is a private, reserved or documentation "
            "address: it is not routed on the Internet.",
        ]


def export(client, **params) -> bytes:
    response = client.get(reverse("monitoring:target-export"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_export_then_import_into_an_empty_database_changes_nothing(
    client, it_staff, django_assert_max_num_queries
):
    tokyo, hostile = Tag.objects.create(name="tokyo"), Tag.objects.create(name="-1")
    TargetFactory(value="192.0.2.10", label="mx 10", check_interval_minutes=15)
    TargetFactory(value="2001:db8::/126", kind="range", label="=cmd|' /C calc'!A0")
    TargetFactory(value="example.jp", kind="domain", label="東京, 送信").tags.add(
        tokyo, hostile
    )
    TargetFactory(value="192.0.2.9", label="; @SUM(1)").tags.add(tokyo)
    TargetFactory(value="198.51.100.1", archived_at=timezone.now())
    client.force_login(it_staff)
    with django_assert_max_num_queries(8):
        first = export(client)
    text = first.decode("utf-8")
    assert text.startswith("\ufeffvalue,label,tags,interval\r\n")
    lines = text.splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [
        "192.0.2.9",
        "192.0.2.10",
        "2001:db8::/126",
        "example.jp",
    ]  # by address, the archived one left out
    assert "'=cmd" in text and "'-1;tokyo" in text and ";' @SUM(1)" in text
    before = _targets()
    Target.objects.all().delete()
    Tag.objects.all().delete()
    assert post_bulk(client, csv_file=upload(first)).status_code == 302
    assert _targets() == [t for t in before if t[0] != "198.51.100.1"]
    assert export(client) == first


def _targets():
    return [
        (
            t.value,
            t.kind,
            t.label,
            t.check_interval_minutes,
            sorted(map(str, t.tags.all())),
        )
        for t in Target.objects.order_by("sort_key")
    ]


@pytest.mark.django_db
def test_the_export_takes_the_target_list_filters(reader):
    TargetFactory(value="192.0.2.1").tags.add(Tag.objects.create(name="tokyo"))
    TargetFactory(value="example.com", kind="domain")
    TargetFactory(value="198.51.100.1", archived_at=timezone.now())

    def values(**params):
        text = export(reader, **params).decode("utf-8-sig")
        return [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]

    assert values(tag="tokyo") == ["192.0.2.1"]
    assert values(kind="domain") == ["example.com"]
    assert values(q="example") == ["example.com"]
    assert values(state="archived") == ["198.51.100.1"]


@pytest.mark.django_db
def test_only_staff_and_managers_may_export(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("monitoring:target-export")).status_code == 403
    client.logout()
    assert client.get(reverse("monitoring:target-export")).status_code == 302


@pytest.mark.django_db
def test_the_export_reads_in_chunks_whatever_its_size(
    reader, django_assert_max_num_queries
):
    tag = Tag.objects.create(name="pool")
    targets = Target.objects.bulk_create(
        Target(
            value=f"10.{n // 250}.{n % 250}.1",
            kind="address",
            check_interval_minutes=60,
        ).set_keys()
        for n in range(1200)
    )
    Target.tags.through.objects.bulk_create(
        Target.tags.through(target_id=t.pk, tag_id=tag.pk) for t in targets
    )
    with django_assert_max_num_queries(12):  # 2 per 500 targets, and the log-in
        lines = export(reader).decode("utf-8-sig").splitlines()
    assert len(lines) == 1201
    assert lines[1:3] == ["10.0.0.1,,pool,60", "10.0.1.1,,pool,60"]


@pytest.mark.django_db
def test_the_bulk_page_says_how_a_pasted_url_and_address_were_read(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-bulk"),
        {
            "lines": "http://mail.example.jp/\npostmaster@example.net",
            "check_interval_minutes": 60,
        },
        follow=True,
    )
    assert set(Target.objects.values_list("value", flat=True)) == {
        "mail.example.jp",
        "example.net",
    }
    said = " ".join(str(m) for m in response.context["messages"])
    assert "mail.example.jp" in said and "web address" in said
    assert "example.net" in said and "e-mail address" in said
