import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from blcheck.core.datafiles import (
    admin_password_forget_if_changed,
    admin_password_path,
    admin_password_write,
)


class Command(BaseCommand):
    help = (
        "Create the first superuser with a random password, written to a 0600 file "
        "in the data folder. When a superuser exists, remove that file once its "
        "password has been changed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        path = admin_password_path()
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            if admin_password_forget_if_changed():
                self.stdout.write(
                    f"admin: the first password was changed; removed {path}"
                )
            hint = f" (first password in {path})" if path.exists() else ""
            self.stdout.write(f"admin: a superuser already exists{hint}")
            return
        password = secrets.token_urlsafe(18)
        admin_password_write(username=username, password=password)
        users.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(f"admin: created user '{username}'; password in {path}")
        )
