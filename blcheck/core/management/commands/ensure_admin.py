import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the first superuser with a random password, written to a 0600 file "
        "in the data folder. Does nothing when a superuser exists."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        path = settings.DATA_DIR / "admin-password.txt"
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            hint = f" (first password in {path})" if path.exists() else ""
            self.stdout.write(f"admin: a superuser already exists{hint}")
            return
        password = secrets.token_urlsafe(18)
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"username: {username}\npassword: {password}\n")
        users.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(f"admin: created user '{username}'; password in {path}")
        )
