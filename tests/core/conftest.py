import pytest
from django.core.management import call_command


@pytest.fixture
def demo(db, settings):
    """The main pages filled as seed_demo fills them (a dozen targets)."""
    settings.DEBUG = True
    call_command(
        "seed_demo", "--targets", "12", "--lists", "8", "--days", "40", "--seed", "4"
    )
    settings.DEBUG = False
