"""Pure: the bounce parser, against the labelled corpus and behaviour by behaviour."""

import json
import random
from pathlib import Path

import pytest

from blcheck.cases.bounce import MAX_BYTES, BounceTooLarge, parse_bounce
from tests.support.bounces import BARRACUDA_REPLY, BOUNCE_FIELDS, mime_message

# Real bounces and their hand-written labels (provenance and licences: SOURCE.md).
CORPUS = Path(__file__).resolve().parents[1] / "data" / "bounces"


def _same(field: str, expected: object, got: object) -> bool:
    if expected is None or got is None:
        return expected is got
    if field in ("blocklist", "recipient"):
        return str(expected).lower() == str(got).lower()
    if field == "lookup_url":
        return str(expected).rstrip(".,;:)>]") == str(got).rstrip(".,;:)>]")
    return expected == got


def test_corpus_matches_the_hand_written_labels():
    manifest = CORPUS / "manifest.json"
    assert manifest.is_file(), f"bounce corpus not found at {CORPUS}"
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    matches = dict.fromkeys(BOUNCE_FIELDS, 0)
    mismatches = []
    false_alarms = []
    for entry in entries:
        got = parse_bounce((CORPUS / entry["file"]).read_bytes()).as_dict()
        for field in BOUNCE_FIELDS:
            if _same(field, entry[field], got[field]):
                matches[field] += 1
            else:
                mismatches.append((entry["file"], field, entry[field], got[field]))
        if entry["category"] == "other" and got["category"] != "other":
            false_alarms.append(entry["file"])

    total = len(entries)
    print(f"\nbounce corpus: {total} messages")  # noqa: T201
    for field in BOUNCE_FIELDS:
        share = 100 * matches[field] / total
        print(f"  {field:<14} {matches[field]:>3}/{total}  {share:5.1f}%")  # noqa: T201
    print(f"mismatches: {len(mismatches)}")  # noqa: T201
    for file, field, expected, got in mismatches:
        print(f"  {file}: {field} expected {expected!r}, got {got!r}")  # noqa: T201

    assert false_alarms == [], "negatives read as a listing or reputation hit"
    assert matches["category"] / total >= 0.95
    for field in BOUNCE_FIELDS[1:]:
        assert matches[field] / total >= 0.90, field


def test_barracuda_story_names_the_zone_ip_and_lookup_url():
    report = parse_bounce(BARRACUDA_REPLY)

    assert report.category == "blocklist"
    assert report.smtp_code == 554
    assert report.blocklist == "b.barracudacentral.org"
    assert report.blocked_ip == "192.0.2.66"  # the hostname in brackets is no IP
    assert report.lookup_url == (
        "http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.66"
    )
    assert report.recipient is None


def test_iso_2022_jp_body_is_decoded():
    body = (
        "次のあて先へのメッセージは送信できませんでした。\n"
        "Recipient: <kijitora@example.net>\n"
        "<<< 554 5.7.1 Service unavailable; Client host [192.0.2.66] blocked "
        "using zen.spamhaus.org\n"
    )
    raw = mime_message(body.encode("iso2022_jp"), "text/plain; charset=ISO-2022-JP")

    report = parse_bounce(raw)

    assert "次のあて先へのメッセージは送信できませんでした。" in report.text
    assert (report.category, report.blocklist) == ("blocklist", "zen.spamhaus.org")
    assert report.blocked_ip == "192.0.2.66"
    assert report.recipient == "kijitora@example.net"


def test_shift_jis_body_is_decoded():
    body = (
        "メールを配送できませんでした。\n"
        "550 5.7.1 Email rejected because 192.0.2.67 is listed by bl.spamcop.net\n"
    )
    raw = mime_message(
        body.encode("shift_jis"), "text/plain; charset=Shift_JIS", "8bit"
    )

    report = parse_bounce(raw)

    assert "メールを配送できませんでした。" in report.text
    assert report.blocklist == "bl.spamcop.net"
    assert report.blocked_ip == "192.0.2.67"
    assert (report.smtp_code, report.enhanced_code) == (550, "5.7.1")


def test_undeclared_shift_jis_paste_is_decoded():
    pasted = (
        "配送エラー\n554 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.68"
    )

    report = parse_bounce(pasted.encode("shift_jis"))

    assert report.text.startswith("配送エラー")
    assert (report.blocklist, report.blocked_ip) == ("Proofpoint", "192.0.2.68")


