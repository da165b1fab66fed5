"""Tell the people who opted in, each in the language they chose.

Listing changes, failed checks and lists turning unhealthy wait for the
notification window and go out together (services/notices.py, worded in
services/alerts.py); a DNS outage goes out at once (outage_notify); the weekly
digest lives in reports/digest.py. Every message is rendered once per
language under translation.override(pref.language). E-mail takes its first
line as the subject; a webhook gets the whole text as JSON {"text": ...},
which Slack, Mattermost and most chat tools accept. Links are absolute with
BLCHECK_BASE_URL, the page's path alone without it.
"""

import http.client
import json
import logging
import smtplib
import ssl
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext, ngettext

from blcheck.core import outbound
from blcheck.monitoring.models import (
    Blocklist,
    NotificationPreference,
    ResolverOutage,
)

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT = 5  # seconds; a slow chat tool must not hold a worker


class Outcome(StrEnum):
    DELIVERED = "delivered"
    REFUSED = "refused"
    FAILED = "failed"


class Failure(StrEnum):
    TIMEOUT = "timeout"
    CONNECTION_REFUSED = "connection_refused"
    REDIRECT = "redirect"
    HTTP_STATUS = "http_status"
    TLS = "tls"
    NETWORK = "network"


@dataclass(frozen=True)
class Delivery:
    """What became of one webhook post."""

    outcome: Outcome
    status: int | None = None
    refusal: outbound.Refused | None = None
    failure: Failure | None = None


class Audience(StrEnum):
    ALERTS = "alerts"  # e-mail when on, and the webhook
    DIGEST = "digest"  # the weekly digest: e-mail only


@dataclass(frozen=True)
class Message:
    """One message as a recipient reads it: a subject line, then the body."""

    subject: str
    body: str = ""

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}" if self.body else self.subject


# -- wording shared by every message ------------------------------------------


def site_link(name: str, *args: Any) -> str:
    """The page's address: absolute under BLCHECK_BASE_URL, else its path."""
    path = reverse(name, args=args)
    prefix = get_script_prefix()  # BASE_URL holds any sub-path already
    if path.startswith(prefix):
        path = "/" + path[len(prefix) :]
    return settings.BASE_URL + path


def local_time(moment: datetime, *, now: datetime | None = None) -> str:
    """A time in the site's zone: "10:42" today, "2025-03-02 10:42" otherwise."""
    local = timezone.localtime(moment)
    today = timezone.localtime(now or timezone.now()).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"


def list_name(blocklist: Blocklist) -> str:
    """ "Barracuda Reputation (b.barracudacentral.org)"."""
    if not blocklist.name or blocklist.name == blocklist.zone:
        return blocklist.zone
    return f"{blocklist.name} ({blocklist.zone})"


