"""Limits on what one form may add: addresses in a bulk add, tags per target and
tags in all (the forms say so; the service refuses too)."""

import io
import ipaddress
import time

import pytest
from django.urls import reverse

from blcheck.monitoring import services
from blcheck.monitoring.models import Tag, Target
from blcheck.monitoring.targets import MAX_TAGS, MAX_TAGS_PER_TARGET
from tests.support.html import parse

pytestmark = pytest.mark.django_db


def ranges(count: int, prefix: int = 22) -> str:
    """count distinct ranges of the given prefix, one per line."""
    first = int(ipaddress.ip_address("20.0.0.0"))
    size = 2 ** (32 - prefix)
    return "\n".join(
        f"{ipaddress.ip_address(first + n * size)}/{prefix}" for n in range(count)
    )


def post_bulk(client, **data):
    return client.post(
        reverse("monitoring:target-bulk"), {"check_interval_minutes": 60, **data}
    )


def form_errors(response) -> str:
    return parse(response.content.decode()).find(role="alert").text


def test_bulk_add_of_millions_of_addresses_is_refused_quickly(client, it_staff):
    client.force_login(it_staff)
    started = time.monotonic()
    response = post_bulk(client, lines=ranges(4_999))  # 4,999 x 1,024 addresses
    assert time.monotonic() - started < 10
    assert response.status_code == 422
    assert (
        "These targets hold 5,118,976 addresses in all; the limit is 65,536 at once."
        in form_errors(response)
    )
    assert not Target.objects.exists()


def test_the_bulk_address_limit_is_a_setting(client, it_staff, settings):
    settings.MAX_BULK_ADDRESSES = 2_048
    client.force_login(it_staff)
    assert post_bulk(client, lines=ranges(3)).status_code == 422
    assert post_bulk(client, lines=ranges(2)).status_code == 302
    assert Target.objects.count() == 2


def many_tags(count: int, separator: str) -> str:
    return separator.join(f"tag{n}" for n in range(count))


def test_tags_over_the_cap_on_one_target_are_refused(client, it_staff):
    client.force_login(it_staff)
    too_many = MAX_TAGS_PER_TARGET + 1
    response = client.post(
        reverse("monitoring:target-create"),
        {
            "value": "192.0.2.10",
            "check_interval_minutes": 30,
            "tags": many_tags(too_many, ","),
        },
    )
    assert response.status_code == 422
    errors = parse(response.content.decode()).by_id("id_tags_errors").text
    assert f"{too_many} tags on one target; the limit is 20." in errors
    upload = io.BytesIO(f"value,tags\n192.0.2.11,{many_tags(too_many, ';')}\n".encode())
    upload.name = "targets.csv"
    response = post_bulk(client, csv_file=upload)
    assert response.status_code == 422
    assert "21 tags on one target" in form_errors(response)
    with pytest.raises(services.TagLimitError):
        services.tag_get_or_create(names=[f"tag{n}" for n in range(too_many)])
    assert not Target.objects.exists() and not Tag.objects.exists()


@pytest.fixture
def all_tags() -> None:
    """As many tags as blcheck keeps."""
    Tag.objects.bulk_create(Tag(name=f"old{n}") for n in range(MAX_TAGS))


def test_new_tags_past_the_total_are_refused(client, it_staff, all_tags):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-create"),
        {"value": "192.0.2.10", "check_interval_minutes": 30, "tags": "old1, new"},
    )
    assert response.status_code == 422
    assert "the limit is 1,000 tags in all" in (
        parse(response.content.decode()).by_id("id_tags_errors").text
    )
    upload = io.BytesIO(b"value,tags\n192.0.2.11,brand-new\n")
    upload.name = "targets.csv"
    response = post_bulk(client, csv_file=upload)
    assert response.status_code == 422
    assert "1,000 tags in all" in form_errors(response)
    with pytest.raises(services.TagLimitError):
        services.tag_get_or_create(names=["brand-new"])
    assert Tag.objects.count() == MAX_TAGS


def test_existing_tags_are_still_used_at_the_total(client, it_staff, all_tags):
    client.force_login(it_staff)
    client.post(
        reverse("monitoring:target-create"),
        {"value": "192.0.2.10", "check_interval_minutes": 30, "tags": "old1, old2"},
    )
    assert sorted(Target.objects.get().tags.values_list("name", flat=True)) == [
        "old1",
        "old2",
    ]
