"""One service node: the state a WCF server process keeps for itself.

Behind a load balancer each WCF server has its own replay cache, its own certificate caches and (with secure
conversation) its own session store and DPAPI-like cookie key; seed 003 is about exactly that. mockwcf gives each
farm node a `Node`, and the receive steps get the node that serves the request, never the whole Runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from mockwcf.binding.model import LocalServiceSecuritySettings
from mockwcf.security.conversation import NodeState
from mockwcf.security.replay import ReplayCache
from mockwcf.security.x509 import TrustSettings


@dataclass
class Node:
    """Per-node state. `restart` drops what an application-domain recycle drops."""

    index: int  # 1-based, as the journal and rules name it
    trust: TrustSettings  # the configured trust; certificate caches hang off the node
    settings: LocalServiceSecuritySettings
    replay: ReplayCache = field(init=False)
    conversation: NodeState | None = None  # sessions, cookie cache and cookie key (secure conversation)

    def __post_init__(self) -> None:
        self.replay = self._new_replay_cache()

    def _new_replay_cache(self) -> ReplayCache:
        # WCF keeps an entry ReplayWindow + 2 x MaxClockSkew (reference 2.4; replay.py)
        s = self.settings
        return ReplayCache(s.replay_window + 2 * s.max_clock_skew, s.replay_cache_size)

    def reset(self) -> None:
        """Admin reset: forget replayed signatures and secure conversation sessions (the node key stays)."""
        self.replay = self._new_replay_cache()
        if self.conversation is not None:
            self.conversation.store.clear()
            self.conversation.cookie_cache.clear()

    def restart(self, now: datetime | None = None) -> None:
        """An application-domain recycle: all in-memory state is gone, the per-node cookie key too."""
        self.replay = self._new_replay_cache()
        if self.conversation is not None:
            self.conversation.restart(now or datetime.now(UTC))
