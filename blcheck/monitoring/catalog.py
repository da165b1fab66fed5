"""Reads the reviewed blocklist catalog file shipped with the code."""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("catalog.toml")


@dataclass(frozen=True)
class CatalogEntry:
    zone: str
    name: str
    operator: str
    kinds: frozenset[str]
    listed: dict[str, str]
    errors: dict[str, str]

    def model_fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "operator": self.operator,
            "has_ipv4": "ipv4" in self.kinds,
            "has_ipv6": "ipv6" in self.kinds,
            "has_domains": "domain" in self.kinds,
            "listed_codes": self.listed,
            "error_codes": self.errors,
        }


def read_catalog(path: Path = CATALOG_PATH) -> list[CatalogEntry]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [
        CatalogEntry(
            zone=item["zone"].lower(),
            name=item["name"],
            operator=item.get("operator", ""),
            kinds=frozenset(item["kinds"]),
            listed=dict(item.get("listed", {})),
            errors=dict(item.get("errors", {})),
        )
        for item in data["list"]
    ]
