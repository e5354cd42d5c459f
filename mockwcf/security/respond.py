"""Securing responses the way WCF's send side does (reference 4, 7.1-7.2).

TransportWithMessageCredential: a `wsse:Security` (mustUnderstand=1) holding only a Timestamp whose
Expires = Created + timestampValidityDuration. Message security (asymmetric, Sign): Timestamp,
SignatureConfirmation when WSS 1.1 requires it, and a signature by the service certificate over the
Timestamp, the Body and the addressing headers, with the scenario's reference style for the service
token. Faults never come here: they are sent unsecured (faults.py).
"""

from __future__ import annotations

import base64
import hashlib
from binascii import b2a_base64
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from mockwcf import ns
from mockwcf.binding import protection
from mockwcf.binding.model import (
    MessageProtectionOrder,
    ProtectionLevel,
    SecurityHeaderLayout,
    SymmetricSecurityBindingElement,
)
from mockwcf.canonical import c14n, c14n_text, canonical_start
from mockwcf.clock import format_wcf_time
from mockwcf.scenario import Scenario
from mockwcf.security import encryptbeforesign, keywrap, suites, symmetricreply, x509clause
from mockwcf.security import x509 as x509mod
from mockwcf.security.context import SignatureValues
from mockwcf.security.sendheader import SendSecurityHeader

_HASH = {ns.RSA_SHA1: hashes.SHA1, ns.RSA_SHA256: hashes.SHA256}
_DIGEST = {ns.SHA1: hashlib.sha1, ns.SHA256: hashlib.sha256}


# whole second since the epoch -> its yyyy-MM-ddTHH:mm:ss: a reply's Created and Expires fall in the same two
# seconds for a second's worth of replies
_SECONDS: dict[int, str] = {}


def _wcf_time(value: datetime) -> str:
    """format_wcf_time(value) (yyyy-MM-ddTHH:mm:ss.fffZ, milliseconds truncated), the date and time of day
    formatted once a second: about 1.3 µs a value against 2.4. A value not in UTC, or one whose float
    timestamp would round across a second (far dates), takes format_wcf_time itself."""
    if value.tzinfo is UTC:
        second = int(value.timestamp())
        if second % 60 == value.second:
            prefix = _SECONDS.get(second)
            if prefix is None:
                if len(_SECONDS) >= 64:
                    _SECONDS.clear()
                prefix = _SECONDS[second] = value.isoformat()[:19]
            return f"{prefix}.{value.microsecond // 1000:03d}Z"
    return format_wcf_time(value)


