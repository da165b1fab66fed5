"""Files in the data folder stay private to the account that runs blcheck.

Settings make the folder 0700 (and tighten one left open). Here, at run time:
the SQLite database is made 0600 on every connection (SQLite gives its -wal
and -shm files the database file's mode), and the first admin password file
that `ensure_admin` writes is removed once that password no longer logs in.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models.signals import post_save
from django.dispatch import receiver

SQLITE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def make_private(path: Path) -> None:
    """chmod 0600 when group or others may read or write; nothing if absent."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except FileNotFoundError:
        pass


@receiver(connection_created)
def sqlite_files_private(
    sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any
) -> None:
    """A new SQLite database is created 0644; make it and its journals 0600."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return
    for suffix in SQLITE_FILE_SUFFIXES:
        make_private(Path(name + suffix))


def admin_password_path() -> Path:
    """Where `ensure_admin` writes the first superuser's password (0600)."""
    return Path(settings.DATA_DIR) / "admin-password.txt"


def admin_password_write(*, username: str, password: str) -> Path:
    path = admin_password_path()
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    path.write_text(f"username: {username}\npassword: {password}\n")
    return path


def admin_password_forget_if_changed(*, user: AbstractBaseUser | None = None) -> bool:
    """Delete the password file once its password no longer logs in its user.

    With `user`, only that user is compared (another user's save leaves the
    file alone). Returns whether the file was deleted.
    """
    path = admin_password_path()
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return False
    fields = dict(line.split(": ", 1) for line in lines if ": " in line)
    username, password = fields.get("username"), fields.get("password")
    if not username or not password:
        return False  # not a file we wrote: leave it
    if user is None:
        user = get_user_model().objects.filter(username=username).first()
    elif user.get_username() != username:
        return False
    if user is not None and user.check_password(password):
        return False  # still the first password
    path.unlink(missing_ok=True)
    return True


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def admin_password_forget_on_change(
    sender: Any,
    *,
    instance: AbstractBaseUser,
    created: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    """Every ORM path that changes a password saves the user: the admin's
    password forms, `changepassword`, `set_password()` + `save()`. A new user
    and a login (which saves only `last_login`) are skipped: the check hashes."""
    if created or (update_fields is not None and "password" not in update_fields):
        return
    admin_password_forget_if_changed(user=instance)
