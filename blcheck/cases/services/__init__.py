"""Writes for delisting cases, split by sub-domain; import them from here."""

from blcheck.cases.services.cases import (
    CaseConflict,
    CaseRefused,
    case_add_note,
    case_assign,
    case_close_by_hand,
    case_open,
    in_site_language,
)
from blcheck.cases.services.intake import case_open_from_bounce
from blcheck.cases.services.requests import (
    RequestInFuture,
    RequestRefused,
    case_mark_requested,
)
from blcheck.cases.services.verification import (
    case_record_check,
    case_verify_due,
    case_watch_relisting,
)

__all__ = [
    "CaseConflict",
    "CaseRefused",
    "RequestInFuture",
    "RequestRefused",
    "case_add_note",
    "case_assign",
    "case_close_by_hand",
    "case_mark_requested",
    "case_open",
    "case_open_from_bounce",
    "case_record_check",
    "case_verify_due",
    "case_watch_relisting",
    "in_site_language",
]
