"""`make bench`, message security part: a symmetric UserName request (EncryptedKey, two DerivedKeyTokens, HMAC
signature, encrypted Body, UsernameToken and signature) with a signed and encrypted reply: served with wrk
at c=8 as the issue asks (`served`, p99 included), and in-process.

mockwcf's `Runtime.handle_soap` (scenarios/wshttp-message-username.yaml, replay detection on, so every message
is fresh) against a floor that does what issue 12 defines and no more: "one lxml parse + RSA-OAEP unwrap +
P_SHA1 + AES-CBC decrypt + exclusive c14n + HMAC verify + the same for the reply, written directly". So: one
lxml parse of the request, the RSA-OAEP unwrap, P_SHA1 of both keys, AES-256-CBC decryption of the three parts
(each then parsed, as exclusive c14n needs a tree), exclusive c14n + SHA-1 of the six signed parts and of
SignedInfo, the HMAC-SHA1 check; then the reply: two more P_SHA1 keys, the parts mockwcf signs (Action,
RelatesTo, Timestamp, Body) and SignedInfo written in their exclusive-c14n form and digested, the HMAC, and
AES-256-CBC encryption of the Body content and of the signature.

Why the floor reads as it does (changed for issue 12's speed item): it used mockwcf's own EncryptedData reader
and decryptor (encrypteddata.read / decrypt: KeyInfo parsing, suite and key-size checks), which is more than
"AES-CBC decrypt", so those are now a direct AES-CBC decrypt; and its reply digested only the payload and
HMAC'd a placeholder SignedInfo, which is less than "the same for the reply", so it now digests and signs the
reply's real signed parts and SignedInfo in exclusive-c14n form. It writes that form directly, as mockwcf's
reply does, rather than building a tree to canonicalize: the least work that yields those bytes.

Medians of alternating rounds in one process, then RSS over `--memory` exchanges. Merges {"symmetric": ...} into bench/results.json.
`python bench/symmetric.py [--smoke] [--memory-only]`.

Requests are built here with mockwcf's own primitives (speed matters for 100,000 of them); their correctness is
what tests/test_symmetric.py and the interop tier check against libxmlsec1, OpenSSL, Mono and WSS4J.
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import hmac
import json
import os
import resource
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from lxml import etree  # noqa: E402

from mockwcf import envelope, ns  # noqa: E402
from mockwcf.canonical import c14n  # noqa: E402
from mockwcf.runtime import Request, Runtime  # noqa: E402
from mockwcf.scenario import load, load_text  # noqa: E402
from mockwcf.security import derivedkeys, keywrap  # noqa: E402
from mockwcf.security import encrypteddata as xed  # noqa: E402
from mockwcf.security import x509 as x509mod  # noqa: E402

SCENARIO = REPO / "scenarios" / "wshttp-message-username.yaml"
ACTION = "http://tempuri.org/IEchoService/Echo"
LABEL = derivedkeys.DEFAULT_LABEL
OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
SERVICE_CERT = x509mod.load_pem_certificate(REPO / "certs" / "service.pem")
SERVICE_KEY = keywrap.private_key_from_pem((REPO / "certs" / "service.key").read_bytes())
HEADERS = {"content-type": f'application/soap+xml; charset=utf-8; action="{ACTION}"'}
PAYLOAD = "mockwcf benchmark " * 40


def message() -> bytes:
    """One request as a WCF client on wsHttpBinding Message UserName writes it (fresh ids, key and nonces)."""
    u = uuid.uuid4().hex
    now = datetime.now(UTC)
    created, expires = (t.strftime("%Y-%m-%dT%H:%M:%S.000Z") for t in (now, now + timedelta(minutes=5)))
    ek_key, n_sig, n_enc = os.urandom(32), os.urandom(16), os.urandom(16)
    k_sig = derivedkeys.p_sha1(ek_key, LABEL, n_sig, 24)
    k_enc = derivedkeys.p_sha1(ek_key, LABEL, n_enc, 32)
    wrapped = SERVICE_CERT.public_key().encrypt(ek_key, OAEP)
    s, a, u_, o = ns.SOAP12, ns.WSA10, ns.WSU, ns.WSSE
    doc = (
        f'<s:Envelope xmlns:s="{s}" xmlns:a="{a}" xmlns:u="{u_}"><s:Header>'
        f'<a:Action s:mustUnderstand="1" u:Id="A1">{ACTION}</a:Action>'
        f'<a:MessageID u:Id="A2">urn:uuid:{u}</a:MessageID>'
        f'<a:To s:mustUnderstand="1" u:Id="A3">http://127.0.0.1/EchoService.svc</a:To>'
        f'<o:Security s:mustUnderstand="1" xmlns:o="{o}">'
        f'<u:Timestamp u:Id="TS"><u:Created>{created}</u:Created><u:Expires>{expires}</u:Expires></u:Timestamp>'
        f"{keywrap.encrypted_key_xml('EK', wrapped, ns.RSA_OAEP, SERVICE_CERT)}"
        + "".join(
            f'<c:DerivedKeyToken xmlns:c="{ns.WSC}" u:Id="{i}"><o:SecurityTokenReference><o:Reference URI="#EK"/>'
            f"</o:SecurityTokenReference>{sizes}<c:Nonce>{base64.b64encode(n).decode()}</c:Nonce></c:DerivedKeyToken>"
            for i, n, sizes in (
                ("DS", n_sig, "<c:Offset>0</c:Offset><c:Length>24</c:Length>"),
                ("DE", n_enc, ""),
            )
        )
        + '<e:ReferenceList xmlns:e="http://www.w3.org/2001/04/xmlenc#"><e:DataReference URI="#EU"/>'
        '<e:DataReference URI="#EB"/><e:DataReference URI="#ES"/></e:ReferenceList>'
        f'<o:UsernameToken u:Id="UT"><o:Username>alice</o:Username><o:Password Type="{ns.PASSWORD_TEXT}">'
        "p@ssw0rd</o:Password></o:UsernameToken></o:Security></s:Header>"
        f'<s:Body u:Id="B"><Echo xmlns="http://tempuri.org/"><text>{PAYLOAD}</text></Echo></s:Body></s:Envelope>'
    )
    root = etree.fromstring(doc.encode())
    ids = {e.get(envelope.WSU_ID): e for e in root.iter() if e.get(envelope.WSU_ID)}
    refs = "".join(
        f'<Reference URI="#{i}"><Transforms><Transform Algorithm="{ns.EXC_C14N}"/></Transforms>'
        f'<DigestMethod Algorithm="{ns.SHA1}"/><DigestValue>'
        f"{base64.b64encode(hashlib.sha1(c14n(ids[i])).digest()).decode()}</DigestValue></Reference>"
        for i in ("TS", "UT", "A1", "A2", "A3", "B")
    )
    si = etree.fromstring(
        f'<SignedInfo xmlns="{ns.DS}"><CanonicalizationMethod Algorithm="{ns.EXC_C14N}"/>'
        f'<SignatureMethod Algorithm="{ns.HMAC_SHA1}"/>{refs}</SignedInfo>'.encode()
    )
    value = hmac.new(k_sig, c14n(si), hashlib.sha1).digest()
    sig = (
        f'<Signature xmlns="{ns.DS}">{etree.tostring(si).decode()}<SignatureValue>'
        f"{base64.b64encode(value).decode()}</SignatureValue><KeyInfo>"
        f'<o:SecurityTokenReference xmlns:o="{o}"><o:Reference URI="#DS"/></o:SecurityTokenReference>'
        "</KeyInfo></Signature>"
    )
    key_ref = f'<o:SecurityTokenReference xmlns:o="{o}"><o:Reference URI="#DE"/></o:SecurityTokenReference>'

    def encrypted(id: str, plain: bytes, content: bool) -> etree._Element:
        cipher = xed.encrypt(plain, k_enc, ns.AES256_CBC)
        return etree.fromstring(xed.encrypted_data_xml(id, ns.AES256_CBC, cipher, key_ref, content=content))

    sec = ids["TS"].getparent()
    ut = ids["UT"]
    sec.replace(ut, encrypted("EU", etree.tostring(ut), False))
    sec.append(encrypted("ES", sig.encode(), False))
    body = ids["B"]
    echo = body[0]
    body.remove(echo)
    body.append(encrypted("EB", etree.tostring(echo), True))
    return etree.tostring(root)


def floor(msg: bytes) -> bytes:
    """The least work of the exchange, as the issue defines it (see the module doc), the reply written directly."""
    root = etree.fromstring(msg, envelope._PARSER)
    header, body = root[0], root[1]
    sec = header[3]
    ek = sec[1]
    ek_key = SERVICE_KEY.decrypt(base64.b64decode(ek[2][0].text), OAEP)
    nonce = {d.get(envelope.WSU_ID): base64.b64decode(d[-1].text) for d in (sec[2], sec[3])}
    k_sig = derivedkeys.p_sha1(ek_key, LABEL, nonce["DS"], 24)
    k_enc = derivedkeys.p_sha1(ek_key, LABEL, nonce["DE"], 32)

    def open_(ed: etree._Element) -> etree._Element:
        data = base64.b64decode(ed[-1][0].text)  # CipherData/CipherValue: IV || AES-256-CBC
        dec = Cipher(algorithms.AES(k_enc), modes.CBC(data[:16])).decryptor()
        plain = dec.update(data[16:]) + dec.finalize()
        plain = plain[: -plain[-1]]
        return etree.fromstring(b'<w xmlns:s="' + ns.SOAP12.encode() + b'">' + plain + b"</w>")[0]

    ut = open_(sec[5])
    sig = open_(sec[6])
    payload = open_(body[0])
    body.replace(body[0], payload)
    sec.replace(sec[5], ut)
    targets = {e.get(envelope.WSU_ID): e for e in (*header, sec[0], ut, body) if e.get(envelope.WSU_ID)}
    si = sig[0]
    for ref in si.iter(f"{{{ns.DS}}}Reference"):
        hashlib.sha1(c14n(targets[ref.get("URI")[1:]])).digest()
    mac = hmac.new(k_sig, c14n(si), hashlib.sha1).digest()
    hmac.compare_digest(mac, base64.b64decode(sig[1].text))
    # the reply: two derived keys; Action, RelatesTo, Timestamp and Body written in their exclusive-c14n form
    # (the least way to have that form: no tree to canonicalize), digested; SignedInfo likewise, HMAC'd;
    # the Body content and the signature encrypted
    r_sig = derivedkeys.p_sha1(ek_key, LABEL, os.urandom(16), 24)
    r_enc = derivedkeys.p_sha1(ek_key, LABEL, os.urandom(16), 32)
    now = datetime.now(UTC)
    created, expires = (
        t.isoformat(timespec="milliseconds")[:23] + "Z" for t in (now, now + timedelta(minutes=5))
    )
    reply_payload = (
        b'<r:EchoResponse xmlns:r="http://tempuri.org/"><r:EchoResult>'
        + PAYLOAD.encode()
        + b"</r:EchoResult></r:EchoResponse>"
    )
    signed = (
        ("_2", f'<a:Action {_A_DECLS} u:Id="_2" s:mustUnderstand="1">{ACTION}Response</a:Action>'.encode()),
        ("_3", f'<a:RelatesTo {_R_DECLS} u:Id="_3">{header[1].text}</a:RelatesTo>'.encode()),
        (
            "_0",
            f'<u:Timestamp {_T_DECLS} u:Id="_0"><u:Created>{created}</u:Created><u:Expires>{expires}'
            "</u:Expires></u:Timestamp>".encode(),
        ),
        ("_1", _BODY_START + reply_payload + b"</s:Body>"),
    )
    refs = b"".join(
        b'<Reference URI="#'
        + i.encode()
        + b'">'
        + _REF_MIDDLE
        + base64.b64encode(hashlib.sha1(t).digest())
        + b"</DigestValue></Reference>"
        for i, t in signed
    )
    signed_info = _SI_START + refs + b"</SignedInfo>"
    value = hmac.new(r_sig, signed_info, hashlib.sha1).digest()
    signature = b'<Signature xmlns="' + ns.DS.encode() + b'">' + signed_info + b"<SignatureValue>"
    signature += base64.b64encode(value) + b"</SignatureValue></Signature>"
    cipher_body = xed.encrypt(reply_payload, r_enc, ns.AES256_CBC)
    cipher_sig = xed.encrypt(signature, r_enc, ns.AES256_CBC)
    return b"".join(
        (
            signed[0][1],
            signed[1][1],
            signed[2][1],
            base64.b64encode(cipher_sig),
            _BODY_START,
            base64.b64encode(cipher_body),
            b"</s:Body>",
        )
    )


_A_DECLS = f'xmlns:a="{ns.WSA10}" xmlns:s="{ns.SOAP12}" xmlns:u="{ns.WSU}"'
_R_DECLS = f'xmlns:a="{ns.WSA10}" xmlns:u="{ns.WSU}"'
_T_DECLS = f'xmlns:u="{ns.WSU}"'
_BODY_START = f'<s:Body xmlns:s="{ns.SOAP12}" xmlns:u="{ns.WSU}" u:Id="_1">'.encode()
_REF_MIDDLE = (
    f'<Transforms><Transform Algorithm="{ns.EXC_C14N}"></Transform></Transforms>'
    f'<DigestMethod Algorithm="{ns.SHA1}"></DigestMethod><DigestValue>'
).encode()
_SI_START = (
    f'<SignedInfo xmlns="{ns.DS}"><CanonicalizationMethod Algorithm="{ns.EXC_C14N}"></CanonicalizationMethod>'
    f'<SignatureMethod Algorithm="{ns.HMAC_SHA1}"></SignatureMethod>'
).encode()


def rss_mb() -> float:
    """The process's resident set now (VmRSS), not its peak: whether memory stays flat is the question."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


