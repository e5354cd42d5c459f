"""The schema's building block, shared by the schema's parts (schema.py, schema_contract.py, schema_transport.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REQUIRED = object()  # marker: the key must be present
DERIVED = object()  # marker: the default depends on other keys (documented in `doc`)


@dataclass(frozen=True)
class F:
    """One key: `kind` picks the validator in scenario.py."""

    kind: str  # str|int|bool|timespan|enum|path|list|map|section|rules|operations|code|xml
    doc: str
    default: Any = None
    choices: tuple[str, ...] = ()
    item: F | None = None
    fields: dict[str, F] = field(default_factory=dict)
    minimum: int | None = None
    maximum: int | None = None  # an int WCF holds in an Int32 says so (its setter refuses more)
