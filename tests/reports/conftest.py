import pytest


@pytest.fixture(autouse=True)
def _english_site(settings):
    # blcheck writes its own case history in the site language; these read English.
    settings.LANGUAGE_CODE = "en"
