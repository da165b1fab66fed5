"""Tell the people who opted in: one message per run, by e-mail and webhook.

Events: a listing appeared, a listing cleared, a list turned unhealthy, a run
failed. The text is the same for both channels; the webhook gets it as JSON
{"text": ...}, which Slack, Mattermost and most chat tools accept.
"""

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

from blcheck.monitoring.models import CheckRun, ListingChange, NotificationPreference

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT = 5  # seconds; a slow chat tool must not hold a worker


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
            if pref.webhook_url and _post(pref.webhook_url, text):
                reached += 1
    return reached


def _post(url: str, text: str) -> bool:
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        log.warning("webhook %s failed", url, exc_info=True)
        return False


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
