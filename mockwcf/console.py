"""What people read: one line per exchange (colour on a terminal only) and a full view of one.

The line answers "what happened and why" without opening the journal: time, id, node, the operation
(or the method and path when no operation was read), the verdict, the HTTP status, the resource code,
the reason cut to one line, and the latency.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO, Any

from mockwcf.journal import Entry

_COLORS = {"accepted": "\033[32m", "rejected": "\033[31m", "served": "\033[36m"}
_DIM, _RESET = "\033[2m", "\033[0m"
_MARKS = {"accepted": "ACCEPT", "rejected": "REJECT", "served": "SERVED"}
REASON_WIDTH = 110


def one_line(text: str | None, width: int = REASON_WIDTH) -> str:
    """The reason's first sentence-ish part on one line, cut with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def summary_line(item: dict[str, Any], color: bool, endpoint: bool = False) -> str:
    """`endpoint`: name the endpoint's path before the operation (a server with several endpoints)."""
    verdict = item["verdict"]
    mark = _MARKS.get(verdict, verdict.upper())
    if color:
        mark = f"{_COLORS.get(verdict, '')}{mark}{_RESET}"
    time = item["time"][11:23]
    op = item.get("operation") or f"{item.get('method', 'POST')} {item.get('target', '')}".strip()
    if endpoint and item.get("endpoint") and item.get("operation"):
        op = f"{item['endpoint']} {op}"  # without an operation the line shows the target already
    code = item.get("resourceCode") or ""  # a refused path or method has only its status, already shown
    rule = f" rule[{item['rule']}]" if item.get("rule") is not None else ""
    latency = f"{item.get('latencyMs', 0.0):.1f} ms"
    if item.get("delay"):
        latency += f" +{item['delay']:g} s delay"
    reason = one_line(item.get("error") or item.get("reason")) if verdict == "rejected" else ""
    if reason and color:
        reason = f"{_DIM}{reason}{_RESET}"
    line = f"{time} #{item['id']:<5} node{item['node']} {op:<16} {mark} {item['status']}"
    line += f" {code}{rule}" if code or rule else ""
    line += f": {reason}" if reason else ""
    return f"{line} ({latency})"


def use_color(stream: IO[str]) -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def printer(stream: IO[str], several: Callable[[], bool] = lambda: False) -> Callable[[Entry], None]:
    """`several()`: the server has several endpoints, so each line names the endpoint that answered."""
    color = use_color(stream)

    def show(entry: Entry) -> None:
        stream.write(summary_line(entry.summary(), color, endpoint=several()) + "\n")
        stream.flush()

    return show


def full_entry(item: dict[str, Any]) -> str:
    lines = [summary_line(item, False)]
    for key in ("endpoint", "action", "resourceCode", "wireCode", "reason", "hint", "error"):
        if item.get(key):
            lines.append(f"{key}: {item[key]}")
    if item.get("culprit"):
        lines.append(f"element: {item['culprit']['name']} at {item['culprit']['xpath']}")
    lines.append("steps:")
    lines += [f"  [{s['outcome']:>7}] {s['step']}: {s['detail']}" for s in item.get("steps", [])]
    for title, key in (("request headers:", "requestHeaders"), ("response headers:", "responseHeaders")):
        headers = item.get(key) or {}
        pairs = headers.items() if isinstance(headers, dict) else headers
        lines += [title] + [f"  {k}: {v}" for k, v in pairs]
    lines += ["request:", item.get("request", ""), "response:", item.get("response", "")]
    return "\n".join(lines)
