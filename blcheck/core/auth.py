"""Log-in, password reset and idle sessions.

Failed log-ins are counted and locked out by django-axes (settings "Auth");
this module holds what axes does not cover: password reset exists only when
mail goes out and is rate-limited (django-ratelimit), and htmx polling does
not keep an idle session alive.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import user_logged_in
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRefresh
from django_ratelimit.decorators import ratelimit

# Reset mails asked for, per client address and per e-mail address. A reset
# request answers the same whether the address is known or not, so only the
# count limits how many mails a stranger can make blcheck send.
RESET_RATE_PER_ADDRESS = "5/h"
RESET_RATE_PER_EMAIL = "3/h"

View = Callable[..., HttpResponseBase]


def is_background_read(request: HttpRequest) -> bool:
    """An htmx GET (the dashboard's 15-second poll, a run's progress): the page
    asks by itself, so it is no sign that someone is at the keyboard."""
    return (
        request.method == "GET"
        and request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


# The session's last sign of a person at the keyboard (seconds since 1970).
TOUCHED = "blcheck_touched"
# The idle clock moves on at most once a minute: a page costs no session write
# (an UPDATE per request otherwise), and an idle time is exact to a minute.
TOUCH_EVERY = 60


class IdleSessionMiddleware(SessionMiddleware):
    """SessionMiddleware whose expiry moves on with what a person does.

    A session ends SESSION_COOKIE_AGE after the last request a person made:
    every request but an htmx read moves it on (written at most once every
    TOUCH_EVERY seconds); an open dashboard polls for ever, so polls do not
    count. A poll whose session has ended reloads the page, which then asks to
    log in.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponse
    ) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None:
            return super().process_response(request, response)
        if not is_background_read(request):
            _touch(session)
            return super().process_response(request, response)
        if response.status_code == 302 and response["Location"].startswith(
            resolve_url(settings.LOGIN_URL)
        ):
            return HttpResponseClientRefresh()
        if session.modified:
            return super().process_response(request, response)
        if session.accessed:
            patch_vary_headers(response, ("Cookie",))
        return response


def _touch(session: Any) -> None:
    """Save the session (and so move its expiry on) when the last touch is a
    minute old; an anonymous, empty session stays unwritten."""
    if session.is_empty():
        return
    now = int(time.time())
    if now - int(session.get(TOUCHED, 0)) >= TOUCH_EVERY:
        session[TOUCHED] = now


def _touched_at_login(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    # Logging in is activity; the session is saved by the log-in itself.
    request.session[TOUCHED] = int(time.time())


user_logged_in.connect(_touched_at_login, dispatch_uid="blcheck-idle-session")


def lockout(
    request: HttpRequest,
    original_response: HttpResponse | None,
    credentials: dict[str, Any] | None,
) -> HttpResponse:
    """What django-axes answers a locked-out log-in (AXES_LOCKOUT_CALLABLE): our
    page, saying how long to wait, with 429 Too Many Requests (RFC 6585 §4)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request, "registration/lockout.html", {"minutes": minutes}, status=429
    )


@login_not_required
def login(request: HttpRequest) -> HttpResponseBase:
    """Django's log-in page, told whether to offer password reset."""
    context = {"password_reset_enabled": settings.PASSWORD_RESET_ENABLED}
    return auth_views.LoginView.as_view(extra_context=context)(request)


def when_mail_configured(view: View) -> View:
    """The view, or 404 while blcheck cannot send mail (PASSWORD_RESET_ENABLED)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.PASSWORD_RESET_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return login_not_required(wrapped)


def _reset_email(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


@when_mail_configured
@ratelimit(
    group="password-reset-address",
    key="ip",
    rate=RESET_RATE_PER_ADDRESS,
    method="POST",
    block=False,
)
@ratelimit(
    group="password-reset-email",
    key=_reset_email,
    rate=RESET_RATE_PER_EMAIL,
    method="POST",
    block=False,
)
def password_reset(request: HttpRequest) -> HttpResponseBase:
    """Django's password reset form, refused with 429 past either rate."""
    if getattr(request, "limited", False):
        return render(request, "registration/password_reset_limited.html", status=429)
    return auth_views.PasswordResetView.as_view()(request)