def one_line(text: str, limit: int = 300) -> str:
    """Text from outside (a TXT record, a label) on one line, cut at limit."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- recipients and sending ---------------------------------------------------


def subscribers(audience: Audience) -> QuerySet[NotificationPreference]:
    """Active people who asked for this kind of message."""
    prefs = NotificationPreference.objects.select_related("user").filter(
        user__is_active=True
    )
    has_email = ~Q(user__email="")
    if audience == Audience.DIGEST:
        return prefs.filter(has_email, is_digest_on=True)
    return prefs.filter((Q(is_email_on=True) & has_email) | ~Q(webhook_url=""))


def notification_send_each(
    *, audience: Audience, render: Callable[[], Message | None]
) -> int:
    """Render the message once per language and send it to each subscriber in
    theirs; returns how many e-mails and webhook posts arrived. One failing
    recipient never stops the others."""
    by_language: dict[str, list[NotificationPreference]] = defaultdict(list)
    for pref in subscribers(audience):
        by_language[pref.language].append(pref)
    reached = 0
    for language, prefs in sorted(by_language.items()):
        with translation.override(language):
            message = render()
        if message is None:
            continue
        for pref in prefs:
            reached += _deliver(pref, message, audience)
    return reached


def _deliver(pref: NotificationPreference, message: Message, audience: Audience) -> int:
    reached = 0
    if audience == Audience.DIGEST or pref.is_email_on:
        reached += email_send(address=pref.user.email, message=message)
    if audience == Audience.ALERTS and pref.webhook_url:
        delivery = webhook_deliver(url=pref.webhook_url, text=message.text)
        reached += int(delivery.outcome == Outcome.DELIVERED)
    return reached


def email_send(*, address: str, message: Message) -> int:
    """1 when the mail went out; a failure is logged, never raised."""
    if not address:
        return 0
    subject = " ".join(message.subject.splitlines())  # a header: one line
    try:
        return send_mail(subject, message.text, None, [address])
    except (smtplib.SMTPException, OSError):
        log.warning("notification e-mail failed", exc_info=True)
        return 0


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def digest_schedule_text() -> str:
    """When the weekly digest goes out, e.g. "Every Monday at 09:00 (Asia/Tokyo)"."""
    return gettext("Every %(day)s at %(hour)02d:00 (%(zone)s)") % {
        "day": WEEKDAYS[DAYS.index(settings.DIGEST_DAY)],
        "hour": settings.DIGEST_HOUR,
        "zone": settings.TIME_ZONE,
    }


# -- DNS outages: sent at once, not gathered ----------------------------------


def outage_message(outage: ResolverOutage) -> Message:
    dashboard = gettext("Dashboard: %(link)s") % {
        "link": site_link("reports:dashboard")
    }
    if outage.ended_at is None:
        failure = _label(ResolverOutage.Failure, outage.failure)
        how = (
            gettext("%(failure)s at %(nameserver)s")
            % {"failure": failure, "nameserver": outage.nameserver}
            if outage.nameserver
            else failure
        )
        subject = gettext(
            "blcheck: DNS resolution failing since %(time)s (%(how)s)."
        ) % {"time": local_time(outage.started_at), "how": how}
        blind = gettext(
            "Checks are blind until it answers again: no list can be asked."
        )
        return Message(subject, f"{blind}\n{dashboard}")
    subject = ngettext(
        "blcheck: DNS resolution works again since %(end)s "
        "(it failed from %(start)s, %(count)d blind check).",
        "blcheck: DNS resolution works again since %(end)s "
        "(it failed from %(start)s, %(count)d blind checks).",
        outage.blind_runs,
    ) % {
        "end": local_time(outage.ended_at),
        "start": local_time(outage.started_at, now=outage.ended_at),
        "count": outage.blind_runs,
    }
    return Message(subject, dashboard)


def outage_notify(*, outage_id: int) -> int:
    """Tell every alert subscriber, in their language, that DNS resolution
    fails (the outage is open) or works again (it ended); returns how many
    were reached, 0 when the outage is gone."""
    outage = ResolverOutage.objects.filter(pk=outage_id).first()
    if outage is None:
        return 0
    return notification_send_each(
        audience=Audience.ALERTS, render=lambda: outage_message(outage)
    )


def _label(choices: Any, value: str) -> str:
    """A choice's translated label; the stored value if it is not (or no
    longer) a choice."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# -- webhooks -------------------------------------------------------------------


def webhook_destination(*, url: str) -> outbound.Destination:
    """Where a webhook URL may be posted under this site's settings; raises
    outbound.Refused (the form shows why, the sender refuses the same way)."""
    return outbound.check_url(
        url,
        allow_http=settings.WEBHOOK_ALLOW_HTTP,
        internal_hosts=settings.WEBHOOK_INTERNAL_HOSTS,
    )


def webhook_check_shape(*, url: str) -> None:
    """The refusals that need no DNS (the form asks before its URL syntax
    check, so a refusal says why); raises outbound.Refused."""
    outbound.check_shape(
        url,
        allow_http=settings.WEBHOOK_ALLOW_HTTP,
        internal_hosts=settings.WEBHOOK_INTERNAL_HOSTS,
    )


