"""The admin API under /_mockwcf/ (DESIGN.md section 5; a fixed contract users script against)."""

from __future__ import annotations

import difflib
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from mockwcf import journal, page
from mockwcf.admin_guard import MAX_BODY
from mockwcf.clock import Clock, parse_instant, parse_timespan
from mockwcf.config import ScenarioError, load_text_all
from mockwcf.faults import Reply
from mockwcf.host import Host, HostError
from mockwcf.runtime import Request

PREFIX = "/_mockwcf/"
AUTH_PARAMS = ("token",)  # an admin token in the query is not a journal filter
log = logging.getLogger("mockwcf")


def _json(status: int, data: Any) -> Reply:
    body = json.dumps(data, indent=1).encode()
    return Reply(status, body, [("Content-Type", "application/json; charset=utf-8")])


def _error(status: int, message: str, **extra: Any) -> Reply:
    return _json(status, {"error": message, **extra})


def handle(runtime: Host, req: Request) -> Reply:
    """`runtime` is the whole host: reset, clock, journal and node restarts act on every endpoint."""
    what = req.path[len(PREFIX) :].strip("/")
    method = req.method
    if req.size > MAX_BODY:
        return _error(413, f"admin request bodies are limited to {MAX_BODY} bytes; this one has {req.size}")
    if what == "health" and method == "GET":
        return _json(
            200, {"status": "ok", "scenario": runtime.scenario.name, "endpoints": runtime.describe()}
        )
    if what == "exchanges" and method == "GET":
        try:
            filters = journal.parse_filters(_params(req.query), ignore=AUTH_PARAMS)
        except journal.FilterError as exc:
            return _error(400, "bad journal filter", problems=exc.problems)
        return _json(200, [e.summary() for e in runtime.journal.select(**filters)])
    if method == "GET" and (what == "" or what.startswith("page/")):
        return _page(runtime, what, _params(req.query))
    if what.startswith("exchanges/") and method == "GET":
        try:
            entry = runtime.journal.get(int(what.split("/", 1)[1]))
        except ValueError:
            entry = None
        if entry is None:
            return _error(404, f"no exchange {what.split('/', 1)[1]!r} in the journal")
        return _json(200, entry.full())
    if what == "reset" and method == "POST":
        runtime.reset()
        return _json(200, {"status": "reset"})
    if what == "clock":
        if method == "GET":
            return _json(200, runtime.clock.describe())
        if method == "POST":
            return _set_clock(runtime, req.body)
    if what == "scenario":
        if method == "GET":
            return _get_scenario(runtime, _params(req.query).get("endpoint"))
        if method == "PUT":
            return _put_scenario(runtime, req.body)
    if what == "sessions" and method == "GET":
        return _json(200, runtime.sessions())
    if what.startswith("nodes/") and what.endswith("/restart") and method == "POST":
        index = what[len("nodes/") : -len("/restart")]
        indexes = runtime.node_indexes()
        if not index.isdigit() or int(index) not in indexes:
            return _error(404, f"no node {index!r}; this server has node(s) {', '.join(map(str, indexes))}")
        runtime.restart(int(index))
        return _json(200, {"status": "restarted", "node": int(index)})
    known = (
        "GET / (journal page), GET health, GET exchanges?verdict=&operation=&code=&since=&node=&endpoint=, "
        "GET exchanges/{id}, POST reset, GET|POST clock, GET scenario?endpoint=, PUT scenario, GET sessions, "
        "POST nodes/{n}/restart"
    )
    return _error(
        404 if method in ("GET", "POST", "PUT") else 405,
        f"no admin endpoint {method} {req.path}; known: {known}",
    )


def _params(query: str) -> dict[str, str]:
    """Query parameters, the last value of each (a filter given twice means its last value)."""
    return dict(parse_qsl(query, keep_blank_values=True))


