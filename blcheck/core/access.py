"""Roles. The only module that knows the role (group) names.

IT staff manage targets, lists and cases; Managers read everything and change
nothing; superusers administer (DESIGN §4.6).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

IT_STAFF = "IT staff"
MANAGERS = "Managers"

View = Callable[..., HttpResponseBase]


def _groups(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    # One query per request: the user object lives as long as the request.
    cached = user.__dict__.get("_blcheck_groups")
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        user.__dict__["_blcheck_groups"] = cached
    return cached


def can_edit(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(getattr(user, "is_superuser", False)) or IT_STAFF in _groups(user)


def can_view(user: AbstractBaseUser | AnonymousUser) -> bool:
    return can_edit(user) or MANAGERS in _groups(user)


def _require(test: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(
            request: HttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def acting_user(request: HttpRequest) -> User:
    """The logged-in user of a view behind LoginRequiredMiddleware."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


editor_required = _require(can_edit)
viewer_required = _require(can_view)
