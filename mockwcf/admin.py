"""The admin API under /_mockwcf/ (DESIGN.md section 5; a fixed contract users script against)."""

from __future__ import annotations

import json
from typing import Any

from mockwcf.clock import Clock, parse_instant, parse_timespan
from mockwcf.faults import Reply
from mockwcf.runtime import Request, Runtime
from mockwcf.scenario import ScenarioError, load_text

PREFIX = "/_mockwcf/"


def _json(status: int, data: Any) -> Reply:
    body = json.dumps(data, indent=1).encode()
    return Reply(status, body, [("Content-Type", "application/json; charset=utf-8")])


def _error(status: int, message: str, **extra: Any) -> Reply:
    return _json(status, {"error": message, **extra})


def handle(runtime: Runtime, req: Request) -> Reply:
    what = req.path[len(PREFIX) :].strip("/")
    method = req.method
    if what == "health" and method == "GET":
        return _json(200, {"status": "ok", "scenario": runtime.scenario.name})
    if what == "exchanges" and method == "GET":
        return _json(200, [e.summary() for e in runtime.journal.entries()])
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
            return Reply(200, runtime.scenario.yaml_text.encode(), [("Content-Type", "application/yaml")])
        if method == "PUT":
            try:
                scenario = load_text(
                    req.body.decode("utf-8"), "<PUT /_mockwcf/scenario>", runtime.scenario.base_dir
                )
            except ScenarioError as exc:
                return _error(400, "invalid scenario", problems=exc.lines())
            except UnicodeDecodeError:
                return _error(400, "the scenario must be UTF-8 YAML")
            runtime.switch(scenario)
            return _json(200, {"status": "ok", "scenario": scenario.name})
    known = "GET health, GET exchanges, GET exchanges/{id}, POST reset, GET|POST clock, GET|PUT scenario"
    return _error(
        404 if method in ("GET", "POST", "PUT") else 405,
        f"no admin endpoint {method} {req.path}; known: {known}",
    )


def _set_clock(runtime: Runtime, body: bytes) -> Reply:
    try:
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        if "frozenAt" in data and data["frozenAt"] is not None:
            runtime.clock = Clock(frozen_at=parse_instant(str(data["frozenAt"])))
        elif "offset" in data:
            runtime.clock = Clock(offset=parse_timespan(str(data["offset"])))
        else:
            raise ValueError('send {"offset": "+00:07:00"} or {"frozenAt": "2026-01-01T00:00:00Z"}')
    except ValueError as exc:
        return _error(400, str(exc))
    return _json(200, runtime.clock.describe())
