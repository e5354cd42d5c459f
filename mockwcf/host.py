"""One service host with several endpoints, as a WCF ServiceHost has: each endpoint its own address (path),
binding and contract, the host one journal, one clock and one admin API.

Each endpoint is a `Runtime` (its scenario and the state derived from it, its nodes' replay caches and
sessions: WCF keeps those per channel listener, i.e. per endpoint). What the host shares is what one
process shares: the journal (ids count across endpoints; each entry names its endpoint), the clock, the
console listeners and the base directory of PUT scenarios. The first endpoint is the primary: the
host-wide settings (clock, journal size) are its scenario's, and a single-endpoint host behaves exactly as
a plain Runtime did.

Two endpoints may not share a path: WCF refuses a second binding on one listen URI
(System.ServiceModel.Description.DispatcherBuilder.InitializeServiceHost, SR
ABindingInstanceHasAlreadyBeenAssociatedTo1), and here the second would never be reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mockwcf.clock import Clock
from mockwcf.journal import Journal
from mockwcf.runtime import Runtime
from mockwcf.scenario import Scenario


class HostError(Exception):
    """Endpoints that cannot share one host; `problems` are lines that name the files."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _key(path: str) -> str:
    return path.rstrip("/") or "/"


def conflicts(scenarios: Sequence[Scenario], tls: bool = False) -> list[str]:
    """Why these scenarios cannot be endpoints of one listener (empty when they can). With `tls`
    (`serve --tls`) every endpoint is served over HTTPS, as one scenario is, so schemes may differ."""
    problems = []
    seen: dict[str, Scenario] = {}
    for s in scenarios:
        other = seen.get(_key(s.service.path))
        if other is not None:
            problems.append(
                f"{s.source}: service.path {s.service.path} is also the path of {other.source} (scenario "
                f"{other.name!r}); two endpoints cannot listen at one address: give each its own service.path"
            )
        else:
            seen[_key(s.service.path)] = s
    https = {s.binding.https for s in scenarios}
    if len(https) > 1 and not tls:
        split = {flag: [s.source for s in scenarios if s.binding.https == flag] for flag in https}
        problems.append(
            f"{', '.join(split[True])} need HTTPS and {', '.join(split[False])} plain HTTP; one mockwcf "
            "listener serves one scheme: run a second `mockwcf serve` for the other files (or serve all over "
            "HTTPS with --tls)"
        )
    return problems


