"""Each farm node owns its state: a signature replayed on another node is not a replay there (seed 003's point),
and a restart forgets what the node had cached."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mockwcf.faults import Rejection
from mockwcf.runtime import Runtime
from mockwcf.scenario import load_builtin


def test_nodes_have_their_own_replay_caches_and_restart_forgets():
    scenario = load_builtin()
    scenario.farm_nodes = 2
    runtime = Runtime(scenario)
    one, two = runtime.node(1), runtime.node(2)
    assert (one.index, two.index) == (1, 2) and one.replay is not two.replay
    now = datetime.now(UTC)
    one.replay.add(b"sig", now)
    with pytest.raises(Rejection) as err:
        one.replay.check(b"sig", now)
    assert err.value.code == "InvalidOrReplayedNonce"
    two.replay.check(b"sig", now)  # the other node never saw it
    one.restart()
    one.replay.check(b"sig", now)  # a recycled node has forgotten it
    assert one.trust is runtime.trust  # trust is configuration: the same on every node


def test_reset_restarts_round_robin_at_node_one(mockwcf_server):
    """A switched scenario (or POST reset) starts like a freshly started farm: the first request goes to node 1."""
    import requests

    from tests import wss

    mockwcf_server.load({"name": "two", "binding": {"type": "basicHttpBinding"}, "farm": {"nodes": 2}})
    for _ in range(3):
        wss.post(mockwcf_server.url, wss.envelope(), action=wss.ACTION)
    assert [e.node for e in mockwcf_server.journal] == [1, 2, 1]
    requests.post(mockwcf_server.base_url + "/_mockwcf/reset", timeout=10)
    wss.post(mockwcf_server.url, wss.envelope(), action=wss.ACTION)
    assert [e.node for e in mockwcf_server.journal] == [1]
