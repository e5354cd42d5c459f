"""Bounded fuzzing (hypothesis) of the three places hostile bytes meet mockwcf: the HTTP front end, the one
envelope parse, and the receive pipeline, each starting from valid messages (signed ones from tests/wss.py)
and mutated byte-wise with tokens that matter to HTTP and XML.

`make test` runs a short run (MOCKWCF_FUZZ_EXAMPLES, default 60 per target); `make fuzz` a long one with
MOCKWCF_FUZZ_SAVE=1, which writes the smallest failing input of each target to tests/hostile/fuzz/ so that
every crash found becomes a corpus file; the files there are replayed by every run (test_corpus_replays).

The HTTP target drives the real protocol over Twisted's StringTransport with a task.Clock as reactor (no
sockets, so thousands of examples stay fast); everything behind it (Router, Runtime) is the real thing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet import task
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from mockwcf import envelope, http11
from mockwcf.faults import Rejection
from mockwcf.runtime import Request, Runtime
from mockwcf.scenario import load
from mockwcf.server import Router
from tests import wss
from tests.conftest import CERTS, SCENARIOS

EXAMPLES = int(os.environ.get("MOCKWCF_FUZZ_EXAMPLES", "60"))
SAVE = os.environ.get("MOCKWCF_FUZZ_SAVE") == "1"
CORPUS = Path(__file__).parent / "hostile" / "fuzz"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not SAVE,  # CI: the same examples every run; `make fuzz`: new ones
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TOKENS = [
    b"<",
    b">",
    b"&",
    b"&amp;",
    b'"',
    b"\x00",
    b"\r\n",
    b"\n",
    b"\r",
    b" ",
    b":",
    b"<!DOCTYPE x [<!ENTITY e 'x'>]>",
    b"<!--",
    b"-->",
    b"<?pi?>",
    b"<![CDATA[",
    b"]]>",
    b"</s:Body>",
    b"<s:Body>",
    b'wsu:Id="Body-1"',
    b"Content-Length: 5\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Host: x\r\n",
    b"Expect: 100-continue\r\n",
    b"0\r\n\r\n",
    b"\xb2",
    b"\xff\xfe",
]


def _signed() -> bytes:
    items = [wss.timestamp(ttl=24 * 3600), wss.bst(CERTS / "client.pem"), wss.username_token()]
    return wss.sign(
        wss.envelope(wss.security(*items)),
        CERTS / "client.key",
        CERTS / "client.pem",
        ["TS-1", "Body-1", "UT-1"],
    ).encode()


SIGNED = _signed()
PLAIN = wss.envelope(text="hello").encode()
RUNTIME = Runtime(load(SCENARIOS / "seed001-mutual-certificate.yaml"))  # reset before every example


def _http(body: bytes) -> bytes:
    return (
        b"POST /EchoService.svc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
        b'SOAPAction: "' + wss.ACTION.encode() + b'"\r\nContent-Length: %d\r\n\r\n' % len(body) + body
    )


@st.composite
def mutated(draw: st.DrawFn, bases: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=8)))
        if op == "insert":
            data[at:at] = piece
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "replace":
            data[at : at + len(piece)] = piece
        else:
            end = min(len(data), at + draw(st.integers(1, 256)))
            data[at:at] = data[at:end]
    return bytes(data)


_smallest: dict[str, bytes] = {}


def _keep(target: str, data: bytes) -> None:
    """Remember the smallest failing input of a target, written to the corpus at the end of the run."""
    if SAVE and (target not in _smallest or len(data) < len(_smallest[target])):
        _smallest[target] = data


@pytest.fixture(scope="module", autouse=True)
def _save_crashes():
    yield
    for target, data in _smallest.items():
        CORPUS.mkdir(exist_ok=True)
        (CORPUS / f"{target}-{hashlib.sha256(data).hexdigest()[:12]}.bin").write_bytes(data)


# -- the three targets ---------------------------------------------------------------------------------

_RESPONSE = re.compile(rb"HTTP/1\.1 (\d{3}) [^\r\n]*\r\n((?:[!-9;-~]+: [^\r\n]*\r\n)*)\r\n")


def http_target(data: bytes, cuts: list[int] | None = None) -> None:
    runtime = RUNTIME
    runtime.reset()
    clock = task.Clock()
    factory = http11.FastHTTPFactory(Router(runtime), clock)
    proto = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1))
    transport = StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 1))
    proto.makeConnection(transport)
    last = 0
    for cut in sorted(set(cuts or [])) + [len(data)]:
        proto.dataReceived(data[last:cut])
        last = cut
    factory.flush()
    clock.advance(1)
    factory.flush()
    out = transport.value()
    while out:  # every byte written is a well-formed response with an exact Content-Length
        if out.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
            out = out[25:]
            continue
        m = _RESPONSE.match(out)
        assert m, out[:200]
        assert int(m.group(1)) != 500 or b"InternalServiceFault" not in out, out[:400]
        length = int(re.search(rb"Content-Length: (\d+)", m.group(2)).group(1))
        body = out[m.end() : m.end() + length]
        assert len(body) == length and b"Traceback" not in body
        out = out[m.end() + length :]
    assert all(e.error is None for e in runtime.journal.entries())


def envelope_target(data: bytes) -> None:
    with contextlib.suppress(Rejection):
        envelope.parse(data)


def pipeline_target(data: bytes) -> None:
    runtime = RUNTIME
    runtime.reset()
    headers = {"content-type": "text/xml; charset=utf-8", "soapaction": f'"{wss.ACTION}"'}
    reply = runtime.handle_soap(Request("POST", "/EchoService.svc", "", headers, data, "http://127.0.0.1"))
    entry = runtime.journal.entries()[-1]
    assert entry.error is None, entry.error
    assert reply.status in (200, 400, 413, 415, 500)
    assert b"Traceback" not in reply.body


TARGETS = {"http": http_target, "envelope": envelope_target, "pipeline": pipeline_target}


def _run(target: str, data: bytes) -> None:
    try:
        TARGETS[target](data)
    except Exception:
        _keep(target, data)
        raise


@FUZZ
@given(
    mutated([_http(SIGNED), _http(PLAIN), _http(PLAIN) + _http(PLAIN)]),
    st.lists(st.integers(0, 6000), max_size=4),
)
def test_fuzz_http_front_end(data, cuts):
    try:
        http_target(data, cuts)
    except Exception:
        _keep("http", data)
        raise


@FUZZ
@given(mutated([SIGNED, PLAIN]))
def test_fuzz_envelope_parse(data):
    _run("envelope", data)


@FUZZ
@given(mutated([SIGNED]))
def test_fuzz_receive_pipeline(data):
    _run("pipeline", data)


def test_valid_messages_pass_each_target():
    """The starting points are valid: without mutation the signed request is accepted end to end."""
    http_target(_http(SIGNED))
    pipeline_target(SIGNED)
    assert envelope.parse(SIGNED).security is not None


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.bin")), ids=lambda p: p.name)
def test_corpus_replays(path):
    TARGETS[path.name.split("-", 1)[0]](path.read_bytes())
