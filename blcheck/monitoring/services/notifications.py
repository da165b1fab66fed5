"""Tell the people who opted in: one message per run, by e-mail and webhook.

Events: a listing appeared, a listing cleared, a list turned unhealthy, a run
failed. The text is the same for both channels; the webhook gets it as JSON
{"text": ...}, which Slack, Mattermost and most chat tools accept.
"""

import http.client
import json
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from blcheck.core import outbound
from blcheck.monitoring.models import CheckRun, ListingChange, NotificationPreference

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


def run_message(run: CheckRun) -> str:
    """The message for a finished or failed run; empty when nothing happened."""
    lines = []
    changes = ListingChange.objects.filter(run=run).select_related("listing__blocklist")
    for change in changes.order_by("listing__subject", "listing__blocklist__name"):
        blocklist = change.listing.blocklist
        where = f"{blocklist.name} ({blocklist.zone})"
        if change.kind == ListingChange.Kind.LISTED:
            codes = ", ".join(change.codes)
            lines.append(
                f"LISTED  {change.listing.subject} on {where} [{codes}]"
                + (f" {change.reason}" if change.reason else "")
            )
        else:
            lines.append(f"CLEARED {change.listing.subject} from {where}")
    if run.status == CheckRun.Status.FAILED:
        lines.append(f"FAILED  check of {run.target.value}: {run.failure}")
    if not lines:
        return ""
    return (
        f"blcheck: {run.target.value}"
        + (f" ({run.target.label})" if run.target.label else "")
        + "\n"
        + "\n".join(lines)
    )


def health_message(zones: Sequence[tuple[str, str]]) -> str:
    lines = [
        f"UNHEALTHY {zone}: {reason} - its answers are not trusted"
        for zone, reason in zones
    ]
    return "blcheck: blocklist health\n" + "\n".join(lines) if lines else ""


def notification_send(text: str) -> int:
    """Send the text to everyone who opted in; returns how many were reached."""
    if not text:
        return 0
    reached = 0
    with translation.override(settings.LANGUAGE_CODE):
        prefs = NotificationPreference.objects.select_related("user").filter(
            user__is_active=True
        )
        for pref in prefs:
            if pref.is_email_on and pref.user.email:
                send_mail(
                    text.splitlines()[0],
                    text,
                    None,
                    [pref.user.email],
                    fail_silently=False,
                )
                reached += 1
            if pref.webhook_url:
                delivery = webhook_deliver(url=pref.webhook_url, text=text)
                reached += int(delivery.outcome == Outcome.DELIVERED)
    return reached


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
    """Send a test message to the user's saved webhook and, when on, e-mail."""
    pref = notification_preference_for(user=user)
    with translation.override(settings.LANGUAGE_CODE):
        text = "\n".join(
            [
                gettext("blcheck: test message"),
                gettext("The notification settings of %(user)s work.")
                % {"user": user.get_username()},
            ]
        )
    email = user.email if pref.is_email_on and user.email else None
    sent = False
    if email:
        try:
            sent = bool(send_mail(text.splitlines()[0], text, None, [email]))
        except (smtplib.SMTPException, OSError):
            log.warning("test e-mail to user %s failed", user.pk, exc_info=True)
    webhook = (
        webhook_deliver(url=pref.webhook_url, text=text) if pref.webhook_url else None
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


def run_notify(*, run_id: int) -> int:
    run = CheckRun.objects.select_related("target").filter(pk=run_id).first()
    return notification_send(run_message(run)) if run else 0


def notification_preference_for(*, user: User) -> NotificationPreference:
    """The user's notification settings, created (all off) on first use."""
    return NotificationPreference.objects.get_or_create(user=user)[0]


def notification_preference_save(
    *, preference: NotificationPreference
) -> NotificationPreference:
    """Save settings the user changed (the form has validated them)."""
    with transaction.atomic():
        preference.save()
    return preference
