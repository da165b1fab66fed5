"""What blcheck tells subscribers about a case: overdue, relisted. Each person
reads it in their own language, with a link to the case (notifications'
per-recipient rendering; the wording is the cases app's)."""

from enum import StrEnum

from django.utils.translation import gettext

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.services import notifications
from blcheck.monitoring.services.notifications import Audience, Message


class CaseNotice(StrEnum):
    OVERDUE = "overdue"
    RELISTED = "relisted"


def case_message(case: DelistingCase, notice: CaseNotice) -> Message:
    """The message in the active language."""
    values = {
        "case": case.pk,
        "subject": case.subject,
        "list": notifications.list_name(case.blocklist),
    }
    if notice is CaseNotice.OVERDUE:
        subject = gettext(
            "blcheck: case #%(case)s overdue: %(subject)s is still listed on "
            "%(list)s after its removal window"
        )
    else:
        subject = gettext(
            "blcheck: case #%(case)s relisted: %(subject)s is listed again on %(list)s"
        )
    link = notifications.site_link("cases:case-detail", case.pk)
    return Message(subject % values, gettext("The case: %(link)s") % {"link": link})


def case_notice_send(*, case_id: int, notice: str) -> int:
    """Send one case notice to every subscriber, each in their language."""
    case = DelistingCase.objects.select_related("blocklist").filter(pk=case_id).first()
    if case is None:
        return 0
    return notifications.notification_send_each(
        audience=Audience.ALERTS,
        render=lambda: case_message(case, CaseNotice(notice)),
    )
