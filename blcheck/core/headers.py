"""The response headers Django does not set itself, in one place.

Every response a view makes (pages, htmx fragments, CSV exports, the login
page) says `Cache-Control: private, no-store`: it holds data of the company's
mail servers and cases, so no shared cache keeps it and no browser writes it
to disk. Static files never come here: WhiteNoise answers them above this
middleware in MIDDLEWARE (runserver's handler, before any middleware), so they
keep their long cache lifetimes.

`Permissions-Policy` turns off the browser features blcheck never uses, for
this page and anything it could frame. X-Frame-Options, Referrer-Policy and
X-Content-Type-Options come from Django's own middleware (settings.py), the
Content-Security-Policy from django-csp.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

CACHE_CONTROL = "private, no-store"
# Features a page of blcheck never asks for; `()` allows them to no origin.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "interest-cohort",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


class PrivateResponseMiddleware:
    """Marks every response of a view private and uncacheable, and sends the
    Permissions-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response["Cache-Control"] = CACHE_CONTROL
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
