"""From a bounce to its case: find (or add) the address, open the case."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from blcheck.cases.models import DelistingCase
from blcheck.cases.services.cases import CaseRefused, case_open, in_site_language
from blcheck.monitoring.models import Blocklist


@in_site_language
def case_open_from_bounce(
    *, blocklist: Blocklist, address: str, bounce_text: str, lookup_url: str, by: User
) -> tuple[DelistingCase, bool]:
    """Open (or find) the case a bounce points at; an unknown address becomes a
    target first. The bounce and its lookup link (http or https only, else
    CaseRefused) are kept on the case."""
    try:
        if lookup_url:
            URLValidator(schemes=["http", "https"])(lookup_url)
    except ValidationError as exc:
        raise CaseRefused(_("Only an http or https link can be kept.")) from exc
    from blcheck.monitoring import services as monitoring
    from blcheck.monitoring.selectors import target_for_address
    from blcheck.monitoring.targets import parse_target

    with transaction.atomic():
        target = target_for_address(address)
        if target is None:
            parsed = parse_target(address, max_range_size=1)
            target = monitoring.target_create(
                parsed=parsed, label=_("from a bounce"), by=by
            )
        case, created = case_open(
            target=target,
            blocklist=blocklist,
            subject=address,
            by=by,
            bounce_text=bounce_text,
        )
        if created and lookup_url:
            DelistingCase.objects.filter(pk=case.pk).update(lookup_url=lookup_url[:500])
            case.refresh_from_db()
    return case, created
