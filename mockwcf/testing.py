"""A mock server running in a background thread, for tests (the pytest plugin wraps it).

One Twisted reactor per process (Twisted allows no more), started once; scenarios are switched in
the running server, which takes milliseconds instead of a process start. Every change to the runtime
goes through the reactor thread, so a test never races a request being served.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockwcf import locate, nearmiss
from mockwcf.clock import Clock, format_wcf_time, parse_instant, parse_timespan
from mockwcf.journal import Entry, unknown_code
from mockwcf.runtime import Runtime
from mockwcf.scenario import Scenario, load, load_builtin, load_dict

_lock = threading.Lock()
_reactor_thread: threading.Thread | None = None


def _ensure_reactor() -> Any:
    global _reactor_thread
    from mockwcf import server

    with _lock:
        if _reactor_thread is None:
            started = threading.Event()
            server.reactor.callWhenRunning(started.set)
            _reactor_thread = threading.Thread(
                target=server.reactor.run,
                kwargs={"installSignalHandlers": False},
                name="mockwcf-reactor",
                daemon=True,
            )
            _reactor_thread.start()
            if not started.wait(10):
                raise RuntimeError("the Twisted reactor did not start within 10 s")
    return server.reactor


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from twisted.internet.threads import blockingCallFromThread

    return blockingCallFromThread(_ensure_reactor(), fn, *args, **kwargs)


class MockWcfAssertionError(AssertionError):
    pass


@dataclass
class MockServer:
    """A running mock: its URL, runtime and helpers to drive and inspect it from a test."""

    runtime: Runtime
    host: str
    port: int
    scheme: str
    _listening: Any = None
    admin_token: str | None = None  # sent on admin calls; required by the server off loopback

    @classmethod
    def start(
        cls,
        scenario: Scenario | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        admin_token: str | None = None,
    ) -> MockServer:
        from mockwcf import server
        from mockwcf.admin_guard import token_for

        scenario = scenario or load_builtin()
        runtime = Runtime(scenario)
        token, _ = token_for(host, admin_token)
        listening = _call(server.listen, runtime, host, port, admin_token=token)
        scheme = "https" if scenario.binding.https else "http"
        return cls(runtime, host, listening.getHost().port, scheme, listening, token)

    def stop(self) -> None:
        if self._listening is not None:
            _call(self._listening.stopListening)
            self._listening = None

    # -- URLs ----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.base_url + self.runtime.scenario.service.path

    @property
    def wsdl_url(self) -> str:
        return self.url + "?wsdl"

    # -- control -------------------------------------------------------------------------------

    def load(
        self, scenario: str | Path | dict[str, Any] | Scenario, base_dir: str | Path | None = None
    ) -> Scenario:
        """Switch the running server to another scenario and reset it.

        A str or Path is a scenario file (relative to `base_dir`, default the cwd) or a packaged name; a
        dict's relative paths resolve against `base_dir`, by default the server's base directory (the
        directory of the scenario it started with), as admin `PUT scenario` does."""
        if isinstance(scenario, dict):
            scenario = load_dict(scenario, Path(base_dir) if base_dir else self.runtime.base_dir)
        elif not isinstance(scenario, Scenario):
            scenario = load(locate.resolve(scenario, Path(base_dir) if base_dir else None))
        if scenario.binding.https != (self.scheme == "https"):
            raise ValueError(
                "this server was started for "
                + ("HTTPS" if self.scheme == "https" else "plain HTTP")
                + f" and scenario {scenario.name!r} needs the other; start a separate MockServer for it"
            )
        _call(self.runtime.switch, scenario)
        return scenario

    def reset(self) -> None:
        _call(self.runtime.reset)

    def set_clock(self, offset: str | None = None, frozen_at: str | None = None) -> None:
        """Shift the server clock (`offset="+00:07:00"`) or freeze it (`frozen_at="2026-01-01T00:00:00Z"`)."""
        clock = (
            Clock(frozen_at=parse_instant(frozen_at))
            if frozen_at
            else Clock(offset=parse_timespan(offset or "00:00:00"))
        )
        _call(setattr, self.runtime, "clock", clock)

    # -- inspection ----------------------------------------------------------------------------

    @property
    def journal(self) -> list[Entry]:
        """The exchanges since the last reset, oldest first: SOAP requests and refused HTTP requests.
        WSDL and help-page fetches are journaled too (verdict `served`) but left out here, so a
        client that fetches its WSDL does not shift the indexes a test counts on; `all_requests` has them."""
        return [e for e in self.runtime.journal.entries() if e.verdict != "served"]

    @property
    def all_requests(self) -> list[Entry]:
        return self.runtime.journal.entries()

    def last(self) -> Entry:
        entries = self.journal
        if not entries:
            raise MockWcfAssertionError("the mock has received no request yet")
        return entries[-1]

    def near_misses(self, n: int = 5) -> str:
        return "\n".join(f"  {nearmiss.describe(e)}" for e in self.journal[-n:]) or "  (no exchanges)"

    def raise_server_errors(self) -> None:
        """Re-raise, in the test, an unexpected error the server hit (the client only saw a generic fault)."""
        for e in self.journal:
            if e.error:
                raise MockWcfAssertionError(f"mockwcf hit an internal error on exchange #{e.id}: {e.error}")

    def assert_accepted(self) -> Entry:
        """The last exchange was accepted."""
        self.raise_server_errors()
        entry = self.last()
        if entry.verdict != "accepted":
            raise MockWcfAssertionError(
                f"expected the last exchange to be accepted, it was {nearmiss.describe(entry)}\n"
                f"recent exchanges:\n{self.near_misses()}"
            )
        return entry

    def assert_fault(self, code: str, nth: int | None = None) -> Entry:
        """Some exchange (or, with `nth`, exchange `journal[nth]`: 0 the first, -1 the last) was rejected
        with resource code `code`; returns it (the last such one without `nth`). A code the catalog does
        not know is refused at once: it could never match."""
        problem = unknown_code(code)
        if problem:
            raise ValueError(f"assert_fault: {problem}")
        self.raise_server_errors()
        entries = self.journal
        if nth is None:
            having = [e for e in entries if e.resource_code == code]
            if not having:
                raise MockWcfAssertionError(nearmiss.fault_missing(entries, code))
            return having[-1]
        try:
            entry: Entry | None = entries[nth]
        except IndexError:
            entry = None
        if entry is None or entry.resource_code != code:
            raise MockWcfAssertionError(nearmiss.fault_at(entries, code, nth, entry))
        return entry

    def assert_count(self, n: int, **filters: Any) -> list[Entry]:
        """Exactly `n` exchanges match every filter: verdict ("accepted", "rejected", "served"),
        operation, code (a resource code), node, since (an exchange id or an ISO instant)."""
        nearmiss.check_filters(filters)
        if isinstance(filters.get("since"), str):
            filters["since"] = format_wcf_time(parse_instant(filters["since"]))
        entries = self.all_requests if filters.get("verdict") == "served" else self.journal
        matched = [e for e in entries if not e.mismatches(filters)]
        if len(matched) != n:
            raise MockWcfAssertionError(nearmiss.count_mismatch(entries, n, filters, matched))
        return matched

    def assert_no_rejections(self) -> None:
        """No exchange since the last reset was rejected (a wrong path or method counts too)."""
        self.raise_server_errors()
        entries = self.journal
        rejected = [e for e in entries if e.verdict == "rejected"]
        if rejected:
            raise MockWcfAssertionError(nearmiss.rejections(rejected, len(entries)))

    def admin(self, method: str, what: str, body: bytes | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}
        req = urllib.request.Request(
            f"{self.base_url}/_mockwcf/{what}", data=body, method=method, headers=headers
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback
            return json.loads(resp.read())
