"""Subscribers and what reached them, for the notification tests."""

from typing import Any

from django.contrib.auth.models import User
from django.core import mail
from django.core.mail import EmailMessage

from blcheck.monitoring.models import NotificationPreference
from blcheck.monitoring.services import notifications


def person(name: str, language: str, **channels: Any) -> User:
    """A subscriber name@example.com reading `language`."""
    user = User.objects.create_user(name, email=f"{name}@example.com")
    NotificationPreference.objects.create(user=user, language=language, **channels)
    return user


def mail_to(name: str) -> EmailMessage:
    """The one e-mail that reached name@example.com."""
    (message,) = [m for m in mail.outbox if m.to == [f"{name}@example.com"]]
    return message


def send_to_all(text: str) -> int:
    """One text to every alert subscriber, through the per-recipient sender."""
    subject, _, body = text.partition("\n")
    return notifications.notification_send_each(
        audience=notifications.Audience.ALERTS,
        render=lambda: notifications.Message(subject, body),
    )
