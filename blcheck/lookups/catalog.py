"""Reads the reviewed blocklist catalog file shipped with the code.

The file (catalog.toml) is data reviewed against docs/reference/dnsbl-facts.md;
each entry becomes one Blocklist row through `manage.py load_catalog`.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("catalog.toml")

REQUIRED = {
    "zone",
    "name",
    "operator",
    "kinds",
    "listed",
    "errors",
    "access",
    "enabled",
    "retired",
}
OPTIONAL = {
    "bitmask",
    "key_setting",
    "refuses_public_resolvers",
    "access_notes",
    "delist_method",
    "delist_url",
    "lookup_url",
    "removal_hours",
    "expiry_hours",
    "reevaluation_days",
    "qps",
    "test_points",
    "notes",
    "retired_reason",
    "reference_pattern",
}


class CatalogError(ValueError):
    """The catalog file does not follow its schema."""


@dataclass(frozen=True)
class CatalogEntry:
    zone: str
    is_enabled: bool
    is_retired: bool
    fields: dict[str, Any]  # Blocklist field values besides zone

    def model_fields(self) -> dict[str, Any]:
        return {
            **self.fields,
            "is_enabled": self.is_enabled,
            "is_retired": self.is_retired,
        }


def _entry(item: dict[str, Any]) -> CatalogEntry:
    zone = item.get("zone", "?")
    missing, unknown = REQUIRED - item.keys(), item.keys() - REQUIRED - OPTIONAL
    if missing or unknown:
        raise CatalogError(
            f"{zone}: missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    kinds = set(item["kinds"])
    return CatalogEntry(
        zone=zone.lower(),
        is_enabled=bool(item["enabled"]) and not item["retired"],
        is_retired=bool(item["retired"]),
        fields={
            "name": item["name"],
            "operator": item["operator"],
            "has_ipv4": "ipv4" in kinds,
            "has_ipv6": "ipv6" in kinds,
            "has_domains": "domain" in kinds,
            "listed_codes": dict(item["listed"]),
            "error_codes": dict(item["errors"]),
            "is_bitmask": bool(item.get("bitmask", False)),
            "has_test_points": bool(item.get("test_points", True)),
            "access": item["access"],
            "access_notes": item.get("access_notes", ""),
            "key_setting": item.get("key_setting", ""),
            "has_public_resolver_ban": bool(
                item.get("refuses_public_resolvers", False)
            ),
            "qps": item.get("qps"),
            "delist_method": item.get("delist_method", ""),
            "delist_url": item.get("delist_url", ""),
            "lookup_url": item.get("lookup_url", ""),
            "removal_hours": item.get("removal_hours"),
            "expiry_hours": item.get("expiry_hours"),
            "reevaluation_days": item.get("reevaluation_days"),
            "reference_pattern": item.get("reference_pattern", ""),
            "retired_reason": item.get("retired_reason", ""),
            "notes": item.get("notes", ""),
        },
    )


def read_catalog(path: Path = CATALOG_PATH) -> list[CatalogEntry]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [_entry(item) for item in data["list"]]


def retired_zones(path: Path = CATALOG_PATH) -> dict[str, str]:
    """Zone -> why it was retired, for warning anyone who adds a dead list."""
    return {
        e.zone: e.fields["retired_reason"] for e in read_catalog(path) if e.is_retired
    }