NO_REPLAYS = "\nlocalServiceSettings: {detectReplays: false}\n"


def memory(rt: Runtime, mock, count: int) -> dict:
    """Process peak RSS after a tenth of `count` exchanges and after all of them, beside the replay cache's
    size: every accepted signature stays in it for ReplayWindow + 2 x MaxClockSkew (15 minutes, up to
    replayCacheSize), as WCF keeps it, so RSS grows with it, by about 20 bytes an entry (security/replay.py);
    the journal is bounded in bytes."""
    out: dict = {}
    for i in range(count):
        mock(message(), rt)
        if i + 1 in (count // 10, count):
            out[f"rss_mb_after_{i + 1}"] = round(rss_mb(), 1)
            out[f"replay_cache_entries_after_{i + 1}"] = len(rt.active.nodes[0].replay)
    return out


def rss_part(mock, count: int) -> dict:
    """First with detectReplays false (what is left when the cache WCF requires is not filling), then as shipped;
    each on a fresh Runtime, the previous one (and its journal) collected first."""
    rt = Runtime(load_text(SCENARIO.read_text() + NO_REPLAYS, str(SCENARIO), SCENARIO.parent))
    gc.collect()
    no_replays = memory(rt, mock, count)
    del rt
    rt = Runtime(load(SCENARIO))
    gc.collect()
    return {**memory(rt, mock, count), "detect_replays_false": no_replays}


def served(rounds: int, duration: float, pool: int) -> dict:
    """The issue's "c=8": wrk with 8 connections against `mockwcf serve` (this scenario) and against the floor
    above behind a Twisted Site (floors.py lxml_symmetric), alternating rounds, as bench/run.py serves its cases.
    Each mockwcf round starts after an admin reset and sends messages no earlier round sent, so replay detection
    stays on and accepts every one. `ratio` is against the floor on Twisted's default Site (as
    performance-floors.md measured every HTTP floor, run.py's unsuffixed ratios), `ratio_tuned` against the
    floor on a Site tuned as mockwcf's HTTP path is."""
    import tempfile

    import run  # bench/run.py: servers, pinning and wrk

    tmp = Path(tempfile.mkdtemp(prefix="mockwcf-symmetric-bench-"))
    msgs = tmp / "symmetric.msgs"
    run.write_messages(msgs, [message() for _ in range(pool)])
    out = run.against_floor(
        SCENARIO.name,
        "lxml_symmetric",
        lambda mock: dict.fromkeys(("floor", "floor_tuned", "mockwcf"), msgs),
        rounds,
        duration,
        before=lambda name, server: run.reset(server.port) if name == "mockwcf" else None,
        pool=pool,
    )
    return {**out, "p99_target_ms": 10}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--count", type=int, default=300, help="exchanges per round and side")
    ap.add_argument("--memory", type=int, default=100_000, help="exchanges for the RSS figure")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument(
        "--memory-only",
        action="store_true",
        help="only the RSS part (replay detection off, then on), printed, bench/results.json left alone",
    )
    ap.add_argument("--output", default=str(HERE / "results.json"))
    ap.add_argument("--pool", type=int, default=8000, help="pre-built messages for each served round")
    args = ap.parse_args()
    duration, served_rounds = 3.0, 3
    if args.smoke:
        args.rounds, args.count, args.memory, args.pool = 1, 50, 500, 1500
        duration, served_rounds = 1.0, 1

    def mock(msg: bytes, runtime: Runtime) -> bytes:
        reply = runtime.handle_soap(
            Request("POST", "/EchoService.svc", "", HEADERS, msg, "http://127.0.0.1/")
        )
        if reply.status != 200:
            raise SystemExit(f"rejected: {runtime.journal.entries()[-1].reason}")
        return reply.body

    if args.memory_only:
        print(json.dumps(rss_part(mock, args.memory), indent=2))
        return 0
    over_http = served(served_rounds, duration, args.pool)
    rt = Runtime(load(SCENARIO))
    mock(message(), rt)
    floor(message())
    per_s: dict[str, list[float]] = {"floor": [], "mockwcf": []}
    for _ in range(args.rounds):
        for name, fn in (("floor", floor), ("mockwcf", lambda m: mock(m, rt))):
            msgs = [message() for _ in range(args.count)]
            t0 = time.perf_counter()
            for m in msgs:
                fn(m)
            per_s[name].append(args.count / (time.perf_counter() - t0))
    ratios = [m / f for m, f in zip(per_s["mockwcf"], per_s["floor"], strict=True)]
    rt = None  # the timed rounds' Runtime is collected before the RSS part
    rss = rss_part(mock, args.memory)
    out = {
        "served": over_http,
        "mockwcf_exchanges_per_s": round(statistics.median(per_s["mockwcf"]), 1),
        "floor_exchanges_per_s": round(statistics.median(per_s["floor"]), 1),
        "ratio": round(statistics.median(ratios), 3),
        "target": 0.7,
        **rss,
    }
    print(json.dumps(out, indent=2))
    results = Path(args.output)
    earlier = json.loads(results.read_text()) if results.is_file() else {}
    results.write_text(json.dumps({**earlier, "symmetric": out}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