def test_html_only_notice_is_stripped_and_unescaped():
    markup = (
        "<html><head><style>p {color: red}</style></head><body>"
        "<p>Your message to <b>bob@contoso.com</b> couldn&#39;t be delivered.</p>"
        "<p>Remote server returned &#39;550 5.7.1 Unfortunately, messages from "
        "[192.0.2.44] weren&#39;t sent. Please contact your Internet service "
        "provider since part of their network is on our block list (S3150). You "
        'can also refer your provider to <a href="http://mail.live.com/">'
        "http://mail.live.com/mail/troubleshooting.aspx#errors</a>.&#39;</p>"
        "</body></html>"
    )
    raw = mime_message(markup.encode(), "text/html; charset=utf-8")

    report = parse_bounce(raw)

    assert "<p>" not in report.text and "color: red" not in report.text
    assert "couldn't be delivered" in report.text
    assert report.as_dict() == {
        "category": "blocklist",
        "smtp_code": 550,
        "enhanced_code": "5.7.1",
        "blocked_ip": "192.0.2.44",
        "blocklist": "Microsoft S3150",
        "lookup_url": "http://mail.live.com/mail/troubleshooting.aspx#errors",
        "recipient": "bob@contoso.com",
    }


def test_quoted_printable_soft_line_break_inside_url_is_joined():
    body = (
        b"554 5.7.1 Service unavailable; Client host [192.0.2.66] blocked us=\r\n"
        b"ing b.barracudacentral.org; http://www.barracudanetworks.com/reputa=\r\n"
        b"tion/?pr=3D1&i=\r\n"
        b"p=3D192.0.2.66\r\n"
    )
    raw = mime_message(body, "text/plain; charset=us-ascii", "quoted-printable")

    report = parse_bounce(raw)

    assert report.blocklist == "b.barracudacentral.org"
    assert report.lookup_url == (
        "http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.66"
    )
    assert "=\n" not in report.text


def test_multiline_554_reply_is_unfolded_into_one():
    gmx = (
        "554-gmx.net (mxgmx117) Nemesis ESMTP Service not available\n"
        "554-No SMTP service\n"
        "554-IP address is block listed.\n"
        "554 For explanation visit "
        "https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=192.0.2.15&r=1ABCDE\n"
    )

    report = parse_bounce(gmx)

    assert (report.category, report.smtp_code) == ("blocklist", 554)
    assert report.blocked_ip == "192.0.2.15"
    assert report.lookup_url == (
        "https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=192.0.2.15&r=1ABCDE"
    )


def test_continuation_markers_inside_a_wrapped_reply_are_removed():
    # Postfix re-wraps a multi-line reply, leaving "550-5.7.1" mid-sentence and
    # a URL split as "https: 550 5.7.1 //host".
    wrapped = (
        "<a@example.org>: host mx.example.org[198.51.100.7] said: 550-5.7.1 Your IP\n"
        "    192.0.2.70 is listed in Spamhaus. To request removal see https: 550\n"
        "    5.7.1 //check.spamhaus.org/listed/?searchterm=192.0.2.70 (in reply to\n"
        "    RCPT TO command)\n"
    )

    report = parse_bounce(wrapped)

    assert (report.smtp_code, report.enhanced_code) == (550, "5.7.1")
    assert report.blocklist == "Spamhaus"
    assert report.blocked_ip == "192.0.2.70"  # not the MX in host ...[ip]
    assert report.lookup_url == (
        "https://check.spamhaus.org/listed/?searchterm=192.0.2.70"
    )
    assert report.recipient == "a@example.org"


def test_ipv6_blocked_address_is_found_and_normalised():
    report = parse_bounce(
        "554 5.7.1 Service unavailable; Client host [2001:0DB8:0000::0025] blocked "
        "using zen.spamhaus.org; https://www.spamhaus.org/query/ip/2001:db8::25"
    )

    assert report.blocked_ip == "2001:db8::25"
    assert report.blocklist == "zen.spamhaus.org"


