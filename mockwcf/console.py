"""What people read: one compact line per exchange, colored on a terminal, and a full view of one."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from mockwcf.journal import Entry

_GREEN, _RED, _RESET = "\033[32m", "\033[31m", "\033[0m"


def summary_line(item: dict[str, Any], color: bool) -> str:
    verdict = item["verdict"]
    mark = "ACCEPT" if verdict == "accepted" else "REJECT"
    if color:
        mark = f"{_GREEN if verdict == 'accepted' else _RED}{mark}{_RESET}"
    code = item.get("resourceCode") or ""
    time = item["time"][11:23]
    op = item.get("operation") or "-"
    rule = f" rule[{item['rule']}]" if item.get("rule") is not None else ""
    line = f"{time} #{item['id']:<5} node{item['node']} {op:<16} {mark} {item['status']} {code}{rule}"
    return line.rstrip()


def printer(stream: IO[str]) -> Callable[[Entry], None]:
    color = stream.isatty()

    def show(entry: Entry) -> None:
        stream.write(summary_line(entry.summary(), color) + "\n")
        stream.flush()

    return show


def full_entry(item: dict[str, Any]) -> str:
    lines = [summary_line(item, False)]
    for key in ("action", "resourceCode", "wireCode", "reason", "error"):
        if item.get(key):
            lines.append(f"{key}: {item[key]}")
    lines.append("steps:")
    lines += [f"  [{s['outcome']:>7}] {s['step']}: {s['detail']}" for s in item.get("steps", [])]
    lines += ["request:", item.get("request", ""), "response:", item.get("response", "")]
    return "\n".join(lines)
