"""`mockwcf journal URL [--id N] [--json] [--follow] [--verdict ...]`: a running server's journal.

`--follow` polls `exchanges?since=<last id>` twice a second (the admin API is plain request/answer,
so a poll keeps it that way), printing each new exchange as it arrives: a console line, or with
`--json` one JSON object per line for `jq` and log shippers. Ctrl-C ends it quietly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from mockwcf import console, journal

POLL_SECONDS = 0.5


class AdminError(Exception):
    """The server answered with an error, or could not be reached; the text says which and why."""


_AUTH: dict[str, str] = {}  # the admin token's header, when one is given (run)


def fetch(url: str) -> Any:
    try:
        request = urllib.request.Request(url, headers=_AUTH)
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - a user-given server URL
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise AdminError(f"{url} answered HTTP {exc.code}: {_server_message(exc)}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AdminError(f"cannot reach {url}: {reason}; is `mockwcf serve` running there?") from None
    except ValueError:
        raise AdminError(f"{url} did not answer JSON; is this a mockwcf server?") from None


def _server_message(exc: urllib.error.HTTPError) -> str:
    """The admin API's own words (`error` and `problems`), not just the status line."""
    try:
        data = json.loads(exc.read() or b"{}")
    except ValueError:
        return exc.reason or ""
    text = str(data.get("error") or exc.reason)
    problems = data.get("problems") or []
    return text + "".join(f"\n  {p}" for p in problems)


def run(args: argparse.Namespace) -> int:
    base = args.url.rstrip("/") + "/_mockwcf/"
    color = console.use_color(sys.stdout)
    token = getattr(args, "admin_token", None) or os.environ.get("MOCKWCF_ADMIN_TOKEN")
    _AUTH.update({"Authorization": f"Bearer {token}"} if token else {})
    try:
        if args.id is not None:
            item = fetch(f"{base}exchanges/{args.id}")
            print(json.dumps(item, indent=1) if args.json else console.full_entry(item))
            return 0
        filters = {k: getattr(args, k, None) for k in journal.FILTERS}
        filters = {k: v for k, v in filters.items() if v}
        items = fetch(f"{base}exchanges?{urllib.parse.urlencode(filters)}")
        if not args.follow:
            if args.json:
                print(json.dumps(items, indent=1))
            else:
                for item in items:
                    print(console.summary_line(item, color))
                print(f"{len(items)} exchange(s)")
            return 0
        return _follow(base, filters, items, args.json, color)
    except AdminError as exc:
        print(f"mockwcf journal: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0  # `mockwcf journal ... | head`: the reader has what it wanted


def _follow(
    base: str, filters: dict[str, str], items: list[dict[str, Any]], as_json: bool, color: bool
) -> int:
    # An id `since` would be overwritten as we go; an instant `since` stays and the id narrows it.
    last = max((i["id"] for i in items), default=0)
    if "since" in filters and filters["since"].isdigit():
        last = max(last, int(filters.pop("since")))
    try:
        while True:
            for item in items:
                line = (
                    json.dumps(item, separators=(",", ":")) if as_json else console.summary_line(item, color)
                )
                print(line, flush=True)
                last = max(last, item["id"])
            time.sleep(POLL_SECONDS)
            query = urllib.parse.urlencode({**filters, "since": str(last)} if last else filters)
            items = [i for i in fetch(f"{base}exchanges?{query}") if i["id"] > last]
    except KeyboardInterrupt:
        return 0
