"""Cookie SCTs (requireCancellation=false): the context's state travels in dnse:Cookie.

WCF (RS SM/Security/Tokens/SecurityContextCookieSerializer.cs) writes version 1, Id, ContextId, Key,
KeyGeneration and the four instants as UTC ticks (plus identities and claim sets), then passes the
bytes through the service's SecurityStateEncoder. The default encoder is DPAPI with CurrentUser scope
(DataProtectionSecurityStateEncoder): a key of that machine and account, so another node cannot
decode the cookie. The cookie is opaque to clients; mockwcf keeps WCF's fields and checks but writes
them as JSON rather than .NET binary XML.

Encoders here:
- `node_key`: a random key made when the node starts, lost when it restarts (DPAPI's effect);
- `shared_key` / `shared_key_file`: a key every node shares (a custom SecurityStateEncoder);
- `CertificateEncoder`: the content key wrapped with the service certificate's RSA key (RSA-OAEP),
  Microsoft's sample for farms; every node holding the certificate's private key can decode.
All three seal with AES-256-GCM, so a tampered, truncated or foreign cookie fails to decode.

Reading follows CreateSecurityContextFromCookie: a decode failure, unparseable content or a field that
does not match the SCT around it is MessageSecurityException InvalidSecurityContextCookie ->
wsse:InvalidSecurity on the wire (reference 6.4); an unsupported version is NotSupportedException
(also InvalidSecurity once wrapped by the security channel).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mockwcf import codes
from mockwcf.faults import Rejection
from mockwcf.security.sctstore import SecurityContext

STEP = "cookie"
VERSION = 1
_AAD = b"mockwcf SecurityContextSecurityToken cookie v1"
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


class DecodeError(Exception):
    """SecurityStateEncoder.DecodeSecurityState failed (wrong key, tampered or truncated blob)."""


class StateEncoder(Protocol):
    def encode(self, data: bytes) -> bytes: ...

    def decode(self, blob: bytes) -> bytes: ...


def _seal(key: bytes, data: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, data, _AAD)


def _open(key: bytes, blob: bytes) -> bytes:
    if len(blob) < 12 + 16:
        raise DecodeError(f"the blob is {len(blob)} bytes, shorter than a nonce and a tag")
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], _AAD)
    except InvalidTag:
        raise DecodeError("authentication failed: another key protected it, or it was changed") from None


class KeyEncoder:
    """AES-256-GCM under one key; `failure` says whose key it is when a blob does not open."""

    def __init__(self, key: bytes, failure: str) -> None:
        self._key = key
        self.failure = failure

    def encode(self, data: bytes) -> bytes:
        return _seal(self._key, data)

    def decode(self, blob: bytes) -> bytes:
        try:
            return _open(self._key, blob)
        except DecodeError as exc:
            raise DecodeError(f"{self.failure} ({exc})") from None


def node_key(node: int) -> KeyEncoder:
    """DPAPI's behaviour: a key of this node instance only, made when the node starts."""
    return KeyEncoder(
        AESGCM.generate_key(bit_length=256),
        "The DataProtectionSecurityStateEncoder is unable to decode the byte array. Ensure that a "
        "'UserProfile' is loaded, if this is a 'web farm scenario' ensure all servers are running as "
        "the same user with the roaming profiles or provide a custom SecurityStateEncoder'. "
        f"[node {node}'s key]",
    )


def shared_key(key: bytes, where: str) -> KeyEncoder:
    """One key for every node (a custom SecurityStateEncoder)."""
    return KeyEncoder(key, f"the shared key ({where}) does not open it")


def shared_key_file(path: Path) -> KeyEncoder:
    """A key every node reads from the same file (any content; its SHA-256 is the AES key)."""
    return shared_key(hashlib.sha256(Path(path).read_bytes()).digest(), f"key file {path}")


