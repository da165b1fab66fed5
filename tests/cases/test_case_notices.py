"""A relisted or overdue case is told to each subscriber in their language,
with a link to the case, once the step is committed."""

import pytest

from blcheck.cases import notices
from blcheck.cases.models import DelistingCase
from blcheck.cases.services.verification import case_watch_relisting
from blcheck.cases.tasks import notify_case
from tests.factories import BlocklistFactory, DelistingCaseFactory, ListingFactory
from tests.support.notifications import mail_to, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(db):
    barracuda = BlocklistFactory(
        zone="b.barracudacentral.org", name="Barracuda Reputation"
    )
    return DelistingCaseFactory(blocklist=barracuda, subject="192.0.2.66")


@pytest.mark.parametrize(
    ("notice", "english", "japanese"),
    [
        ("relisted", "is listed again on Barracuda Reputation", "再び掲載"),
        ("overdue", "is still listed on Barracuda Reputation", "期限"),
    ],
)
def test_each_reads_the_case_notice_in_their_language(
    case, settings, notice, english, japanese
):
    settings.BASE_URL = "https://blcheck.example.com"
    person("ann", "en", is_email_on=True)
    person("kenji", "ja", is_email_on=True)
    assert notices.case_notice_send(case_id=case.pk, notice=notice) == 2
    link = f"https://blcheck.example.com/cases/{case.pk}/"
    ann, kenji = mail_to("ann"), mail_to("kenji")
    assert english in ann.subject and link in ann.body
    assert japanese in kenji.subject and link in kenji.body
    assert f"#{case.pk}" in kenji.subject and "192.0.2.66" in kenji.subject


def test_a_relisting_queues_the_notice_after_commit(
    case, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    DelistingCase.objects.filter(pk=case.pk).update(
        status="watching", verified_at=timezone.now() - timedelta(days=1)
    )
    ListingFactory(
        target=case.target,
        blocklist=case.blocklist,
        subject=case.subject,
        is_listed=True,
        listed_since=timezone.now(),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert case_watch_relisting() == 1
    queued = [c for c in callbacks if getattr(c, "func", None) == notify_case.delay]
    assert [c.args for c in queued] == [(case.pk, "relisted")]