class Host:
    """The endpoints of one listener. The admin API acts on the host as a whole (reset, clock, journal,
    node restarts); `put` and `reload` replace endpoints and then reset the whole host."""

    def __init__(self, runtimes: Sequence[Runtime], tls: bool = False) -> None:
        if not runtimes:
            raise ValueError("a host needs at least one endpoint")
        self.tls = tls
        problems = conflicts([rt.scenario for rt in runtimes], tls)
        if problems:
            raise HostError(problems)
        self.endpoints: list[Runtime] = list(runtimes)
        self._share()

    @classmethod
    def of(cls, scenarios: Sequence[Scenario], node_id: int | None = None, tls: bool = False) -> Host:
        problems = conflicts(scenarios, tls)
        if problems:
            raise HostError(problems)
        return cls([Runtime(s, node_id=node_id) for s in scenarios], tls)

    # -- what the whole host shares (the primary's) ----------------------------------------------

    @property
    def primary(self) -> Runtime:
        return self.endpoints[0]

    @property
    def scenario(self) -> Scenario:
        return self.primary.scenario

    @property
    def journal(self) -> Journal:
        return self.primary.journal

    @property
    def listeners(self) -> list:
        return self.primary.listeners

    @property
    def clock(self) -> Clock:
        return self.primary.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        for rt in self.endpoints:
            rt.clock = clock

    @property
    def base_dir(self) -> Path:
        return self.primary.base_dir

    @base_dir.setter
    def base_dir(self, value: Path) -> None:
        for rt in self.endpoints:
            rt.base_dir = value

    def _share(self) -> None:
        first = self.primary
        for rt in self.endpoints[1:]:
            rt.journal, rt.listeners, rt.clock = first.journal, first.listeners, first.clock
            rt.base_dir, rt.second_opinion = first.base_dir, first.second_opinion

    # -- routing --------------------------------------------------------------------------------

    def endpoint(self, path: str) -> Runtime | None:
        key = _key(path)
        return next((rt for rt in self.endpoints if _key(rt.scenario.service.path) == key), None)

    def paths(self) -> list[str]:
        return [rt.scenario.service.path for rt in self.endpoints]

    def describe(self) -> list[dict[str, Any]]:
        """For admin `health`, which answers without a token: no file names."""
        return [
            {
                "path": rt.scenario.service.path,
                "scenario": rt.scenario.name,
                "binding": rt.scenario.binding_type,
            }
            for rt in self.endpoints
        ]

    # -- admin ------------------------------------------------------------------------------------

    def reset(self) -> None:
        for rt in self.endpoints:
            rt.reset()

    def node_indexes(self) -> list[int]:
        return sorted({n.index for rt in self.endpoints for n in rt.active.nodes})

    def restart(self, index: int) -> None:
        """A node is a process: restarting it drops its state at every endpoint."""
        now = self.clock.now()
        for rt in self.endpoints:
            for node in rt.active.nodes:
                if node.index == index:
                    node.restart(now)

    def sessions(self) -> dict[str, list[dict[str, object]]]:
        out: dict[str, list[dict[str, object]]] = {str(i): [] for i in self.node_indexes()}
        for rt in self.endpoints:
            for node in rt.active.nodes:
                if node.conversation:
                    for sct in node.conversation.sessions():
                        out[str(node.index)].append({**sct.describe(), "endpoint": rt.scenario.service.path})
        return out

    # -- replacing endpoints ------------------------------------------------------------------------

    def put(self, scenarios: Sequence[Scenario]) -> list[str]:
        """Admin `PUT scenario`: a one-endpoint host takes the new scenario whatever its path; otherwise
        a scenario replaces the endpoint at its service.path, and a scenario of several endpoints replaces
        them all. Returns the paths replaced; HostError when a path matches no endpoint."""
        if len(self.endpoints) == 1 or len(scenarios) > 1:
            return self._install(list(range(len(self.endpoints))), scenarios)
        (scenario,) = scenarios
        target = self.endpoint(scenario.service.path)
        if target is None:
            raise HostError(
                [
                    f"service.path {scenario.service.path} is none of this server's endpoints "
                    f"({', '.join(self.paths())}); PUT replaces the endpoint at its service.path"
                ]
            )
        return self._install([self.endpoints.index(target)], scenarios)

    def reload(self, source: str, scenarios: Sequence[Scenario]) -> list[str]:
        """`--watch`: the endpoints that came from file `source` are replaced by what it says now."""
        mine = [i for i, rt in enumerate(self.endpoints) if rt.scenario.source == source]
        if not mine:  # a PUT replaced them since: the file's scenario takes its path's place again
            return self.put(scenarios)
        return self._install(mine, scenarios)

    def _install(self, slots: list[int], scenarios: Sequence[Scenario]) -> list[str]:
        """Put `scenarios` in place of the endpoints at `slots` (in order; extra ones are added at the
        end, missing ones removed); checked before anything changes, then the whole host is reset."""
        keep = [s for i, s in enumerate(rt.scenario for rt in self.endpoints) if i not in slots]
        problems = conflicts([*keep, *scenarios], self.tls)
        if problems:
            raise HostError(problems)
        journal, listeners, base_dir, second = (
            self.journal,
            self.listeners,
            self.base_dir,
            self.primary.second_opinion,
        )
        old = [self.endpoints[i] for i in slots]
        replaced = [rt.scenario.service.path for rt in old]
        for rt, scenario in zip(old, scenarios, strict=False):
            rt.switch(scenario)  # the same object: a MockServer's runtime stays valid
        node_id = self.primary.node_id
        added = [Runtime(s, node_id=node_id) for s in scenarios[len(old) :]]
        gone = {id(rt) for rt in old[len(scenarios) :]}
        self.endpoints = [rt for rt in self.endpoints if id(rt) not in gone] + added
        self.primary.journal, self.primary.listeners = journal, listeners  # the primary may be new
        self.primary.base_dir, self.primary.second_opinion = base_dir, second
        first = self.primary.scenario
        journal.configure(first.journal_size, first.journal_max_bytes, first.journal_include_secrets)
        self.primary.clock = Clock(offset=first.clock_offset, frozen_at=first.clock_frozen_at)
        self._share()
        self.reset()
        return replaced
