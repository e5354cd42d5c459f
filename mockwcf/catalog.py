"""The catalog of WCF security resource codes (data in `data/catalog.yaml`).

Every rejection mockwcf makes names one of these codes, so the catalog is also the vocabulary of
scenario rules, of the diagnostics detail and of the troubleshooting docs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import yaml

GENERIC_HINT = (
    "WCF raises this in configuration, policy or its own client, not for a request you send; "
    "mockwcf produces it through a scenario rule so you can test how your client handles the fault."
)


@dataclass(frozen=True)
class CatalogEntry:
    code: str
    string: str
    origin: str  # "seed" (verbatim from the user's table) or "added" (our words)
    fault: str  # key of faults.WIRE_FAULTS
    receive_path: bool
    hint: str

    def as_dict(self) -> dict[str, object]:
        from mockwcf.faults import WIRE_FAULTS

        wire = WIRE_FAULTS[self.fault]
        return {
            "code": self.code,
            "string": self.string,
            "origin": self.origin,
            "receivePath": self.receive_path,
            "hint": self.hint,
            "wire": wire.describe(),
        }


@functools.cache
def _load() -> dict[str, CatalogEntry]:
    text = resources.files("mockwcf").joinpath("data/catalog.yaml").read_text(encoding="utf-8")
    # libyaml's loader reads the table in 5 ms instead of 60; the first fault a server sends waits for it
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    entries: dict[str, CatalogEntry] = {}
    for section in ("seed", "added"):
        for row in data[section]:
            entries[row["code"]] = CatalogEntry(
                code=row["code"],
                string=row["string"],
                origin=row["origin"],
                fault=row.get("fault", "InvalidSecurity"),
                receive_path=bool(row.get("receivePath")),
                hint=row.get("hint", GENERIC_HINT),
            )
    return entries


def entries() -> list[CatalogEntry]:
    """Seed entries first, in the table's order, then the added ones."""
    return list(_load().values())


def get(code: str) -> CatalogEntry:
    """Look up a code; KeyError names the code so a typo in a rule is easy to spot."""
    try:
        return _load()[code]
    except KeyError:
        raise KeyError(f"{code!r} is not a resource code in the catalog (see `mockwcf catalog`)") from None


def exists(code: str) -> bool:
    return code in _load()
