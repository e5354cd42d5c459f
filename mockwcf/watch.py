"""`mockwcf serve --watch`: reload each scenario file when it changes; a bad edit keeps the running one.

Polls the file's (mtime, size, inode) twice a second from the reactor, so a reload happens between
requests, never during one. Polling a single file costs one stat() per half second and works the same on
every platform, in containers and on network mounts, where inotify-style libraries need fallbacks anyway;
so no file-watching dependency is added. Editors that save by renaming a new file into place are seen too
(the inode changes).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.internet import task

from mockwcf.config import ScenarioError, load_all
from mockwcf.host import Host, HostError
from mockwcf.runtime import Runtime

INTERVAL = 0.5


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class Watcher:
    """Reloads each of `paths` into `host` when it changes; says what happened through `say`.

    Every file is watched: an edit replaces the endpoints that file made (Host.reload), and a bad edit,
    or one whose service.path collides with another file's, keeps what is running."""

    def __init__(self, host: Host | Runtime, paths: Path | list[Path], say: Callable[[str], None]) -> None:
        self.host = host if isinstance(host, Host) else Host([host])
        self.paths = [paths] if isinstance(paths, Path) else list(paths)
        self.say = say
        # the source each file's endpoints were loaded under, so a reload finds them again
        self.sources = {p: _source_of(self.host, p) for p in self.paths}
        self.seen = {p: _stamp(p) for p in self.paths}
        self.loop = task.LoopingCall(self.check)

    def start(self, clock: Any = None) -> None:
        if clock is not None:
            self.loop.clock = clock
        self.loop.start(INTERVAL, now=False)

    def check(self) -> None:
        for path in self.paths:
            stamp = _stamp(path)
            if stamp != self.seen[path]:
                self.seen[path] = stamp
                self._reload(path, stamp is not None)

    def _reload(self, path: Path, exists: bool) -> None:
        running = self._running(path)
        if not exists:
            self.say(f"mockwcf: {path} is gone; still serving {running}")
            return
        try:
            endpoints = load_all(path)
        except ScenarioError as exc:
            for line in exc.lines():
                self.say(line)
            self.say(f"mockwcf: kept the running scenario {running}; fix the file and save")
            return
        listener = self.host.scenario.binding.https
        wrong = [s for s in endpoints if s.binding.https != listener and not self.host.tls]
        if wrong:
            self.say(
                f"mockwcf: {path} now needs {'HTTPS' if wrong[0].binding.https else 'plain HTTP'}, which "
                f"this listener cannot switch to; restart `mockwcf serve`. Still serving {running}"
            )
            return
        for scenario in endpoints:
            scenario.source = self.sources[path]
        try:
            self.host.reload(self.sources[path], endpoints)
        except HostError as exc:
            for line in exc.problems:
                self.say(f"mockwcf: {line}")
            self.say(f"mockwcf: kept the running scenario {running}; fix the file and save")
            return
        names = ", ".join(dict.fromkeys(repr(s.name) for s in endpoints))
        self.say(f"mockwcf: reloaded {path} (scenario {names}; journal and clock reset)")

    def _running(self, path: Path) -> str:
        names = [rt.scenario.name for rt in self.host.endpoints if rt.scenario.source == self.sources[path]]
        return ", ".join(repr(n) for n in names) or repr(self.host.scenario.name)


def _source_of(host: Host, path: Path) -> str:
    """The `source` string the endpoints of file `path` carry (the CLI may have spelled it differently)."""
    for rt in host.endpoints:
        if Path(rt.scenario.source).resolve() == path.resolve():
            return rt.scenario.source
    return str(path)
