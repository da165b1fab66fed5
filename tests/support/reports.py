"""The managers' reports as the tests build and read them: small hand-made
listings and cases, and a report's tables and chart data."""

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist, Listing, Target
from tests.factories import (
    BlocklistFactory,
    DelistingCaseFactory,
    ListingFactory,
    TargetFactory,
)
from tests.support.history import NOW, episode, jst
from tests.support.html import parse

Status = DelistingCase.Status


def listing_on(blocklist: Blocklist, target: Target | None = None) -> Listing:
    return ListingFactory.create(
        blocklist=blocklist, target=target or TargetFactory.create()
    )


def case(*, opened: datetime, **fields: Any) -> DelistingCase:
    """A delisting case opened at `opened` (the model stamps opened_at itself)."""
    made: DelistingCase = DelistingCaseFactory.create(**fields)
    DelistingCase.objects.filter(pk=made.pk).update(opened_at=opened)
    made.refresh_from_db()
    return made


def delisting() -> tuple[Blocklist, Blocklist]:
    """Alpha: episodes of 1 h, 10 h and 3 h, two still open (5 d and 1 d).
    Beta: one listing listed twice, 2 h then 4 h. Cases on Alpha: verified in
    24 h and 48 h, one awaiting, one whose verification predates its request."""
    alpha = BlocklistFactory.create(name="Alpha")
    beta = BlocklistFactory.create(name="Beta")
    one = listing_on(alpha)
    episode(one, at=jst(2025, 5, 1), cleared=jst(2025, 5, 1, 1))
    episode(one, at=jst(2025, 5, 2), cleared=jst(2025, 5, 2, 10))
    episode(listing_on(alpha), at=jst(2025, 5, 3), cleared=jst(2025, 5, 3, 3))
    episode(listing_on(alpha), at=NOW - timedelta(days=5))
    episode(listing_on(alpha), at=NOW - timedelta(days=1))
    # Began before the period:
    episode(listing_on(alpha), at=jst(2024, 5, 1), cleared=jst(2024, 8, 1))
    twice = listing_on(beta)
    episode(twice, at=jst(2025, 5, 1), cleared=jst(2025, 5, 1, 2))
    episode(twice, at=jst(2025, 5, 2), cleared=jst(2025, 5, 2, 4))
    requested = jst(2025, 5, 1, 9)
    for hours in (24, 48):
        case(
            opened=requested,
            blocklist=alpha,
            status=Status.CLOSED,
            requested_at=requested,
            verified_at=requested + timedelta(hours=hours),
        )
    case(
        opened=requested,
        blocklist=alpha,
        status=Status.REQUESTED,
        requested_at=requested,
    )
    case(
        opened=requested,
        blocklist=alpha,
        status=Status.REQUESTED,
        requested_at=requested,
        verified_at=requested - timedelta(days=1),  # an earlier removal
    )
    case(
        opened=requested,
        blocklist=alpha,
        status=Status.ABANDONED,
        requested_at=requested,
    )
    return alpha, beta


def ageing() -> list[DelistingCase]:
    """Five cases being worked, opened 2 h, 30 h, 3 d, 10 d and 40 d ago (two
    overdue), oldest last; and a closed and an abandoned one."""
    made = [
        case(opened=NOW - timedelta(hours=2), status=Status.OPEN),
        case(opened=NOW - timedelta(hours=30), status=Status.REQUESTED),
        case(opened=NOW - timedelta(days=3), status=Status.REQUESTED, is_overdue=True),
        case(opened=NOW - timedelta(days=10), status=Status.AWAITING_REMOVAL),
        case(opened=NOW - timedelta(days=40), status=Status.OPEN, is_overdue=True),
    ]
    case(opened=NOW - timedelta(days=60), status=Status.CLOSED)
    case(opened=NOW - timedelta(days=50), status=Status.ABANDONED)
    return made


def table(response: Any, caption_id: str) -> list[list[str]]:
    """The rows (cell texts) of the table whose caption has this id."""
    tables = [
        found
        for found in parse(response.content).find_all("table")
        if found.find_all("caption", id=caption_id)
    ]
    assert len(tables) == 1, caption_id
    return tables[0].rows()


def chart_json(response: Any, chart_id: str) -> Any:
    """The data a chart is drawn from (json_script beside it)."""
    script = parse(response.content).find(
        "script", id=chart_id, type="application/json"
    )
    return json.loads("".join(x for x in script.children if isinstance(x, str)))


def csv_rows(response: Any) -> list[list[str]]:
    """A report's CSV (sent at once, with a BOM) as rows of cells."""
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
