"""Writes for delisting cases, split by sub-domain; import them from here."""

from blcheck.cases.services.cases import (
    CaseConflict,
    case_add_note,
    case_assign,
    case_close_by_hand,
    case_mark_requested,
    case_open,
    in_site_language,
    reference_error,
)
from blcheck.cases.services.intake import case_open_from_bounce, target_for_address
from blcheck.cases.services.verification import (
    case_record_check,
    cases_verify_due,
    cases_watch_relisting,
    verify_rule,
)

__all__ = [
    "CaseConflict",
    "case_add_note",
    "case_assign",
    "case_close_by_hand",
    "case_mark_requested",
    "case_open",
    "case_open_from_bounce",
    "case_record_check",
    "cases_verify_due",
    "cases_watch_relisting",
    "in_site_language",
    "reference_error",
    "target_for_address",
    "verify_rule",
]
