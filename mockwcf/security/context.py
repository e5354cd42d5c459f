"""What the receive steps share: the parsed request, the tokens read so far and the step journal.

WCF keeps two header-local token resolvers (reference 1.4): the *universal* one holds every token read
from the header, the *primary* one only tokens authenticated by the binding's primary authenticator.
The primary signature may only be resolved against the primary list; this is why seed 001's
IssuerSerial KeyInfo fails when no BinarySecurityToken was sent.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from cryptography import x509
from lxml import etree

from mockwcf.envelope import Envelope
from mockwcf.security import x509 as x509mod
from mockwcf.xsdtime import Instant

if TYPE_CHECKING:
    from mockwcf.binding.model import Binding
    from mockwcf.node import Node
    from mockwcf.scenario import Scenario


class SignatureValues(list[bytes]):
    """ReceiveSecurityHeader's receivedSignatureValues (System.ServiceModel/System/ServiceModel/Security/
    SignatureConfirmations.cs): the request's SignatureValues, confirmed in the reply, and whether any came from
    a decrypted source (AddIncomingSignatureValue's isFromDecryptedSource ORed into IsMarkedForEncryption):
    then the reply's SignatureConfirmation elements are encrypted too (SendSecurityHeader.StartSignature)."""

    encrypted: bool = False


@dataclass(eq=False)
class Token:
    """A token read from the security header (identity matters, hence eq=False)."""

    kind: str  # "X509" | "UserName"
    element: etree._Element
    id: str | None
    role: str  # "primary" | "supporting"
    cert: x509.Certificate | None = None
    username: str | None = None
    signed: bool = False  # covered by the primary signature
    endorsing: bool = False  # signed something with its key

    def label(self) -> str:
        what = f"X509 '{x509mod.subject(self.cert)}'" if self.cert else f"UserName '{self.username}'"
        return f"{what} (id {self.id or '-'})"


@dataclass
class TimestampInfo:
    element: etree._Element
    id: str | None
    created: Instant  # .NET ticks, UTC (mockwcf/xsdtime.py)
    expires: Instant | None


@dataclass
class ReceiveContext:
    """What a step gets: the message (env), the binding model, the node that serves it and the clock's now.

    `scenario` carries the service credentials (users, trust paths, deviations) the binding does not."""

    scenario: Scenario
    binding: Binding
    node: Node
    env: Envelope
    now: datetime
    second_opinion: bool = False  # `mockwcf verify --signxml`: signxml re-checks accepted signatures too
    action: str = ""  # the request's action: which operation's protection requirements apply (protection.py)
    # the contract's request actions (ChannelProtectionRequirements' keys); None where the channel's own protocol
    # answers (a secure conversation bootstrap) and no application action is looked up (actionparts.py)
    contract_actions: Collection[str] | None = None
    # {"step", "outcome" (ok | failed | skipped), "detail"}: already the journal's form, so the entry takes
    # this list as it is when the request is answered
    steps: list[dict[str, str]] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    timestamp: TimestampInfo | None = None
    primary_signature: Any = None  # signature.ParsedSignature once verified
    primary_signature_value: bytes | None = None
    signature_values: SignatureValues = field(default_factory=SignatureValues)  # for SignatureConfirmation
    # header children read so far (Strict: what a signature may refer to). lxml elements hash by identity,
    # and holding them keeps their proxies alive, so membership is reliable.
    read_header_elements: set[etree._Element] = field(default_factory=set)
    verified_ids: set[str] = field(default_factory=set)  # ids whose digest the primary signature proved
    pending_references: list[Any] = field(default_factory=list)  # references to Body/headers, checked later
    # encryption.SymmetricState when the binding encrypts or is symmetric: keys read, what was decrypted
    crypto: Any = None
    order: Any = None  # protectionorder.OrderState: the protection-order tracker, EncryptBeforeSign's forms
    sct_refs: Any = (
        None  # conversation.demux's answer: the header's SCTs with their ids, read once per message
    )

    @cached_property
    def now_ticks(self) -> int:
        """`now` in .NET ticks: the Timestamp's freshness is checked twice a request when replays are detected."""
        return Instant.of(self.now).ticks

    def record(self, step: str, outcome: str, detail: str = "") -> None:
        self.steps.append({"step": step, "outcome": outcome, "detail": detail})

    @property
    def primary_tokens(self) -> list[Token]:
        return [t for t in self.tokens if t.role == "primary"]

    def mark_read(self, element: etree._Element) -> None:
        self.read_header_elements.add(element)
