"""The exchange journal: what the server saw, what it answered and why, bounded in entries and bytes.

A CI run can send hundreds of thousands of requests; the journal keeps the newest `maxEntries`
(10,000) and at most `maxBytes` (64 MiB) of requests, replies and headers, so memory stays flat, and
numbers exchanges so `exchanges/{id}` stays stable. Passwords and nonces are redacted when an entry is
stored (presence and length kept), because the admin API hands the journal to anyone who can reach it;
`journal.includeSecrets: true` keeps them.

Every request outside the admin API is journaled: SOAP exchanges are `accepted` or `rejected`, a
wrong path or method is `rejected` (HTTP 404/405), a WSDL or help-page fetch is `served`.
"""

from __future__ import annotations

import difflib
import itertools
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from mockwcf.clock import format_wcf_time, parse_instant

VERDICTS = ("accepted", "rejected", "served")
FILTERS = ("verdict", "operation", "code", "since", "node", "endpoint")
MAX_BYTES = 64 * 1024 * 1024

# The text of any Password or Nonce element (wsse:, wsc:, wst: alike), up to its own end tag; a prefix
# may be absent. Comments or CDATA inside the text are covered too: the match runs to the end tag.
_SECRET = re.compile(
    rb"(<(?:[\w.-]+:)?(Password|Nonce)(?:\s[^>]*)?(?<!/)>)(.*?)(</(?:[\w.-]+:)?\2\s*>)", re.DOTALL
)
_SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie")


@dataclass
class Entry:
    id: int
    time: str
    node: int
    operation: str | None
    action: str | None
    verdict: str  # accepted | rejected | served
    resource_code: str | None
    wire_code: str | None
    reason: str | None
    steps: list[dict[str, str]] = field(default_factory=list)
    rule: int | None = None
    status: int = 200
    request: bytes = b""
    response: bytes = b""
    error: str | None = None  # an unexpected server-side error (never sent to the client)
    method: str = "POST"
    target: str = ""  # path and query as the client sent them
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    started: float = 0.0  # time.perf_counter() when the request arrived
    latency_ms: float = 0.0  # arrival to answer, without a rule's delay
    delay: float = 0.0  # seconds a rule held the answer back
    hint: str | None = None
    culprit: dict[str, str] | None = None  # {"xpath", "name"} of the element a rejection blames
    size: int = 0  # bytes counted against journal.maxBytes
    endpoint: str | None = None  # the path of the endpoint that answered (host.py); None: no endpoint
    unredacted: bool = field(default=False, repr=False)  # `request` has secrets: the Journal redacts on read

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "time": self.time,
            "node": self.node,
            "endpoint": self.endpoint,
            "method": self.method,
            "target": self.target,
            "operation": self.operation,
            "action": self.action,
            "verdict": self.verdict,
            "resourceCode": self.resource_code,
            "wireCode": self.wire_code,
            "reason": self.reason,
            "status": self.status,
            "latencyMs": round(self.latency_ms, 3),
            "steps": self.steps,
        }
        if self.delay:
            out["delay"] = self.delay
        if self.rule is not None:
            out["rule"] = self.rule
        if self.hint:
            out["hint"] = self.hint
        if self.culprit:
            out["culprit"] = self.culprit
        if self.error:
            out["error"] = self.error
        return out

    def full(self) -> dict[str, Any]:
        out = self.summary()
        out["requestHeaders"] = self.request_headers
        out["responseHeaders"] = [list(h) for h in self.response_headers]
        out["request"] = self.request.decode("utf-8", "replace")
        out["response"] = self.response.decode("utf-8", "replace")
        return out

    def mismatches(self, filters: dict[str, Any]) -> list[str]:
        """Why this entry does not match `filters` (empty when it does), one phrase per failed filter."""
        out = []
        for key, want in filters.items():
            if want is None:
                continue
            if key == "verdict" and self.verdict != want:
                out.append(f"verdict is {self.verdict!r}, not {want!r}")
            elif key == "operation" and (self.operation or "").lower() != str(want).lower():
                out.append(f"operation is {self.operation!r}, not {want!r}")
            elif key == "code" and self.resource_code != want:
                out.append(f"resource code is {self.resource_code!r}, not {want!r}")
            elif key == "node" and self.node != int(want):
                out.append(f"node is {self.node}, not {want}")
            elif key == "endpoint" and (self.endpoint or "").rstrip("/") != str(want).rstrip("/"):
                out.append(f"endpoint is {self.endpoint!r}, not {want!r}")
            elif key == "since" and not _after(self, want):
                out.append(f"exchange #{self.id} at {self.time} is not after {want}")
        return out


