"""Pages with errors, read as a browser's tree: what each field points at
(aria-describedby) is on the page, every field is labelled, and exactly the
fields in error are marked invalid and described by their error."""

from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from tests.factories import DelistingCaseFactory, TargetFactory
from tests.support.fields import invalid, missing_descriptions, unlabelled
from tests.support.html import parse


@dataclass
class _Case:
    persona: str
    url: str
    data: dict[str, str] | None = None  # POSTed when given
    invalid: set[str] = field(default_factory=set)  # the fields in error


def _cases(case_pk: int) -> dict[str, _Case]:
    return {
        "target form": _Case(
            "it_staff",
            reverse("monitoring:target-create"),
            {
                "value": "not an address!",
                "label": "x" * 101,
                "check_interval_minutes": "1",
            },
            {"value", "label", "check_interval_minutes"},
        ),
        "case form": _Case(
            "it_staff",
            reverse("cases:case-open"),
            {"subject": "192.0.2.1"},
            {"target", "blocklist"},
        ),
        "case form, non-field error": _Case(
            "it_staff",
            reverse("cases:case-open"),
            {"target": "TARGET", "blocklist": "BLOCKLIST", "subject": "203.0.113.9"},
        ),
        "bulk form": _Case(
            "it_staff",
            reverse("monitoring:target-bulk"),
            {"lines": "192.0.2.1", "check_interval_minutes": "1"},
            {"check_interval_minutes"},
        ),
        "blocklist form": _Case(
            "it_staff",
            reverse("monitoring:blocklist-create"),
            {"zone": "no", "qps": "x"},
            {"zone", "name", "qps", "kinds"},
        ),
        "notifications": _Case(
            "it_staff",
            reverse("monitoring:notification-settings"),
            {"webhook_url": "not a url"},
            {"webhook_url"},
        ),
        "case note": _Case(
            "it_staff",
            reverse("cases:case-add-note", args=[case_pk]),
            {"text": ""},
            {"text"},
        ),
        "history": _Case(
            "manager",
            reverse("reports:history-lookups") + "?date_from=nonsense",
            invalid={"date_from"},
        ),
        "history, dates reversed": _Case(
            "manager",
            reverse("reports:history-episodes")
            + "?date_from=2025-03-05&date_to=2025-03-01",
            invalid={"date_to"},
        ),
        "report period": _Case(
            "manager",
            reverse("reports:report-listings-per-month") + "?start=2025-13",
            invalid={"start"},
        ),
        "case list filter": _Case(
            "manager",
            reverse("cases:case-list") + "?status=nonsense",
            invalid={"status"},
        ),
    }


@pytest.mark.django_db
def test_pages_with_errors_point_at_what_is_there(
    client, it_staff, manager, test_blocklists
):
    target = TargetFactory(value="192.0.2.1")
    case = DelistingCaseFactory(
        target=target, blocklist=test_blocklists[0], is_overdue=True
    )
    personas = {"it_staff": it_staff, "manager": manager}
    found = {}
    for name, page_case in _cases(case.pk).items():
        client.force_login(personas[page_case.persona])
        if page_case.data is None:
            response = client.get(page_case.url)
        else:
            data = {
                key: {
                    "TARGET": str(target.pk),
                    "BLOCKLIST": str(case.blocklist_id),
                }.get(value, value)
                for key, value in page_case.data.items()
            }
            response = client.post(page_case.url, data)
        page = parse(response.content)
        problems = {
            "status": response.status_code not in {200, 422} and response.status_code,
            "aria-describedby ids not on the page": missing_descriptions(page),
            "unlabelled fields": unlabelled(page),
            "invalid fields": set(invalid(page)) != page_case.invalid
            and sorted(invalid(page)),
            "invalid fields not described by their error": sorted(
                name for name, described in invalid(page).items() if not described
            ),
        }
        problems = {key: value for key, value in problems.items() if value}
        if problems:
            found[name] = problems
    assert found == {}


def test_the_page_reader_finds_a_dangling_description_and_an_unlabelled_field():
    page = parse(
        '<label for="a">A</label><input id="a" aria-describedby="a_help">'
        '<label>B <input name="b" aria-invalid="true" aria-describedby="b_errors">'
        '</label><span class="error" id="b_errors">!</span><input name="c">'
    )
    assert missing_descriptions(page) == ["input: a_help"]
    assert unlabelled(page) == ["c"]
    assert invalid(page) == {"b": True}