def test_the_returned_original_message_is_not_read():
    raw = (
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: sender@example.com\r\n"
        b"Subject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        b"\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        b"<bob@example.net>: host mx.example.net[198.51.100.9] said: 550 5.1.1 User "
        b"unknown\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; bob@example.net\r\nAction: failed\r\n"
        b"Status: 5.0.0\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Received: from relay ([203.0.113.9])\r\nSubject: fwd\r\n\r\n"
        b"554 Client host [203.0.113.9] blocked using zen.spamhaus.org\r\n"
        b"--B--\r\n"
    )

    report = parse_bounce(raw)

    assert report.as_dict() == {
        "category": "other",
        "smtp_code": 550,
        "enhanced_code": "5.1.1",
        "blocked_ip": None,
        "blocklist": None,
        "lookup_url": None,
        "recipient": "bob@example.net",
    }
    assert "203.0.113.9" not in report.text


def test_a_bounce_forwarded_as_an_attachment_is_read():
    inner = mime_message(BARRACUDA_REPLY.encode(), "text/plain; charset=us-ascii")
    raw = (
        b"From: Staff <staff@example.com>\r\nTo: it@example.com\r\n"
        b"Subject: Fwd: look at this\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="F"\r\n\r\n'
        b"--F\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--F\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--F--\r\n"
    )

    report = parse_bounce(raw)

    assert (report.category, report.blocked_ip) == ("blocklist", "192.0.2.66")


def test_hedged_or_negated_listing_words_are_not_a_listing():
    for text in (
        "The account or domain may not exist, they may be blacklisted, or missing "
        "the proper dns entries.",
        "550 5.1.1 User some.name (kijitora@example.jp) not listed in Domino Directory",
        "553 Blocked using spam pattern, your message may contain the spam contents",
    ):
        assert parse_bounce(text).category == "other", text


def test_refused_dnsbl_queries_are_not_a_listing():
    report = parse_bounce(
        "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
        "multi.uribl.com; https://uribl.com/refused.shtml"
    )

    assert report.category == "other"
    assert report.blocked_ip is None
    assert any("not a listing" in warning for warning in report.warnings)


GARBAGE = [
    random.Random(5782).randbytes(4096),
    b"",
    "",
    "\x00" * 1000,
    b"\xff\xfe\x00garbage\x00" * 50,
    # multipart with no boundary parameter
    b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nhello\r\n",
    # boundary declared, never closed, broken base64 inside
    b"From: a@example.com\r\nContent-Type: multipart/report; boundary=Q\r\n\r\n"
    b"--Q\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"!!!not base64!!!\r\n--Q\r\nContent-Type: message/delivery-status\r\n\r\n",
    # headers only
    b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\nMessage-ID: <x@y>\r\n",
    b"Content-Type: text/plain; charset=x-no-such-charset\r\nFrom: a@b\r\n\r\n\xe9\xff",
    "\udcff lone surrogates \ud800",
    b"From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    + b"--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" * 2000,
]


@pytest.mark.parametrize("data", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_raises_and_reads_as_other(data):
    report = parse_bounce(data)

    assert report.category == "other"
    assert report.blocked_ip is None and report.blocklist is None


def test_input_over_one_mebibyte_is_refused():
    with pytest.raises(BounceTooLarge, match=r"1,048,577 bytes.*1 MiB"):
        parse_bounce(b"x" * (MAX_BYTES + 1))
    with pytest.raises(BounceTooLarge):  # str is measured as UTF-8: 2 bytes each
        parse_bounce("é" * (MAX_BYTES // 2 + 1))

    assert parse_bounce(b"x" * MAX_BYTES).category == "other"


def test_spans_point_at_the_values_in_text():
    report = parse_bounce(BARRACUDA_REPLY)
    found = {name: report.text[start:end] for start, end, name in report.spans}

    assert found["smtp_code"] == "554"
    assert found["blocked_ip"] == "192.0.2.66"
    assert found["lookup_url"] == report.lookup_url
    assert found["blocklist"] == "Barracuda Reputation"  # the words that name it
    assert found["category"] == "Barracuda Reputation"


def test_spans_follow_the_decoded_text_of_amime_message():
    raw = (CORPUS / "postfix-11.eml").read_bytes()

    report = parse_bounce(raw)

    for start, end, name in report.spans:
        if name in ("smtp_code", "blocked_ip", "lookup_url", "recipient"):
            assert report.text[start:end] == str(report.as_dict()[name]), name
    assert {name for _, _, name in report.spans} >= {"blocked_ip", "blocklist"}


def test_as_dict_has_exactly_the_seven_fields_in_order():
    assert list(parse_bounce(BARRACUDA_REPLY).as_dict()) == list(BOUNCE_FIELDS)
    assert list(parse_bounce(b"").as_dict()) == list(BOUNCE_FIELDS)