class CertificateEncoder:
    """The content key wrapped with the certificate's public key; decoding needs its private key."""

    def __init__(self, cert: x509.Certificate, private_key: rsa.RSAPrivateKey) -> None:
        self.cert = cert
        self._private = private_key
        self._public = cert.public_key()

    def encode(self, data: bytes) -> bytes:
        key = AESGCM.generate_key(bit_length=256)
        wrapped = self._public.encrypt(key, _OAEP)  # type: ignore[union-attr]
        return len(wrapped).to_bytes(2, "big") + wrapped + _seal(key, data)

    def decode(self, blob: bytes) -> bytes:
        size = int.from_bytes(blob[:2], "big")
        if len(blob) < 2 + size:
            raise DecodeError("the blob is shorter than its wrapped key")
        try:
            key = self._private.decrypt(blob[2 : 2 + size], _OAEP)
        except ValueError:
            raise DecodeError(
                f"the content key was not wrapped for certificate '{self.cert.subject.rfc4514_string()}'"
            ) from None
        return _open(key, blob[2 + size :])


def _ticks(value: datetime) -> int:
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def _from_ticks(ticks: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ticks // 10)


def create(encoder: StateEncoder, sct: SecurityContext) -> bytes:
    """CreateCookieFromSecurityContext: serialize, then encode."""
    state = {
        "Version": VERSION,
        "Id": sct.token_id,
        "ContextId": sct.context_id,
        "Key": base64.b64encode(sct.key).decode(),
        "KeyGeneration": sct.generation,
        "EffectiveTime": _ticks(sct.valid_from),
        "ExpiryTime": _ticks(sct.valid_to),
        "KeyEffectiveTime": _ticks(sct.key_effective),
        "KeyExpiryTime": _ticks(sct.key_expires),
        "Identity": sct.identity,
    }
    return encoder.encode(json.dumps(state, separators=(",", ":")).encode())


def _invalid(reason: str, detail: str, code: str = codes.InvalidSecurityContextCookie) -> Rejection:
    return Rejection(
        code,
        "The SecurityContextSecurityToken has an invalid Cookie. The following error occurred when "
        f"processing the Cookie: '{reason}'. ({detail})",
        step=STEP,
    )


def read(
    encoder: StateEncoder, blob: bytes, context_id: str, generation: str | None, token_id: str | None
) -> SecurityContext:
    """CreateSecurityContextFromCookie and DeserializeContext, with WCF's checks in its order."""
    try:
        raw = encoder.decode(blob)
    except DecodeError as exc:
        raise _invalid(
            "Error decoding the Cookie element of SecurityContextSecurityToken.",
            str(exc),
            code=codes.SecurityStateEncoderDecodingFailure,
        ) from None
    try:
        state = json.loads(raw)
        version = state["Version"]
        cookie_context = state.get("ContextId")
        key = base64.b64decode(state.get("Key") or "")
        times = [
            _from_ticks(int(state[k]))
            for k in ("EffectiveTime", "ExpiryTime", "KeyEffectiveTime", "KeyExpiryTime")
        ]
    except (ValueError, KeyError, TypeError, OverflowError):
        raise _invalid(
            "Error parsing SecurityContextSecurityToken Cookie XML.", "the decoded state is malformed"
        ) from None
    if version != VERSION:
        raise Rejection(
            codes.InvalidSecurityContextCookie,
            f"The serialized token version {version} is unsupported.",
            step=STEP,
        )
    for name, ok in (("ContextId", cookie_context), ("Key", key), ("Id", state.get("Id") == token_id)):
        if not ok:
            raise _invalid(
                f"The SecurityContextSecurityToken's Cookie element either does not contain '{name}' or has a "
                "wrong value for it.",
                f"{name} check failed",
            )
    sct = SecurityContext(
        context_id=cookie_context,
        token_id=state["Id"],
        key=key,
        generation=state.get("KeyGeneration"),
        valid_from=times[0],
        valid_to=times[1],
        key_effective=times[2],
        key_expires=times[3],
        identity=str(state.get("Identity", "")),
        cookie=blob,
    )
    for name, mine, theirs in (
        ("ContextId", sct.context_id, context_id),
        ("KeyGeneration", sct.generation, generation),
    ):
        if mine != theirs:
            raise _invalid(
                f"The SecurityContextSecurityToken's Cookie element either does not contain '{name}' or has a "
                "wrong value for it.",
                f"the cookie says {mine!r}, the token {theirs!r}",
            )
    return sct