def _after(entry: Entry, since: int | str) -> bool:
    """`since` is an exchange id (exchanges after it) or an instant (exchanges at or after it)."""
    if isinstance(since, int):
        return entry.id > since
    return entry.time >= since  # both are WCF's fixed-width UTC form, so text order is time order


class FilterError(ValueError):
    """Bad filter values; `problems` name the field and say what would be accepted."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def unknown_code(code: str) -> str | None:
    """None for a catalog code, else a sentence naming the nearest codes (a typo never matches silently)."""
    from mockwcf import catalog

    if catalog.exists(code):
        return None
    near = difflib.get_close_matches(code, [e.code for e in catalog.entries()], n=3, cutoff=0.5)
    did = f"; did you mean {', '.join(near)}?" if near else " (see `mockwcf catalog`)"
    return f"{code!r} is not a resource code in the catalog{did}"


def parse_filters(params: dict[str, str], ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """The journal filters from query parameters (`verdict=&operation=&code=&since=&node=`), checked:
    a verdict or resource code that cannot match anything is an error naming the choices."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in ignore or value == "":
            continue
        if key not in FILTERS:
            problems.append(f"{key}: not a filter; use {', '.join(FILTERS)}")
        elif key == "verdict" and value not in VERDICTS:
            problems.append(f"verdict: {value!r} is not one of {', '.join(VERDICTS)}")
        elif key == "code" and unknown_code(value):
            problems.append(f"code: {unknown_code(value)}")
        elif key == "node":
            if not value.isascii() or not value.isdigit():
                problems.append(f"node: {value!r} is not a node number (1, 2, ...)")
            else:
                out[key] = int(value)
        elif key == "since":
            if value.isascii() and value.isdigit():
                out[key] = int(value)
            else:
                try:
                    out[key] = format_wcf_time(parse_instant(value))
                except ValueError as exc:
                    problems.append(
                        f"since: {value!r} is neither an exchange id nor an instant like "
                        f"2026-01-01T00:00:00Z ({exc})"
                    )
        else:
            out[key] = value
    if problems:
        raise FilterError(problems)
    return out


class _Second:
    """The whole-second part of the journal's time, formatted once a second rather than once a request."""

    second = -1
    prefix = ""


def wcf_time_now() -> str:
    """format_wcf_time(datetime.now(UTC)) for an entry: the same clock and the same milliseconds (both read
    CLOCK_REALTIME and truncate), with the date and time of day formatted once a second."""
    ns = time.time_ns()
    second, rest = divmod(ns, 1_000_000_000)
    if second != _Second.second:
        _Second.prefix = format_wcf_time(datetime.fromtimestamp(second, UTC))[:19]
        _Second.second = second
    return f"{_Second.prefix}.{rest // 1_000_000:03d}Z"


def redact(body: bytes) -> bytes:
    """Password and Nonce texts replaced by their length; the element and its attributes stay."""
    # rfind, not `in`: CPython's reverse search is a plain memchr-led loop, its forward one pays a skip-table
    # set-up; about 1.8 µs against 3.7 on a 4 KB signed request with neither word (the usual case)
    if body.rfind(b"Password") < 0 and body.rfind(b"Nonce") < 0:
        return body

    def sub(m: re.Match[bytes]) -> bytes:
        return m.group(1) + b"[redacted: %d characters]" % len(m.group(3)) + m.group(4)

    return _SECRET.sub(sub, body)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    if headers.keys().isdisjoint(_SECRET_HEADERS):
        return headers
    return {
        k: (f"[redacted: {len(v)} characters]" if k in _SECRET_HEADERS else v) for k, v in headers.items()
    }


