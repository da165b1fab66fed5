"""Lists added by hand are first-class: IT staff set every setting that decides
how a list's answers read (kinds, listing and refusal codes, bit flags, test
entries) and how it delists, in text people type; what is stored comes back
as the same text; bad input is refused in words, never with a Python error."""

import pytest
from django.urls import reverse
from django.utils import translation

from blcheck.cases.forms import reference_error
from blcheck.monitoring.blocklist_forms import BlocklistCreateForm, BlocklistForm
from blcheck.monitoring.models import Blocklist, Target
from tests.factories import BlocklistFactory
from tests.support.checks import check_target
from tests.support.dnsserver import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Forms used outside a request speak the site language: English here."""
    with translation.override("en"):
        yield


def browser_data(form, **changes):
    """What a browser sends for the form as shown, with changes (None: unset)."""
    data = {}
    for field in form:
        value = field.value()
        if field.widget_type == "checkbox":
            if value:
                data[field.name] = "on"
        elif value is not None:
            data[field.name] = value
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def edited(blocklist, **changes):
    """The edit form as posted with changes, validated."""
    form = BlocklistForm(
        browser_data(BlocklistForm(instance=blocklist), **changes), instance=blocklist
    )
    form.is_valid()
    return form


def created(**changes):
    form = BlocklistCreateForm(browser_data(BlocklistCreateForm(), **changes))
    form.is_valid()
    return form


def test_codes_show_as_lines_and_come_back_unchanged():
    blocklist = BlocklistFactory(
        zone="dbl.example.test",
        has_ipv4=False,
        has_domains=True,
        listed_codes={
            "127.0.1.102": "abused legit spam",
            "127.0.1.2": "spam domain",
            "127.0.1.4": "",
        },
        error_codes={"127.0.1.255": "IP queried"},
    )
    form = BlocklistForm(instance=blocklist)
    assert form["listed_codes"].value() == (
        "127.0.1.2 = spam domain\n127.0.1.4\n127.0.1.102 = abused legit spam"
    )
    assert form["error_codes"].value() == "127.0.1.255 = IP queried"
    assert form["kinds"].value() == ["domain"]
    before = Blocklist.objects.values().get(pk=blocklist.pk)
    form = edited(blocklist)
    assert form.errors == {}
    form.save()
    after = Blocklist.objects.values().get(pk=blocklist.pk)
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_bit_values_show_as_lines_and_come_back_unchanged():
    blocklist = BlocklistFactory(
        zone="multi.example.test",
        is_bitmask=True,
        listed_codes={"8": "red", "2": "black", "4": "grey"},
        error_codes={"1": "query refused"},
    )
    assert BlocklistForm(instance=blocklist)["listed_codes"].value() == (
        "2 = black\n4 = grey\n8 = red"
    )
    edited(blocklist).save()
    blocklist.refresh_from_db()
    assert blocklist.listed_codes == {"2": "black", "4": "grey", "8": "red"}
    assert blocklist.error_codes == {"1": "query refused"}


def test_codes_are_read_as_people_type_them():
    form = created(
        zone="own.example.test",
        name="Our own list",
        kinds=["domain"],
        listed_codes=(
            "# our spam trap hits\n\n  127.0.1.2 =  spam domain  \n"
            "127.0.1.3 phish domain\n127.0.1.4\n"
        ),
    )
    assert form.errors == {}
    blocklist = form.save()
    assert blocklist.listed_codes == {
        "127.0.1.2": "spam domain",
        "127.0.1.3": "phish domain",
        "127.0.1.4": "",
    }
    assert (blocklist.has_ipv4, blocklist.has_domains) == (False, True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"listed_codes": "127.0.1.2\n127.0.1"},
            "listed_codes",
            "Line 2 (127.0.1): not an IPv4 address. Type an address inside "
            "127.0.0.0/8, e.g. 127.0.1.2",
        ),
        ({"listed_codes": "10.0.0.2"}, "listed_codes", "outside 127.0.0.0/8"),
        (
            {"listed_codes": "127.0.0.1 = clean?"},
            "listed_codes",
            "127.0.0.1 is never a listing code",
        ),
        (
            {"listed_codes": "2 = black"},
            "listed_codes",
            "for bit values, tick “codes are bit flags”",
        ),
        (
            {"listed_codes": "3 = black", "is_bitmask": "on"},
            "listed_codes",
            "Line 1 (3): not a single bit. With bit flags, each code is one of 1, 2",
        ),
        (
            {"listed_codes": "256", "is_bitmask": "on"},
            "listed_codes",
            "not a single bit",
        ),
        (
            {"listed_codes": "127.0.1.2\n127.0.1.2 = again"},
            "listed_codes",
            "Line 2 (127.0.1.2): this code is given twice.",
        ),
        (
            {"listed_codes": "127.0.1.2", "error_codes": "127.0.1.2 = refused"},
            "error_codes",
            "127.0.1.2 cannot mean both listed and refused.",
        ),
        (
            {"listed_codes": "", "error_codes": "1", "is_bitmask": "on"},
            "listed_codes",
            "With bit flags, give at least one listing bit",
        ),
        ({"error_codes": "::1"}, "error_codes", "not an IPv4 address"),
        ({"kinds": []}, "kinds", "Tick at least one: IPv4, IPv6 or domains."),
        (
            {"delist_url": "javascript:alert(1)"},
            "delist_url",
            "Type an https or http link, e.g. https://www.example.org/removal",
        ),
        ({"lookup_url": "ftp://ftp.example.org/x"}, "lookup_url", "https or http"),
        ({"removal_hours": "-1"}, "removal_hours", "Type 0 or more."),
        (
            {"removal_hours": "99999"},
            "removal_hours",
            "At most 2160 hours (90 days).",
        ),
        ({"expiry_hours": "two days"}, "expiry_hours", "Type a whole number"),
        (
            {"reevaluation_days": "1000"},
            "reevaluation_days",
            "At most 730 days (two years).",
        ),
        (
            {"reference_pattern": "^BBR[0-9]+$"},
            "reference_pattern",
            "Type one confirmation number as an example, e.g. BBR1234-5678",
        ),
        (
            {"reference_pattern": "BBR"},
            "reference_pattern",
            "The example needs at least one digit",
        ),
    ],
)
def test_bad_settings_are_refused_in_words(changes, field, message):
    blocklist = BlocklistFactory(zone="own.example.test", name="Own")
    form = edited(blocklist, **changes)
    assert list(form.errors) == [field]
    shown = " ".join(form.errors[field])
    assert message in shown
    assert "Traceback" not in shown and "re.error" not in shown


def test_refusals_are_in_japanese_for_japanese_users():
    blocklist = BlocklistFactory(zone="own.example.test", name="Own")
    with translation.override("ja"):
        form = edited(
            blocklist,
            listed_codes="10.0.0.2",
            delist_url="javascript:alert(1)",
            kinds=[],
        )
        errors = {name: " ".join(form.errors[name]) for name in form.errors}
    assert "1 行目" in errors["listed_codes"]
    assert "10.0.0.2" in errors["listed_codes"]
    assert "127.0.0.0/8 の範囲外" in errors["listed_codes"]
    assert "https または http" in errors["delist_url"]
    assert "IPv4、IPv6、ドメイン" in errors["kinds"]


def test_links_without_scheme_mean_https_and_keep_their_placeholder():
    form = created(
        zone="own.example.test",
        name="Own",
        delist_url="www.example.org/removal?ip={ip}",
        lookup_url="http://lookup.example.org/",
    )
    assert form.errors == {}
    blocklist = form.save()
    assert blocklist.delist_url == "https://www.example.org/removal?ip={ip}"
    assert blocklist.lookup_url == "http://lookup.example.org/"


def test_confirmation_number_format_is_typed_and_shown_as_an_example():
    form = created(
        zone="own.example.test", name="Own", reference_pattern="BBR1234-5678"
    )
    assert form.errors == {}
    blocklist = form.save()
    assert blocklist.reference_pattern == "^BBR[0-9]+-[0-9]+$"
    assert reference_error(blocklist, "BBR20240518-77") is None
    assert reference_error(blocklist, "1234-5678") is not None
    assert BlocklistForm(instance=blocklist)["reference_pattern"].value() == (
        "BBR1234-5678"
    )


def test_a_catalog_pattern_is_shown_as_an_example_and_kept_when_unchanged():
    blocklist = BlocklistFactory(
        zone="b.barracudacentral.org", reference_pattern="^BBR[0-9-]+$"
    )
    assert BlocklistForm(instance=blocklist)["reference_pattern"].value() == "BBR1234"
    edited(blocklist).save()
    blocklist.refresh_from_db()
    assert blocklist.reference_pattern == "^BBR[0-9-]+$"


def test_an_intricate_pattern_is_shown_as_it_is_and_kept_when_unchanged():
    blocklist = BlocklistFactory(
        zone="tickets.example.test", reference_pattern="^(INC|REQ)[0-9]+$"
    )
    assert BlocklistForm(instance=blocklist)["reference_pattern"].value() == (
        "^(INC|REQ)[0-9]+$"
    )
    edited(blocklist).save()
    blocklist.refresh_from_db()
    assert blocklist.reference_pattern == "^(INC|REQ)[0-9]+$"


def test_a_zone_already_listed_is_refused():
    BlocklistFactory(zone="own.example.test")
    form = created(zone="Own.Example.Test.", name="Again")
    assert "own.example.test is on the list page already" in str(form.errors["zone"])


# --- End to end: the web form, then a check against the loopback DNS server ----

SPAM_DOMAIN = "spam-domain.example"


@pytest.fixture
def hand_zones(dns_server):
    """A DBL-style list answering 127.0.1.2, with its test entry and without,
    and a bit-flag list (2 black, 4 grey, 8 red, 1 refused)."""
    listed = {SPAM_DOMAIN: ["127.0.1.2"]}
    dns_server.add_zone(Zone("dbl.hand.test", a={**listed, "test": ["127.0.1.2"]}))
    dns_server.add_zone(Zone("notest.hand.test", a=listed))
    dns_server.add_zone(
        Zone(
            "bits.hand.test",
            a={
                "test": ["127.0.0.2"],
                "black.example": ["127.0.0.10"],
                "grey.example": ["127.0.0.4"],
                "blocked.example": ["127.0.0.1"],
            },
        )
    )
    Blocklist.objects.update(is_enabled=False)  # only the lists added here
    return dns_server


def lookup_of(value):
    target = Target.objects.get_or_create(
        value=value, defaults={"kind": Target.Kind.DOMAIN, "check_interval_minutes": 60}
    )[0]
    run = check_target(target)
    lookup = run.lookups.get()
    return (lookup.verdict, lookup.error, lookup.codes)


@pytest.mark.dns
@pytest.mark.parametrize(
    ("zone", "test_points"), [("dbl.hand.test", "on"), ("notest.hand.test", None)]
)
def test_a_dbl_style_list_added_by_hand_reads_listed_once_its_codes_are_set(
    client, it_staff, hand_zones, zone, test_points
):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:blocklist-create"),
        browser_data(
            BlocklistCreateForm(),
            zone=zone,
            name="Our DBL",
            kinds=["domain"],
            has_test_points=test_points,
        ),
    )
    assert response.status_code == 302
    blocklist = Blocklist.objects.get(zone=zone)
    # Without its codes, 127.0.1.2 is outside RFC 5782's 127.0.0.2-255: doubtful.
    assert lookup_of(SPAM_DOMAIN) == ("error", "bad_answer", ["127.0.1.2"])

    edit_url = reverse("monitoring:blocklist-edit", args=[blocklist.pk])
    form = client.get(edit_url).context["form"]
    response = client.post(
        edit_url, browser_data(form, listed_codes="127.0.1.2 = spam domain")
    )
    assert response.status_code == 302
    assert lookup_of(SPAM_DOMAIN) == ("listed", "", ["127.0.1.2"])
    probes = hand_zones.queries_for(f"test.{zone}")
    assert bool(probes) is bool(test_points)  # asked only when published


@pytest.mark.dns
def test_a_bit_flag_list_added_by_hand_reads_its_bits(client, it_staff, hand_zones):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:blocklist-create"),
        browser_data(
            BlocklistCreateForm(),
            zone="bits.hand.test",
            name="Our multi list",
            kinds=["domain"],
            is_bitmask="on",
            listed_codes="2 = black\n8 = red",
            error_codes="1 = query blocked",
        ),
    )
    assert response.status_code == 302
    assert lookup_of("black.example") == ("listed", "", ["127.0.0.10"])
    assert lookup_of("grey.example") == ("error", "bad_answer", ["127.0.0.4"])
    assert lookup_of("blocked.example") == ("error", "resolver_refused", ["127.0.0.1"])
