"""Who wants to hear what, and what waits to be told."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blcheck.monitoring.models.history import CheckRun
from blcheck.monitoring.models.lists import Blocklist


class NotificationPreference(models.Model):
    """What one person wants to hear about: new and cleared listings, lists
    turning unhealthy, failed runs. Off until they opt in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    is_email_on = models.BooleanField(_("e-mail me"), default=False)
    webhook_url = models.URLField(
        _("webhook URL"),
        max_length=500,
        blank=True,
        help_text=_("Receives JSON with a Slack-compatible “text” field."),
    )
    # Every message to this person is written in this language.
    language = models.CharField(
        _("language of the messages"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    is_digest_on = models.BooleanField(
        _("weekly digest by e-mail"),
        default=False,
        help_text=_(
            "New and cleared listings of the past week, overdue cases and time "
            "to delist, once a week."
        ),
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        # The user alone: pages (the audit log) put the translated model name
        # before it, and the audit log keeps this text as written.
        return self.user.get_username()


class PendingNotice(models.Model):
    """Something to tell the subscribers, waiting for the notification window
    to close (services/notices.py): a run that changed listings or failed,
    or a list that turned unhealthy. Not history: what happened is read from
    the run's ListingChange rows when the window closes, and the notice is
    deleted once sent."""

    run = models.ForeignKey(
        CheckRun, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    blocklist = models.ForeignKey(
        Blocklist, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # A Blocklist.Health value (no choices here: its labels are read from there).
    health = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The flush that is sending it; a claim older than a few minutes is a
    # flush that died, and the notice is taken again.
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # A run re-delivered or finished twice is announced once.
            models.UniqueConstraint(fields=["run"], name="pending_notice_once_per_run")
        ]
        verbose_name = _("pending notice")
        verbose_name_plural = _("pending notices")

    def __str__(self) -> str:
        what = f"run {self.run_id}" if self.run_id else f"list {self.blocklist_id}"
        return f"{what} at {self.created_at:%Y-%m-%d %H:%M}"