def locate(element: Any) -> dict[str, str] | None:
    """A locator the page can find again in the stored request: an XPath by element position (comments
    and processing instructions skipped, so it survives re-parsing) and the element's prefixed name."""
    if not isinstance(element, etree._Element) or not isinstance(element.tag, str):
        return None
    steps = []
    el: Any = element
    while el is not None:
        parent = el.getparent()
        index = 1 + sum(1 for _ in el.itersiblings(etree.Element, preceding=True))
        steps.append(f"*[{index}]")
        el = parent
    qname = etree.QName(element)
    name = f"{element.prefix}:{qname.localname}" if element.prefix else qname.localname
    return {"xpath": "/" + "/".join(reversed(steps)), "name": name, "namespace": qname.namespace or ""}


def http_entry(journal: Journal, req: Any, reply: Any) -> Entry:
    """The entry for a request that never reached the SOAP pipeline: a WSDL or help-page fetch
    (`served`), a wrong path or method (`rejected`, the reason is the answer's first line)."""
    served = reply.status < 400 and not reply.drop
    first_line = reply.body.split(b"\n", 1)[0].decode("utf-8", "replace") if not served else None
    return Entry(
        id=journal.next_id(),
        time=wcf_time_now(),
        node=1,
        operation=None,
        action=None,
        verdict="served" if served else "rejected",
        resource_code=None,
        wire_code=None if served else f"HTTP {reply.status}",
        reason=first_line or (None if served else f"HTTP {reply.status}"),
        status=reply.status,
        request=req.body,
        response=reply.body if not served else b"",  # a WSDL is the same every time: not kept
        method=req.method,
        target=req.path + ("?" + req.query if req.query else ""),
        request_headers=req.headers,
        response_headers=reply.headers,
        started=req.received,
    )


class Journal:
    def __init__(
        self, max_entries: int = 10000, max_bytes: int = MAX_BYTES, include_secrets: bool = False
    ) -> None:
        self._entries: deque[Entry] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # the pytest plugin reads it from the test thread
        self._bytes = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.include_secrets = include_secrets

    def configure(self, max_entries: int, max_bytes: int, include_secrets: bool) -> None:
        with self._lock:
            self.max_entries, self.max_bytes, self.include_secrets = max_entries, max_bytes, include_secrets
            self._trim()

    def resize(self, max_entries: int) -> None:
        self.configure(max_entries, self.max_bytes, self.include_secrets)

    def next_id(self) -> int:
        return next(self._ids)

    def add(self, entry: Entry) -> None:
        # The body is redacted when the entry is first read (`_settled`), not here: bodies reach users only
        # through this class's readers (Runtime.record's console listeners get the entry too, and show only
        # its summary(), never `request`: a listener that shows the body must read it through `entries`/`get`).
        # Most entries are never read, so no request pays the scan (10-30 µs on a message with DerivedKeyToken
        # Nonces). `size` counts the body as received, a bound, not a display.
        if not self.include_secrets:
            entry.unredacted = True
            entry.request_headers = redact_headers(entry.request_headers)
        headers = entry.request_headers
        entry.size = (
            len(entry.request)
            + len(entry.response)
            + sum(map(len, headers))
            + sum(map(len, headers.values()))
            + sum(len(k) + len(v) for k, v in entry.response_headers)
        )
        with self._lock:
            self._entries.append(entry)
            self._bytes += entry.size
            self._trim()

    def _trim(self) -> None:
        """Oldest first, down to both bounds; the newest entry stays even when it alone is over maxBytes."""
        entries = self._entries
        while len(entries) > 1 and (len(entries) > self.max_entries or self._bytes > self.max_bytes):
            self._bytes -= entries.popleft().size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @staticmethod
    def _settled(entry: Entry) -> Entry:
        """The entry as anyone may see it: Password and Nonce texts redacted (once; the lock is held)."""
        if entry.unredacted:
            entry.request = redact(entry.request)
            entry.unredacted = False
        return entry

    def entries(self) -> list[Entry]:
        with self._lock:
            return [self._settled(e) for e in self._entries]

    def select(self, **filters: Any) -> list[Entry]:
        """Entries matching every filter (verdict, operation, code, since, node, endpoint;
        None = any), oldest first."""
        return [e for e in self.entries() if not e.mismatches(filters)]

    def get(self, entry_id: int) -> Entry | None:
        with self._lock:
            return next((self._settled(e) for e in self._entries if e.id == entry_id), None)

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