class ResponseSecurity:
    """Per-scenario state for securing responses (keys loaded once, KeyInfo pre-rendered)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.key = None
        self.cert = None
        self.keyinfo = ""
        self.keyinfo_standalone = ""
        self.bst = ""
        if (
            scenario.binding.protects_message
            and scenario.binding.reply.sign_responses
            and scenario.service_key
        ):
            self.cert = x509mod.load_pem_certificate(scenario.service_certificate)
            self.key = serialization.load_pem_private_key(scenario.service_key.read_bytes(), password=None)
            self.keyinfo, self.bst = self._keyinfo()
            # An encrypted signature is a document of its own: WCF writes it with a fresh writer
            # (WSSecurityOneDotZeroSendSecurityHeader.CaptureSecurityElement), so its STR declares its prefix and
            # a client that parses the decrypted element alone (Mono) can read it.
            self.keyinfo_standalone = self.keyinfo.replace(
                "<o:SecurityTokenReference>", f'<o:SecurityTokenReference xmlns:o="{ns.WSSE}">', 1
            )
        self.tags = self._start_tags()
        # what envelope() reads on every reply, looked up once (the scenario does not change under us)
        binding = scenario.binding
        self._addressing = scenario.addressing
        self._message_security = binding.message_security
        self._validity = scenario.settings.timestamp_validity_duration if binding.message_security else None
        self._timestamp_last = binding.security is not None and (
            binding.security.security_header_layout is SecurityHeaderLayout.LaxTimestampLast
        )
        self._confirm = binding.require_signature_confirmation if binding.message_security else False
        self._actions: dict[str, str] = {}  # wsa:Action element per action (reply actions: a handful)
        self._signature_parts: tuple | None = None  # _signature's fixed text, made at its first use

    def _start_tags(self) -> dict[str, str]:
        """The start tags of the reply's parts, fixed per scenario. Signed parts are written in their
        exclusive-c14n form (they declare the prefixes they use), so the text sent is the digest input."""
        sc = self.scenario
        env_ns = ns.SOAP12 if sc.soap12 else ns.SOAP11
        s, u, a = ("s", env_ns), ("u", ns.WSU), ("a", ns.WSA10)
        must = (env_ns, "s:mustUnderstand", "1")
        signing = self.key is not None
        xmlns = f'xmlns:s="{env_ns}"'
        if sc.addressing:
            xmlns += f' xmlns:a="{ns.WSA10}"'
        if sc.binding.message_security:
            xmlns += f' xmlns:u="{ns.WSU}"'
        return {
            "envelope": f"<s:Envelope {xmlns}>",
            "action": canonical_start("a:Action", [a, s, u], [must, (ns.WSU, "u:Id", "_2")])
            if signing
            else '<a:Action s:mustUnderstand="1">',
            "relates": canonical_start("a:RelatesTo", [a, u], [(ns.WSU, "u:Id", "_3")])
            if signing
            else "<a:RelatesTo>",
            # unsigned (TransportWithMessageCredential): WCF's own shape, the prefix declared on the Envelope
            "timestamp": canonical_start("u:Timestamp", [u], [(ns.WSU, "u:Id", "_0")])
            if signing
            else '<u:Timestamp u:Id="_0">',
            "security": f'<o:Security s:mustUnderstand="1" xmlns:o="{ns.WSSE}">',
            "body": canonical_start("s:Body", [s, u], [(ns.WSU, "u:Id", "_1")]) if signing else "<s:Body>",
        }

    def _keyinfo(self) -> tuple[str, str]:
        """The signature's KeyInfo for the service certificate as the recipient token parameters name it
        (x509clause.service_clause; binding/replyreference.py), and the BST when the token travels in the reply."""
        cert = self.cert
        assert cert is not None
        kind = x509clause.service_clause(self.scenario.binding, cert)
        bst = ""
        if kind == "raw":
            return f"<KeyInfo>{keywrap.x509_raw_data(cert, declare_ds=False)}</KeyInfo>", bst
        if kind is not None:
            inner = keywrap.x509_inner(cert, kind, declare_ds=False)
        else:
            der = cert.public_bytes(serialization.Encoding.DER)
            bst = (
                f'<o:BinarySecurityToken u:Id="uuid-service-token" ValueType="{ns.X509V3}" '
                f'EncodingType="{ns.BASE64_ENCODING}">{base64.b64encode(der).decode()}</o:BinarySecurityToken>'
            )
            inner = f'<o:Reference URI="#uuid-service-token" ValueType="{ns.X509V3}"/>'
        return f"<KeyInfo><o:SecurityTokenReference>{inner}</o:SecurityTokenReference></KeyInfo>", bst

    def canonical_payload(self, payload: bytes) -> bytes:
        """A payload not written in exclusive-c14n form (the RSTR of a Message-security bootstrap): its form
        inside this reply's Body, so the Body's digest covers the text that is sent."""
        start = self.tags["body"]
        body = etree.fromstring(f"{start}{payload.decode()}</s:Body>".encode())
        text = c14n(body)
        return text[text.index(b">") + 1 : -len(b"</s:Body>")]

    def envelope(
        self,
        payload: bytes,
        *,
        action: str,
        relates_to: str | None,
        now: datetime,
        signature_values: list[bytes],
        request_key: symmetricreply.ReplyKey | None = None,
        reply_cert: x509.Certificate | None = None,
        confirm: bool | None = None,
        level: ProtectionLevel | None = None,
        signed_payload: bytes | None = None,
    ) -> bytes:
        """The reply around `payload`, which the contract writes in exclusive-c14n form. The parts a
        signature covers are written canonical too, so the response is never parsed back. `confirm`
        overrides the binding's RequireSignatureConfirmation (the RSTR follows the bootstrap binding's), `level` the
        reply action's ProtectionLevel (the issuer always encrypts the RSTR: sessionstep.issuer_protection).
        `signed_payload` is the payload's canonical form when its wire form must differ: a fault's QName in text
        content keeps the xmlns that exclusive c14n drops (security/sessionfault.py)."""
        sc = self.scenario
        tags = self.tags
        signed: list[tuple[str, str]] = []  # (wsu:Id, canonical text) in document order = WCF's order
        headers = ""
        if self._addressing:
            act = self._actions.get(action)
            if act is None:
                act = f"{tags['action']}{c14n_text(action)}</a:Action>"
                if len(self._actions) < 64:
                    self._actions[action] = act
            signed.append(("_2", act))
            headers += act
            if relates_to:
                rel = f"{tags['relates']}{c14n_text(relates_to)}</a:RelatesTo>"
                signed.append(("_3", rel))
                headers += rel
        header = None
        if self._message_security:
            ts = (
                f"{tags['timestamp']}<u:Created>{_wcf_time(now)}</u:Created>"
                f"<u:Expires>{_wcf_time(now + self._validity)}</u:Expires></u:Timestamp>"
            )
            if self.key is None:  # a Timestamp alone (TransportWithMessageCredential): nothing is signed
                headers += f"{tags['security']}{ts}</o:Security>"
                return f"{tags['envelope']}<s:Header>{headers}</s:Header>{tags['body']}{payload.decode()}</s:Body></s:Envelope>".encode()
            signed.append(("_0", ts))
            header = SendSecurityHeader(
                timestamp=ts, timestamp_last=self._timestamp_last, signing_token=self.bst
            )
            if confirm is None:
                confirm = self._confirm
            if self.key is not None and confirm:
                for i, value in enumerate(signature_values or [b""]):
                    attrs = [(ns.WSU, "u:Id", f"_sc{i}")]
                    if value:
                        attrs.append(("", "Value", base64.b64encode(value).decode()))
                    conf = (
                        canonical_start("k:SignatureConfirmation", [("k", ns.WSSE11), ("u", ns.WSU)], attrs)
                        + "</k:SignatureConfirmation>"
                    )
                    signed.append((f"_sc{i}", conf))
                    header.signature_confirmations.append(conf)
        body = f"{tags['body']}{payload.decode()}</s:Body>"
        if level is None:  # the reply action's Outgoing parts (binding/protection.py)
            level = sc.binding.reply_protection(action)
        if level is not ProtectionLevel.None_:
            signed.append(
                (
                    "_1",
                    body if signed_payload is None else f"{tags['body']}{signed_payload.decode()}</s:Body>",
                )
            )
        if header is not None:
            sbe = sc.binding.security
            # SignatureConfirmations.IsMarkedForEncryption: a request signature arrived encrypted
            encrypted_request = isinstance(signature_values, SignatureValues) and signature_values.encrypted
            marked = header.signature_confirmations if encrypted_request else []
            order = getattr(sbe, "message_protection_order", None)  # none over transport
            ebs = order is MessageProtectionOrder.EncryptBeforeSign
            header.sign_then_encrypt = not ebs
            if (
                isinstance(sbe, SymmetricSecurityBindingElement)
                and request_key is not None
                and self.key is not None
            ):
                # the request's key secures the reply (symmetricreply.py)
                reply = symmetricreply.secure(
                    request_key,
                    suites.get(sbe.default_algorithm_suite),
                    sc_ns=ns.WSC13 if sbe.message_security_version.trust13 else ns.WSC,
                    derive=sbe.protection_token.require_derived_keys,
                    encrypt=level is ProtectionLevel.EncryptAndSign,
                    encrypt_signature=sbe.message_protection_order
                    is MessageProtectionOrder.SignBeforeEncryptAndEncryptSignature,
                    signed=signed,
                    body_start=tags["body"],
                    payload=payload.decode(),
                    confirmations=marked,
                    encrypt_before_sign=ebs,
                )
                if marked:
                    header.signature_confirmations = reply.signature_confirmations
                header.derived_signing_key = reply.derived_signing_key
                header.derived_encryption_key = reply.derived_encryption_key
                header.reference_list = reply.reference_list
                header.primary_signature = reply.primary_signature
                body = reply.body
            elif (
                self.key is not None
                and ebs
                and reply_cert is not None
                and level is ProtectionLevel.EncryptAndSign
            ):
                header.wrapped_encryption_key, header.reference_list, body = (
                    encryptbeforesign.encrypt_body_for_client(
                        reply_cert,
                        suites.get(sbe.default_algorithm_suite),
                        reference=x509clause.client_clause(sc.binding, reply_cert),
                        wss11=sbe.wss11,
                        bsp=sbe.message_security_version.basic_security_profile,
                        body_start=tags["body"],
                        payload=payload.decode(),
                    )
                )
                header.primary_signature = self._signature([*signed[:-1], ("_1", body)])
            elif self.key is not None:
                encrypt_body = reply_cert is not None and level is ProtectionLevel.EncryptAndSign
                # a Sign-level reply still encrypts marked confirmations, and so its signature, when the
                # endpoint ApplyConfidentiality (protection.applies_confidentiality; symmetricreply.secure)
                encrypt = encrypt_body or (
                    bool(marked)
                    and not ebs
                    and reply_cert is not None
                    and protection.applies_confidentiality(sc.binding)
                )
                encrypt_signature = (
                    encrypt
                    and sbe.message_protection_order
                    is MessageProtectionOrder.SignBeforeEncryptAndEncryptSignature
                )
                header.primary_signature = self._signature(signed, standalone=encrypt_signature)
                if encrypt:
                    ek, header.primary_signature, body, confirmations = symmetricreply.encrypt_for_client(
                        reply_cert,
                        suites.get(sbe.default_algorithm_suite),
                        reference=x509clause.client_clause(sc.binding, reply_cert),
                        encrypt_signature=encrypt_signature,
                        signature=header.primary_signature,
                        body_start=tags["body"],
                        payload=payload.decode(),
                        confirmations=marked,
                        encrypt_body=encrypt_body,
                    )
                    header.wrapped_encryption_key = ek
                    if marked:
                        header.signature_confirmations = confirmations
            headers += f"{tags['security']}{header.contents()}</o:Security>"
        head = f"<s:Header>{headers}</s:Header>" if headers else ""
        return f"{tags['envelope']}{head}{body}</s:Envelope>".encode()

    def _signature(self, targets: list[tuple[str, str]], standalone: bool = False) -> str:
        """The primary ds:Signature over `targets` (wsu:Id, canonical text); SignedInfo is written in
        exclusive-c14n form too, so it is signed as written. `standalone`: it will be encrypted, so it declares
        every prefix it uses."""
        parts = self._signature_parts
        if parts is None:  # the suite's fixed text, written once per scenario
            suite = suites.get(
                self.scenario.binding.security.default_algorithm_suite
            )  # SecurityAlgorithmSuite
            sig_alg, digest_alg = suite.asymmetric_signature, suite.digest
            parts = self._signature_parts = (
                _DIGEST[digest_alg],
                f'"><Transforms><Transform Algorithm="{ns.EXC_C14N}"></Transform></Transforms>'
                f'<DigestMethod Algorithm="{digest_alg}"></DigestMethod><DigestValue>',
                f'<SignedInfo xmlns="{ns.DS}"><CanonicalizationMethod Algorithm="{ns.EXC_C14N}">'
                f'</CanonicalizationMethod><SignatureMethod Algorithm="{sig_alg}"></SignatureMethod>',
                _HASH[sig_alg],
            )
        digest, reference_middle, signed_info_start, hash_class = parts
        refs = "".join(
            f'<Reference URI="#{ident}{reference_middle}'
            f"{b2a_base64(digest(canonical.encode()).digest(), newline=False).decode()}</DigestValue></Reference>"
            for ident, canonical in targets
        )
        signed_info = f"{signed_info_start}{refs}</SignedInfo>"
        value = self.key.sign(signed_info.encode(), padding.PKCS1v15(), hash_class())  # type: ignore[union-attr]
        return (
            f'<Signature xmlns="{ns.DS}">{signed_info}<SignatureValue>{b2a_base64(value, newline=False).decode()}'
            f"</SignatureValue>{self.keyinfo_standalone if standalone else self.keyinfo}</Signature>"
        )
