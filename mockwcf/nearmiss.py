"""Near-miss messages for the test assertions: when an expectation fails, show the exchanges that
came closest and why each missed (as pytest-httpserver and WireMock do), not just "False"."""

from __future__ import annotations

import difflib
from typing import Any

from mockwcf.console import one_line
from mockwcf.journal import FILTERS, VERDICTS, Entry, unknown_code

SHOWN = 5


def describe(e: Entry) -> str:
    """One exchange on one line: id, operation (or method and path), verdict, code and reason."""
    what = e.operation or f"{e.method} {e.target}"
    code = e.resource_code or (e.wire_code if e.verdict == "rejected" else None)
    line = f"#{e.id} {what} {e.verdict}" + (f" {code}" if code else "")
    if e.verdict == "rejected" and (e.error or e.reason):
        line += f": {one_line(e.error or e.reason, 160)}"
    return line


def _block(title: str, entries: list[Entry], notes: dict[int, str] | None = None) -> str:
    if not entries:
        return f"{title}\n  (none)"
    lines = [f"  {describe(e)}" + (f"  <- {notes[e.id]}" if notes and e.id in notes else "") for e in entries]
    return f"{title}\n" + "\n".join(lines)


def check_filters(filters: dict[str, Any]) -> None:
    """A filter that can never match is a mistake in the test: say so instead of counting zero."""
    problems = [f"{k}: not a filter; use {', '.join(FILTERS)}" for k in filters if k not in FILTERS]
    if filters.get("verdict") is not None and filters["verdict"] not in VERDICTS:
        problems.append(f"verdict: {filters['verdict']!r} is not one of {', '.join(VERDICTS)}")
    if filters.get("code") is not None and unknown_code(filters["code"]):
        problems.append(f"code: {unknown_code(filters['code'])}")
    if problems:
        raise ValueError("; ".join(problems))


def closest_to_code(entries: list[Entry], code: str) -> list[Entry]:
    """Rejections first, then by how alike their code is to the expected one, newest first on ties."""

    def score(e: Entry) -> tuple[int, float, int]:
        alike = difflib.SequenceMatcher(None, e.resource_code or "", code).ratio()
        return (e.verdict == "rejected", alike, e.id)

    return sorted(entries, key=score, reverse=True)[:SHOWN]


def fault_missing(entries: list[Entry], code: str) -> str:
    total = len(entries)
    return f"expected an exchange rejected with {code}; none of the {total} exchange(s) was.\n" + _block(
        "closest exchanges:", closest_to_code(entries, code)
    )


def fault_at(entries: list[Entry], code: str, nth: int, entry: Entry | None) -> str:
    if entry is None:
        head = f"expected exchange [{nth}] to be rejected with {code}, but there are only {len(entries)} exchange(s)."
    else:
        got = (
            f"rejected with {entry.resource_code or entry.wire_code}"
            if entry.verdict == "rejected"
            else entry.verdict
        )
        head = f"expected exchange [{nth}] to be rejected with {code}; it was {got}: {describe(entry)}"
    having = [e for e in entries if e.resource_code == code]
    if having:
        return head + "\n" + _block(f"exchanges that were rejected with {code}:", having[-SHOWN:])
    return head + "\n" + _block("closest exchanges:", closest_to_code(entries, code))


def count_mismatch(entries: list[Entry], n: int, filters: dict[str, Any], matched: list[Entry]) -> str:
    wanted = ", ".join(f"{k}={v!r}" for k, v in filters.items()) or "no filter"
    msg = f"expected {n} exchange(s) matching {wanted}; found {len(matched)}."
    if matched:
        msg += "\n" + _block("matching:", matched[-SHOWN * 2 :])
    others = [e for e in entries if e not in matched]
    if others and filters:
        misses = {e.id: e.mismatches(filters) for e in others}
        near = sorted(others, key=lambda e: (len(misses[e.id]), -e.id))[:SHOWN]
        notes = {e.id: "; ".join(misses[e.id]) for e in near}
        msg += "\n" + _block("closest exchanges that did not match:", near, notes)
    elif not matched:
        msg += "\n" + _block("exchanges:", entries[-SHOWN:])
    return msg


def rejections(rejected: list[Entry], total: int) -> str:
    return f"expected no rejections; {len(rejected)} of {total} exchange(s) were rejected.\n" + _block(
        "rejected:", rejected[: SHOWN * 2]
    )
