"""README and .env.example stay true to the settings module."""

import re

from django.conf import settings

ROOT = settings.BASE_DIR


def variables_read_by_settings() -> set[str]:
    source = (ROOT / "blcheck" / "settings.py").read_text()
    return set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', source))


def test_every_variable_is_in_env_example():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert variables_read_by_settings() == listed


def test_every_variable_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    in_table = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert variables_read_by_settings() == in_table


def test_readme_first_screen_gives_the_two_commands():
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:24])
    assert "make run" in first_screen and "make test" in first_screen