def webhook_deliver(*, url: str, text: str) -> Delivery:
    """POST {"text": ...} to the webhook, checked again now (its DNS may have
    changed since the form saw it), to the checked address, no redirects."""
    try:
        destination = webhook_destination(url=url)
        host = destination.host  # logged, never the URL: its path holds the secret
    except outbound.Refused as refusal:
        log.warning("webhook refused (%s): %s", refusal.reason, refusal)
        return Delivery(Outcome.REFUSED, refusal=refusal)
    body = json.dumps({"text": text}).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "blcheck"}
    try:
        response = outbound.post(
            destination, body, headers=headers, timeout=WEBHOOK_TIMEOUT
        )
    except (OSError, http.client.HTTPException) as exc:
        log.warning("webhook to %s failed", host, exc_info=True)
        return Delivery(Outcome.FAILED, failure=failure_of(exc))
    if 200 <= response.status < 300:
        return Delivery(Outcome.DELIVERED, status=response.status)
    if 300 <= response.status < 400:
        # Never followed: a redirect could lead anywhere, inside too.
        log.warning("webhook to %s redirected (%s)", host, response.status)
        return Delivery(
            Outcome.FAILED, status=response.status, failure=Failure.REDIRECT
        )
    log.warning("webhook to %s answered %s", host, response.status)
    return Delivery(Outcome.FAILED, status=response.status, failure=Failure.HTTP_STATUS)


def failure_of(exc: Exception) -> Failure:
    if isinstance(exc, TimeoutError):
        return Failure.TIMEOUT
    if isinstance(exc, ConnectionRefusedError):
        return Failure.CONNECTION_REFUSED
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return Failure.TLS
    return Failure.NETWORK


@dataclass(frozen=True)
class TrialSend:
    """The result of "Send a test message": None where a channel is off."""

    email: str | None
    is_email_sent: bool
    webhook: Delivery | None


def notification_send_test(*, user: User) -> TrialSend:
    """Send a test message, in the user's chosen language, to their saved
    webhook and, when on, e-mail."""
    pref = notification_preference_for(user=user)
    with translation.override(pref.language):
        message = Message(
            gettext("blcheck: test message"),
            "\n".join(
                [
                    gettext("The notification settings of %(user)s work.")
                    % {"user": user.get_username()},
                    gettext("Settings: %(link)s")
                    % {"link": site_link("monitoring:notification-settings")},
                ]
            ),
        )
    email = user.email if pref.is_email_on and user.email else None
    sent = bool(email_send(address=email, message=message)) if email else False
    webhook = (
        webhook_deliver(url=pref.webhook_url, text=message.text)
        if pref.webhook_url
        else None
    )
    return TrialSend(email=email, is_email_sent=sent, webhook=webhook)


def delivery_text(delivery: Delivery) -> str:
    """One sentence on a webhook post, in the user's language."""
    if delivery.outcome == Outcome.DELIVERED:
        return gettext("Webhook: delivered (HTTP %(status)s).") % {
            "status": delivery.status
        }
    if delivery.refusal is not None:
        why = gettext(delivery.refusal.template) % delivery.refusal.params
        return gettext("Webhook: refused. %(why)s") % {"why": why}
    why = {
        Failure.TIMEOUT: gettext("the server did not answer in time"),
        Failure.CONNECTION_REFUSED: gettext("the connection was refused"),
        Failure.TLS: gettext("the TLS certificate was not accepted"),
        Failure.NETWORK: gettext("the network failed"),
        Failure.REDIRECT: gettext("it redirected (HTTP %(status)s), never followed"),
        Failure.HTTP_STATUS: gettext("it answered HTTP %(status)s"),
    }[delivery.failure or Failure.NETWORK]
    return gettext("Webhook: failed, %(why)s.") % {
        "why": why % {"status": delivery.status}
    }


def notification_preference_for(*, user: User) -> NotificationPreference:
    """The user's notification settings, created (all off) on first use, in
    the language they are browsing in."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    try:
        language = translation.get_supported_language_variant(language)
    except LookupError:
        language = settings.LANGUAGE_CODE
    return NotificationPreference.objects.get_or_create(
        user=user, defaults={"language": language}
    )[0]


def notification_preference_save(
    *, preference: NotificationPreference
) -> NotificationPreference:
    """Save settings the user changed (the form has validated them)."""
    with transaction.atomic():
        preference.save()
    return preference
