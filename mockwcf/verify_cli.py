"""`mockwcf verify SCENARIO REQUEST.xml`: one captured request through a scenario's pipeline, offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_verify(args: argparse.Namespace) -> int:
    from lxml import etree

    from mockwcf import cli
    from mockwcf.clock import Clock, parse_instant
    from mockwcf.faults import content_type
    from mockwcf.runtime import Request, Runtime

    frozen = None
    if args.at:
        try:
            frozen = parse_instant(args.at)
        except ValueError as exc:
            print(
                f"mockwcf verify: --at {args.at!r}: {exc}; write an instant such as 2026-01-01T00:00:00Z",
                file=sys.stderr,
            )
            return 2
    try:
        body = Path(args.request).read_bytes()
    except OSError as exc:
        print(
            f"mockwcf verify: cannot read the request file {args.request}: {exc.strerror or exc}; give "
            "the path of a file holding the captured SOAP envelope",
            file=sys.stderr,
        )
        return 2
    scenario = cli._load(args.scenario)
    if scenario is None:
        return 2
    runtime = Runtime(scenario)
    runtime.second_opinion = args.signxml
    if frozen is not None:
        runtime.clock = Clock(frozen_at=frozen)
    action = args.action
    if action is None and not scenario.addressing:
        try:
            root = etree.fromstring(body)
            name = next(iter(root.iter("{*}Body")))[0]
            local = etree.QName(name).localname
            action = next((op.action for op in scenario.service.operations if op.name == local), "")
        except (etree.XMLSyntaxError, StopIteration, IndexError):
            action = ""
    headers = {"content-type": content_type(scenario.soap12)}
    if scenario.soap12 and action:
        headers["content-type"] += f'; action="{action}"'
    if not scenario.soap12:
        headers["soapaction"] = f'"{action or ""}"'
    reply = runtime.handle_soap(Request("POST", scenario.service.path, "", headers, body, "http://offline"))
    entry = runtime.journal.entries()[-1]
    print(f"verdict: {entry.verdict}  (HTTP {reply.status})")
    if entry.resource_code:
        print(f"resource code: {entry.resource_code}")
        print(f"wire: {entry.wire_code}")
        print(f"why: {entry.reason}")
    for step in entry.steps:
        print(f"  [{step['outcome']:>7}] {step['step']}: {step['detail']}")
    return 0 if entry.verdict == "accepted" else 1
