"""`mockwcf serve --watch`: reload the scenario file when it changes; a bad edit keeps the running one.

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

from mockwcf.config import ScenarioError, load
from mockwcf.runtime import Runtime

INTERVAL = 0.5


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class Watcher:
    """Reloads `path` into `runtime` when it changes; says what happened through `say`."""

    def __init__(self, runtime: Runtime, path: Path, say: Callable[[str], None]) -> None:
        self.runtime, self.path, self.say = runtime, path, say
        self.seen = _stamp(path)
        self.loop = task.LoopingCall(self.check)

    def start(self, clock: Any = None) -> None:
        if clock is not None:
            self.loop.clock = clock
        self.loop.start(INTERVAL, now=False)

    def check(self) -> None:
        stamp = _stamp(self.path)
        if stamp == self.seen:
            return
        self.seen = stamp
        if stamp is None:
            self.say(f"mockwcf: {self.path} is gone; still serving {self.runtime.scenario.name!r}")
            return
        try:
            scenario = load(self.path)
        except ScenarioError as exc:
            for line in exc.lines():
                self.say(line)
            self.say(
                f"mockwcf: kept the running scenario {self.runtime.scenario.name!r}; fix the file and save"
            )
            return
        if scenario.binding.https != self.runtime.scenario.binding.https:
            self.say(
                f"mockwcf: {self.path} now needs {'HTTPS' if scenario.binding.https else 'plain HTTP'}, which "
                f"this listener cannot switch to; restart `mockwcf serve`. Still serving {self.runtime.scenario.name!r}"
            )
            return
        self.runtime.switch(scenario)
        self.say(f"mockwcf: reloaded {self.path} (scenario {scenario.name!r}; journal and clock reset)")
