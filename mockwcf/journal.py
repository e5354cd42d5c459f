"""The exchange journal: what the server saw, what it answered and why, bounded in size.

A CI run can send hundreds of thousands of requests; the journal keeps the newest `maxEntries`
(10,000 by default) so memory stays flat, and numbers exchanges so `exchanges/{id}` stays stable.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Entry:
    id: int
    time: str
    node: int
    operation: str | None
    action: str | None
    verdict: str  # accepted | rejected
    resource_code: str | None
    wire_code: str | None
    reason: str | None
    steps: list[dict[str, str]] = field(default_factory=list)
    rule: int | None = None
    status: int = 200
    request: bytes = b""
    response: bytes = b""
    error: str | None = None  # an unexpected server-side error (never sent to the client)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "time": self.time,
            "node": self.node,
            "operation": self.operation,
            "action": self.action,
            "verdict": self.verdict,
            "resourceCode": self.resource_code,
            "wireCode": self.wire_code,
            "reason": self.reason,
            "status": self.status,
            "steps": self.steps,
        }
        if self.rule is not None:
            out["rule"] = self.rule
        if self.error:
            out["error"] = self.error
        return out

    def full(self) -> dict[str, Any]:
        out = self.summary()
        out["request"] = self.request.decode("utf-8", "replace")
        out["response"] = self.response.decode("utf-8", "replace")
        return out


class Journal:
    def __init__(self, max_entries: int = 10000) -> None:
        self._entries: deque[Entry] = deque(maxlen=max_entries)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # the pytest plugin reads it from the test thread

    def resize(self, max_entries: int) -> None:
        with self._lock:
            self._entries = deque(self._entries, maxlen=max_entries)

    def next_id(self) -> int:
        return next(self._ids)

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries)

    def get(self, entry_id: int) -> Entry | None:
        with self._lock:
            return next((e for e in self._entries if e.id == entry_id), None)

    def __len__(self) -> int:
        return len(self._entries)
