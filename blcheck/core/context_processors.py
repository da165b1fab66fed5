from typing import Any

from django.http import HttpRequest

from blcheck.core.access import can_edit, can_view


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)  # absent on some error pages
    if user is None:
        return {"user_can_edit": False, "user_can_view": False}
    return {"user_can_edit": can_edit(user), "user_can_view": can_view(user)}