def _page(runtime: Host, what: str, params: dict[str, str]) -> Reply:
    """The journal page (`/_mockwcf/`), its new rows (`page/rows?after=N`) and one exchange opened
    (`page/exchange/{id}`), all HTML; filters as for `exchanges`."""
    try:
        filters = journal.parse_filters(
            {k: v for k, v in params.items() if k not in ("open", "after")}, ignore=AUTH_PARAMS
        )
    except journal.FilterError as exc:
        return _error(400, "bad journal filter", problems=exc.problems)
    if what == "":
        open_id = int(params["open"]) if params.get("open", "").isdigit() else None
        body, headers = page.page(runtime.journal.select(**filters), runtime.scenario.name, open_id)
        return Reply(200, body, headers)
    if what == "page/rows":
        raw = params.get("after", "0")
        if not raw.isdigit():
            return _error(
                400, "bad journal filter", problems=[f"after: {raw!r} is not an exchange id (a number)"]
            )
        after = int(raw)
        entries = runtime.journal.entries()
        shown = [e for e in entries if e.id > after and not e.mismatches(filters)]
        headers = page.headers("-") + [
            ("X-MockWcf-Oldest", str(entries[0].id if entries else 0)),
            ("X-MockWcf-Last", str(max([after] + [e.id for e in shown]))),
            ("X-MockWcf-Count", str(len(runtime.journal.select(**filters)) if filters else len(entries))),
        ]
        return Reply(200, page.rows(shown).encode(), headers)
    if what.startswith("page/exchange/") and what.rsplit("/", 1)[1].isdigit():
        entry = runtime.journal.get(int(what.rsplit("/", 1)[1]))
        if entry is not None:
            return Reply(200, page.detail_row(entry).encode(), page.headers("-"))
    return _error(404, f"nothing at {PREFIX}{what}; the journal page is {PREFIX}")


def _get_scenario(runtime: Host, path: str | None) -> Reply:
    """The YAML of the endpoint at `path` (default: the first endpoint)."""
    endpoint = runtime.primary if path is None else runtime.endpoint(path)
    if endpoint is None:
        return _error(404, f"no endpoint {path!r}; endpoints: {', '.join(runtime.paths())}")
    return Reply(200, endpoint.scenario.yaml_text.encode(), [("Content-Type", "application/yaml")])


def _put_scenario(runtime: Host, body: bytes) -> Reply:
    """Every bad scenario is a 400 naming file:line; the running one stays in place. It replaces the
    endpoint at its service.path, or the only endpoint of a one-endpoint server (Host.put)."""
    source = "<PUT /_mockwcf/scenario>"
    try:
        scenarios = load_text_all(body.decode("utf-8"), source, runtime.base_dir)
        replaced = runtime.put(scenarios)
    except HostError as exc:
        return _error(
            400, "invalid scenario", problems=[f"{source}:0: service.path: {p}" for p in exc.problems]
        )
    except ScenarioError as exc:
        return _error(400, "invalid scenario", problems=exc.lines())
    except UnicodeDecodeError as exc:
        return _error(400, "invalid scenario", problems=[f"{source}:0: (file): not UTF-8 ({exc.reason})"])
    except Exception as exc:  # noqa: BLE001 - whatever the load missed is still the scenario's fault
        log.warning("PUT scenario refused: %s: %s", type(exc).__name__, exc)
        return _error(400, "invalid scenario", problems=[f"{source}:0: (scenario): {exc}"])
    return _json(200, {"status": "ok", "scenario": scenarios[0].name, "replaced": replaced})


def _set_clock(runtime: Host, body: bytes) -> Reply:
    """Errors name the field (`problems`), like a scenario's `file:line: key` errors."""
    usage = 'send {"offset": "+00:07:00"} or {"frozenAt": "2026-01-01T00:00:00Z"}'
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        return _error(400, "invalid clock", problems=[f"body: not JSON ({exc}); {usage}"])
    if not isinstance(data, dict):
        return _error(400, "invalid clock", problems=[f"body: expected a JSON object; {usage}"])
    problems = [
        f"{k}: unknown field"
        + (f" (did you mean {close[0]!r}?)" if close else "")
        + "; fields: offset, frozenAt"
        for k in data
        if k not in ("offset", "frozenAt")
        for close in [difflib.get_close_matches(k, ["offset", "frozenAt"], n=1, cutoff=0.5)]
    ]
    clock = None
    try:
        if data.get("frozenAt") is not None:
            clock = Clock(frozen_at=parse_instant(str(data["frozenAt"])))
        elif "offset" in data:
            clock = Clock(offset=parse_timespan(str(data["offset"])))
        elif not problems:
            problems.append(f"body: names neither offset nor frozenAt; {usage}")
    except ValueError as exc:
        field = "frozenAt" if data.get("frozenAt") is not None else "offset"
        problems.append(f"{field}: {exc}")
    if problems or clock is None:
        return _error(400, "invalid clock", problems=problems)
    runtime.clock = clock
    return _json(200, runtime.clock.describe())
