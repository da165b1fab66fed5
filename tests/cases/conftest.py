import pytest


@pytest.fixture(autouse=True)
def _english_site(english_site: None) -> None:
    """Every test here reads case history in English (tests/conftest.py)."""
